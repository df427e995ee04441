"""`haven policy propose|sign|activate|show|diff` and counsel's `injunction` and `agreement`.

The only way to change what the disclosure gateway allows: a proposed version needs a privacy
officer's and counsel's signatures (each with a TOTP code), is published at the second one, and
can be activated only after the notice period (HAVEN_POLICY_NOTICE_DAYS, at least 30). Each
step, and each refused activation, is a ledger entry.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import typer
from sqlalchemy.orm import Session

from haven.cli.common import ledgered_command
from haven.disclosure.policy import governance, registry
from haven.disclosure.policy.errors import ActivationRefused, PackInvalid
from haven.disclosure.policy.facts import (
    AgencyCategory,
    DataElement,
    LegalBasis,
    PurposeCategory,
)
from haven.disclosure.policy.models import PolicyVersion, SignerRole
from haven.disclosure.policy.pack import bundled_files, canonical_files_json, pack_hash, read_pack

app = typer.Typer(
    help="The disclosure policy: versions, signatures, activation.", no_args_is_help=True
)
injunction_app = typer.Typer(
    help="Court injunctions that bar sharing (counsel).", no_args_is_help=True
)
agreement_app = typer.Typer(help="Computer matching agreements (counsel).", no_args_is_help=True)
app.add_typer(injunction_app, name="injunction")
app.add_typer(agreement_app, name="agreement")


@app.command()
def propose(
    path: Path = typer.Argument(..., help="A pack directory (*.cedar, one *.cedarschema) or JSON."),
    as_user: str | None = typer.Option(None, "--as", help="Staff username proposing it."),
) -> None:
    """Record a new policy version; it changes nothing until signed, published and activated."""
    with ledgered_command("policy propose") as (session, _settings, _keyring, clock):
        actor = registry.staff_actor_of(session, as_user) if as_user else governance.SYSTEM_ACTOR
        version = governance.propose_version(session, clock, read_pack(path), actor=actor)
        number, digest = version.id, version.sha256
    typer.echo(f"proposed version {number} sha256 {digest}")


@app.command()
def sign(
    version: int = typer.Argument(..., help="Version number."),
    as_user: str = typer.Option(..., "--as", help="Staff username of the signing officer."),
    role: SignerRole | None = typer.Option(None, help="Which role signs, if the account has both."),
    code: str = typer.Option(
        ..., prompt="TOTP code", hide_input=True, help="The officer's current TOTP code."
    ),
) -> None:
    """Sign a proposed version as a privacy officer or counsel (the second signature publishes)."""
    with ledgered_command("policy sign") as (session, settings, keyring, clock):
        signature = governance.sign_version(
            session,
            clock,
            keyring,
            version_id=version,
            username=as_user,
            code=code.strip(),
            notice_days=settings.policy_notice_days,
            role=role,
        )
        signed_role = signature.role
        record = governance.get_version(session, version)
        notice_ends = record.notice_ends_at
    typer.echo(f"version {version} signed as {signed_role}")
    if notice_ends is not None:
        typer.echo(
            f"version {version} published; it may take effect from {notice_ends.isoformat()}"
        )


@app.command()
def activate(
    version: int = typer.Argument(..., help="Version number."),
    as_user: str | None = typer.Option(None, "--as", help="Staff username activating it."),
) -> None:
    """Put a published version in force once its notice period has ended."""
    refused: str | None = None
    with ledgered_command("policy activate") as (session, _settings, _keyring, clock):
        actor = registry.staff_actor_of(session, as_user) if as_user else governance.SYSTEM_ACTOR
        try:
            with session.begin_nested():
                governance.activate_version(session, clock, version_id=version, actor=actor)
        except ActivationRefused as exc:
            # The attempt itself goes in the ledger: switching the policy is never silent.
            refused = exc.message
            governance.record_refused_activation(
                session, clock, version_id=version, reason=refused, actor=actor
            )
    if refused is not None:
        typer.echo(f"policy activate: {refused} (version)", err=True)
        raise typer.Exit(2)
    typer.echo(f"version {version} is now active")


@app.command()
def show(
    version: int | None = typer.Argument(None, help="Version number (default: the active one)."),
    bundled: bool = typer.Option(False, "--bundled", help="The pack shipped with this release."),
    as_json: bool = typer.Option(False, "--json", help="Print the pack as JSON (proposable)."),
) -> None:
    """Print a version's status, hash, signatures and files."""
    if bundled:
        files = bundled_files()
        typer.echo(canonical_files_json(files) if as_json else f"bundled sha256 {pack_hash(files)}")
        return
    with ledgered_command("policy show") as (session, _settings, _keyring, clock):
        governance.install_bundled_pack(session, now=clock.now())
        record = (
            governance.get_version(session, version)
            if version is not None
            else governance.active_version(session)
        )
        if record is None:
            raise PackInvalid("no policy version is active", field="version")
        text = record.files_json if as_json else _describe(session, record)
    typer.echo(text)


