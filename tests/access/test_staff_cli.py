"""`haven staff ...` against both databases, and the demo's staff accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from haven.access import sign_in
from haven.access.demo import describe_demo_accounts, seed_demo_accounts
from haven.access.models import Role
from haven.access.second_factor import STEP_SECONDS, code_at
from haven.access.sessions import AccessPolicy
from haven.cli.main import app as haven_cli
from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.vault.keys import Keyring
from tests import factories
from tests.access.support import ledger_entries

PASSWORD = "a password for the cli test"


@pytest.fixture
def haven(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> CliRunner:
    monkeypatch.setenv("HAVEN_HOME", str(settings.home))
    monkeypatch.setenv("HAVEN_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setenv("HAVEN_DEV_MODE", "true")
    monkeypatch.setenv("HAVEN_STAFF_PASSWORD_MEMORY_KIB", "64")
    monkeypatch.setenv("HAVEN_STAFF_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("HAVEN_STAFF_PASSWORD_PARALLELISM", "1")
    return CliRunner()


@pytest.fixture
def downtown(sessions: sessionmaker[Session]) -> int:
    with unit_of_work(sessions) as session:
        return factories.office(session, slug="downtown").id


def run(runner: CliRunner, *args: str, stdin: str | None = None) -> Result:
    return runner.invoke(haven_cli, ["staff", *args], input=stdin)


def test_add_prints_the_totp_setup_once_and_the_account_signs_in(
    haven: CliRunner,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
) -> None:
    result = run(
        haven,
        "add",
        "Audrey",
        "--name",
        "Audrey Auditor",
        "--role",
        "auditor",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("created staff:1 audrey\n")
    [secret_line] = [line for line in result.output.splitlines() if "secret:" in line]
    secret = secret_line.split()[-1]
    assert "uri:    otpauth://totp/Haven:audrey?secret=" + secret in result.output
    with unit_of_work(sessions) as session:
        pending = sign_in.sign_in(session, clock, policy, username="audrey", password=PASSWORD)
        outcome = sign_in.verify_code(
            session,
            clock,
            keyring,
            policy,
            pending_token=pending.token,
            code=code_at(secret, clock.now()),
        )
    assert outcome.status is sign_in.SignInStatus.SIGNED_IN
    [entry] = ledger_entries(sessions, "access:account:created")
    assert entry["actor"] == "system"


def test_roles_by_office_slug_list_and_disable(
    haven: CliRunner, downtown: int, sessions: sessionmaker[Session]
) -> None:
    added = run(
        haven,
        "add",
        "cleo",
        "--name",
        "Cleo Clerk",
        "--role",
        "clerk:downtown",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert added.exit_code == 0, added.output
    assert "secret" not in added.output
    changed = run(
        haven, "roles", "cleo", "--role", "clerk:downtown", "--role", f"manager:{downtown}"
    )
    assert changed.exit_code == 0, changed.output
    assert "clerk:downtown, manager:downtown" in changed.output
    listed = run(haven, "list")
    assert (
        listed.output
        == "staff:1\tcleo\tCleo Clerk\tclerk:downtown, manager:downtown\tactive, no code\n"
    )
    disabled = run(haven, "disable", "cleo")
    assert disabled.output == "disabled staff:1; ended 0 sessions\n"
    assert "disabled, no code" in run(haven, "list").output
    kinds = [entry["kind"] for entry in ledger_entries(sessions, "access:account:")]
    assert kinds == [
        "access:account:created",
        "access:account:roles_changed",
        "access:account:disabled",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["roles", "nobody"], "staff roles: there is no staff account with this username"),
        (
            ["add", "cleo", "--name", "C", "--role", "wizard", "--password-stdin"],
            "'wizard' is not a role",
        ),
        (
            ["add", "cleo", "--name", "C", "--role", "clerk:nowhere", "--password-stdin"],
            "there is no office 'nowhere'",
        ),
        (
            ["add", "cleo", "--name", "C", "--role", "clerk", "--password-stdin"],
            "the clerk role needs an office (roles)",
        ),
    ],
)
def test_mistakes_exit_2_with_one_line(haven: CliRunner, args: list[str], message: str) -> None:
    result = run(haven, *args, stdin=PASSWORD + "\n")
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_short_password_from_stdin_is_refused(haven: CliRunner) -> None:
    result = run(
        haven,
        "add",
        "cleo",
        "--name",
        "C",
        "--role",
        "auditor",
        "--password-stdin",
        stdin="short\n",
    )
    assert result.exit_code == 2
    assert "at least 12 characters (password)" in result.output


def test_demo_accounts_one_per_role_sign_in_with_the_printed_credentials(
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
    downtown: int,
) -> None:
    with unit_of_work(sessions) as session:
        first = seed_demo_accounts(
            session, clock, keyring, policy.password_cost, office_ids=[downtown]
        )
    with unit_of_work(sessions) as session:
        again = seed_demo_accounts(
            session, clock, keyring, policy.password_cost, office_ids=[downtown]
        )
    assert again == first  # reused, same secrets printed
    assert [account.role for account in first] == list(Role)
    printed = describe_demo_accounts(first)
    for account in first:
        assert account.password in printed
        clock.advance(timedelta(seconds=STEP_SECONDS))
        with unit_of_work(sessions) as session:
            outcome = sign_in.sign_in(
                session, clock, policy, username=account.username, password=account.password
            )
            if account.totp_secret is not None:
                assert account.totp_secret in printed
                outcome = sign_in.verify_code(
                    session,
                    clock,
                    keyring,
                    policy,
                    pending_token=outcome.token,
                    code=code_at(account.totp_secret, clock.now()),
                )
        assert outcome.status is sign_in.SignInStatus.SIGNED_IN, account.role
    assert len(ledger_entries(sessions, "access:account:created")) == len(Role)


def test_password_gives_a_new_one_and_ends_the_sessions(
    haven: CliRunner,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    policy: AccessPolicy,
    downtown: int,
) -> None:
    run(
        haven,
        "add",
        "cleo",
        "--name",
        "C",
        "--role",
        "clerk:downtown",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    with unit_of_work(sessions) as session:
        sign_in.sign_in(session, clock, policy, username="cleo", password=PASSWORD)
    result = run(haven, "password", "cleo", "--password-stdin", stdin="the second password\n")
    assert result.output == "new password for staff:1; ended 1 sessions\n"
    with unit_of_work(sessions) as session:
        old = sign_in.sign_in(session, clock, policy, username="cleo", password=PASSWORD)
        new = sign_in.sign_in(
            session, clock, policy, username="cleo", password="the second password"
        )
    assert old.status is sign_in.SignInStatus.REFUSED
    assert new.status is sign_in.SignInStatus.SIGNED_IN


def test_add_asks_for_the_password_twice_without_echoing_it(haven: CliRunner) -> None:
    result = run(
        haven, "add", "audrey", "--name", "A", "--role", "auditor", stdin=f"{PASSWORD}\n" * 2
    )
    assert result.exit_code == 0, result.output
    assert "Password:" in result.output
    assert "Repeat for confirmation:" in result.output
    assert PASSWORD not in result.output
