"""`haven staff add|roles|disable|enable|unlock|password|reset-code|list`: accounts, on the server.

Run by an operator on the server, so the ledger's actor is ``system``. Roles are given as
``--role ROLE`` for deployment-wide roles and ``--role ROLE:OFFICE`` (office slug or id) for
clerks and managers. A password is asked for (hidden, twice) unless ``--password-stdin`` reads
it from standard input. A new TOTP secret is printed once, as an otpauth:// URI and in base32.
"""

from __future__ import annotations

import sys

import sqlalchemy as sa
import typer
from sqlalchemy.orm import Session

from haven.access import service
from haven.access.errors import InvalidAccount
from haven.access.models import Role
from haven.access.passwords import PasswordCost
from haven.access.second_factor import Enrolment
from haven.access.service import SYSTEM_ACTOR, AccountSummary, RoleGrant
from haven.cli.common import ledgered_command
from haven.scheduling.models import Office

app = typer.Typer(help="Staff accounts and their roles.", no_args_is_help=True)

ROLE_HELP = (
    "A role: clerk:OFFICE or manager:OFFICE (office slug or id), or privacy_officer, counsel, "
    "auditor, admin. Repeat for several."
)


@app.command()
def add(
    username: str = typer.Argument(..., help="Sign-in name: 3-64 letters, digits, . _ -"),
    name: str = typer.Option(..., "--name", help="Display name shown to other staff."),
    role: list[str] = typer.Option(..., "--role", help=ROLE_HELP),
    second_factor: bool = typer.Option(
        False, "--second-factor", help="Ask for a TOTP code even if no role needs one."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the first password from standard input."
    ),
) -> None:
    """Create a staff account; prints its TOTP set-up once when it has one."""
    password = _read_password(password_stdin)
    with ledgered_command("staff add") as (session, settings, keyring, clock):
        created = service.create_account(
            session,
            clock,
            keyring,
            PasswordCost.from_settings(settings),
            actor=SYSTEM_ACTOR,
            username=username,
            display_name=name,
            password=password,
            grants=parse_roles(session, role),
            with_second_factor=second_factor,
        )
    typer.echo(f"created staff:{created.account_id} {service.normalise_username(username)}")
    _print_enrolment(created.enrolment)


@app.command()
def roles(
    username: str = typer.Argument(...),
    role: list[str] = typer.Option(None, "--role", help=ROLE_HELP + " None: show the roles."),
) -> None:
    """Show an account's roles, or replace them with the --role options given."""
    with ledgered_command("staff roles") as (session, _settings, keyring, clock):
        account_id = service.account_id_by_username(session, username)
        enrolment = None
        if role:
            enrolment = service.set_roles(
                session,
                clock,
                keyring,
                actor=SYSTEM_ACTOR,
                account_id=account_id,
                grants=parse_roles(session, role),
            )
        summary = service.account_summary(session, clock, account_id)
        slugs = _office_slugs(session)
    typer.echo(_describe(summary, slugs))
    _print_enrolment(enrolment)


@app.command()
def disable(username: str = typer.Argument(...)) -> None:
    """Disable an account and end all its sessions."""
    with ledgered_command("staff disable") as (session, _settings, _keyring, clock):
        account_id = service.account_id_by_username(session, username)
        revoked = service.disable_account(session, clock, actor=SYSTEM_ACTOR, account_id=account_id)
    typer.echo(f"disabled staff:{account_id}; ended {revoked} sessions")


@app.command()
def enable(username: str = typer.Argument(...)) -> None:
    """Enable a disabled account again."""
    with ledgered_command("staff enable") as (session, _settings, _keyring, clock):
        account_id = service.account_id_by_username(session, username)
        service.enable_account(session, clock, actor=SYSTEM_ACTOR, account_id=account_id)
    typer.echo(f"enabled staff:{account_id}")


@app.command()
def unlock(username: str = typer.Argument(...)) -> None:
    """Clear an account's failed sign-ins so it can sign in again now."""
    with ledgered_command("staff unlock") as (session, _settings, _keyring, clock):
        account_id = service.account_id_by_username(session, username)
        service.unlock_account(session, clock, actor=SYSTEM_ACTOR, account_id=account_id)
    typer.echo(f"unlocked staff:{account_id}")


@app.command()
def password(
    username: str = typer.Argument(...),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the new password from standard input."
    ),
) -> None:
    """Give an account a new password (a forgotten one); ends all its sessions."""
    new_password = _read_password(password_stdin)
    with ledgered_command("staff password") as (session, settings, _keyring, clock):
        account_id = service.account_id_by_username(session, username)
        revoked = service.set_password(
            session,
            clock,
            PasswordCost.from_settings(settings),
            actor=SYSTEM_ACTOR,
            account_id=account_id,
            password=new_password,
        )
    typer.echo(f"new password for staff:{account_id}; ended {revoked} sessions")


@app.command("reset-code")
def reset_code(username: str = typer.Argument(...)) -> None:
    """Give an account a new TOTP secret (a lost phone); ends its sessions; prints it once."""
    with ledgered_command("staff reset-code") as (session, _settings, keyring, clock):
        account_id = service.account_id_by_username(session, username)
        enrolment = service.reset_second_factor(
            session, clock, keyring, actor=SYSTEM_ACTOR, account_id=account_id
        )
    typer.echo(f"new sign-in code set up for staff:{account_id}")
    _print_enrolment(enrolment)


@app.command("list")
def list_accounts() -> None:
    """Every account: id, username, display name, roles, status."""
    with ledgered_command("staff list") as (session, _settings, _keyring, clock):
        accounts = service.list_accounts(session, clock)
        slugs = _office_slugs(session)
    for summary in accounts:
        typer.echo(_describe(summary, slugs))


def parse_roles(session: Session, values: list[str]) -> list[RoleGrant]:
    """``role`` or ``role:office`` (slug or id) as grants; InvalidAccount names a bad one."""
    grants = []
    for value in values:
        role_name, _, office = value.strip().partition(":")
        try:
            role = Role(role_name.strip().lower())
        except ValueError:
            known = ", ".join(Role)
            raise InvalidAccount(
                f"'{role_name}' is not a role; roles are {known}", field="role"
            ) from None
        grants.append(
            RoleGrant(role=role, office_id=_office_id(session, office) if office else None)
        )
    return grants


def _office_id(session: Session, office: str) -> int:
    query = sa.select(Office.id)
    query = (
        query.where(Office.id == int(office))
        if office.isdigit()
        else query.where(Office.slug == office)
    )
    found = session.scalar(query)
    if found is None:
        raise InvalidAccount(f"there is no office '{office}'", field="role")
    return found


def _office_slugs(session: Session) -> dict[int, str]:
    return {
        office_id: slug for office_id, slug in session.execute(sa.select(Office.id, Office.slug))
    }


def _describe(summary: AccountSummary, slugs: dict[int, str]) -> str:
    grants = ", ".join(
        f"{grant.role}:{slugs.get(grant.office_id, grant.office_id)}"
        if grant.office_id is not None
        else str(grant.role)
        for grant in summary.grants
    )
    status = "disabled" if summary.disabled else "locked" if summary.locked else "active"
    code = "code" if summary.second_factor else "no code"
    return (
        f"staff:{summary.id}\t{summary.username}\t{summary.display_name}\t{grants}\t"
        f"{status}, {code}"
    )


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _print_enrolment(enrolment: Enrolment | None) -> None:
    if enrolment is None:
        return
    typer.echo("sign-in code set-up (shown once; give it only to its owner):")
    typer.echo(f"  secret: {enrolment.secret}")
    typer.echo(f"  uri:    {enrolment.uri}")