@app.command()
def diff(
    first: int = typer.Argument(..., help="Older version."),
    second: int = typer.Argument(..., help="Newer version."),
) -> None:
    """A unified diff of two versions' files."""
    with ledgered_command("policy diff") as (session, _settings, _keyring, _clock):
        text = governance.diff_versions(session, first, second)
    typer.echo(text or f"versions {first} and {second} have the same files", nl=bool(not text))


@injunction_app.command("add")
def injunction_add(
    as_user: str = typer.Option(..., "--as", help="Counsel's staff username."),
    court: str = typer.Option(..., help="The court that issued it."),
    case_number: str = typer.Option(..., "--case", help="The case number."),
    summary: str = typer.Option(..., help="What it bars, in a sentence."),
    effective_from: datetime = typer.Option(..., "--from", help="When it took effect (UTC)."),
    effective_until: datetime | None = typer.Option(None, "--until", help="When it ends (UTC)."),
    agency_category: AgencyCategory | None = typer.Option(None, help="Only this kind of agency."),
    purpose: PurposeCategory | None = typer.Option(None, help="Only this purpose."),
    basis: LegalBasis | None = typer.Option(None, help="Only this legal basis."),
    element: list[DataElement] = typer.Option([], help="Only these data elements (repeat)."),
) -> None:
    """Record an injunction; matching requests are denied while it is in force."""
    with ledgered_command("policy injunction add") as (session, _settings, _keyring, clock):
        injunction = registry.record_injunction(
            session,
            clock,
            actor=registry.counsel_actor(session, as_user),
            court=court,
            case_number=case_number,
            summary=summary,
            scope=registry.InjunctionScope(agency_category, purpose, basis, frozenset(element)),
            effective_from=_utc(effective_from),
            effective_until=_utc(effective_until) if effective_until else None,
        )
        number = injunction.id
    typer.echo(f"injunction {number} recorded")


@injunction_app.command("lift")
def injunction_lift(
    injunction: int = typer.Argument(..., help="Injunction number."),
    as_user: str = typer.Option(..., "--as", help="Counsel's staff username."),
) -> None:
    """Record that an injunction no longer binds."""
    with ledgered_command("policy injunction lift") as (session, _settings, _keyring, clock):
        actor = registry.counsel_actor(session, as_user)
        registry.lift_injunction(session, clock, actor=actor, injunction_id=injunction)
    typer.echo(f"injunction {injunction} lifted")


@injunction_app.command("list")
def injunction_list() -> None:
    """Every injunction on file, in force or not."""
    with ledgered_command("policy injunction list") as (session, _settings, _keyring, _clock):
        lines = [
            f"{item.id}\t{item.court}\t{item.case_number}\t"
            f"{'lifted' if item.lifted_at else 'recorded'}\t{item.summary}"
            for item in registry.list_injunctions(session)
        ]
    typer.echo("\n".join(lines) or "no injunctions on file")


@agreement_app.command("add")
def agreement_add(
    as_user: str = typer.Option(..., "--as", help="Counsel's staff username."),
    title: str = typer.Option(..., help="The agreement's title."),
    agency: int = typer.Option(..., help="The recipient agency's id in the agency registry."),
    parties: str = typer.Option(..., help="The parties, as the agreement names them."),
    purpose: PurposeCategory = typer.Option(..., help="The purpose category."),
    purpose_text: str = typer.Option(..., help="The purpose, as the agreement states it."),
    element: list[DataElement] = typer.Option(..., help="A data element covered (repeat)."),
    starts_on: datetime = typer.Option(..., "--starts", formats=["%Y-%m-%d"]),
    ends_on: datetime = typer.Option(..., "--ends", formats=["%Y-%m-%d"]),
) -> None:
    """Record a computer matching agreement (at most 18 months)."""
    with ledgered_command("policy agreement add") as (session, _settings, _keyring, clock):
        agreement = registry.record_matching_agreement(
            session,
            clock,
            actor=registry.counsel_actor(session, as_user),
            title=title,
            agency_id=agency,
            parties=parties,
            purpose=purpose,
            purpose_text=purpose_text,
            data_elements=element,
            starts_on=_day(starts_on),
            ends_on=_day(ends_on),
        )
        number = agreement.id
    typer.echo(f"matching agreement {number} recorded")


def _describe(session: Session, record: PolicyVersion) -> str:
    lines = [
        f"version {record.id} ({record.status})",
        f"sha256 {record.sha256}",
        f"proposed {record.proposed_at.isoformat()} by {record.proposed_by}",
    ]
    lines += [
        f"signed {item.signed_at.isoformat()} as {item.role} by staff:{item.account_id}"
        for item in record.signatures
    ]
    if record.notice_ends_at is not None:
        lines.append(f"notice period ends {record.notice_ends_at.isoformat()}")
    if record.activated_at is not None:
        lines.append(f"activated {record.activated_at.isoformat()} by {record.activated_by}")
    others = [
        f"  v{item.id} {item.status} {item.sha256}" for item in governance.list_versions(session)
    ]
    return "\n".join([*lines, "versions:", *others])


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _day(value: datetime) -> date:
    return value.date()
