"""Tampering with the stored log on a real database: `log verify` names the first bad index."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from haven.cli.main import app as cli
from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.ledger.keys import load_log_signer
from haven.ledger.models import LogEntry, PublishedCheckpoint
from haven.ledger.note import Signer
from haven.ledger.verify import DatabaseLog, ServedLog, audit
from tests.ledger.test_verify import build_log

Tamper = Callable[[Session], None]


def edit(session: Session) -> None:
    row = session.get_one(LogEntry, 137)
    session.execute(
        sa.update(LogEntry)
        .where(LogEntry.index == 137)
        .values(data=row.data.replace(b'"count":137', b'"count":999'))
    )


def edit_in_sql(session: Session) -> None:
    # By hand, as an insider would; on SQLite replace() even turns the blob into text.
    if session.get_bind().dialect.name == "postgresql":
        new_data = "convert_to(replace(convert_from(data, 'UTF8'), :old, :new), 'UTF8')"
    else:
        new_data = "replace(data, :old, :new)"
    session.execute(
        sa.text(f'UPDATE ledger_entries SET data = {new_data} WHERE "index" = 137'),
        {"old": '"count":137', "new": '"count":999'},
    )


def delete(session: Session) -> None:
    session.execute(sa.delete(LogEntry).where(LogEntry.index == 137))


def swap(session: Session) -> None:
    first, second = session.get_one(LogEntry, 137).data, session.get_one(LogEntry, 400).data
    session.execute(sa.update(LogEntry).where(LogEntry.index == 137).values(data=second))
    session.execute(sa.update(LogEntry).where(LogEntry.index == 400).values(data=first))


def truncate(session: Session) -> None:
    session.execute(sa.delete(LogEntry).where(LogEntry.index >= 550))


def insert(session: Session) -> None:
    # Make room one row at a time from the top, as the primary key allows, then slip one in.
    for index in range(599, 136, -1):
        session.execute(sa.update(LogEntry).where(LogEntry.index == index).values(index=index + 1))
    forged = session.get_one(LogEntry, 138).data.replace(b'"count":137', b'"count":-1')
    session.execute(sa.insert(LogEntry).values(index=137, data=forged))


TAMPERS: dict[str, tuple[Tamper, int]] = {
    "edit": (edit, 137),
    "edit_in_sql": (edit_in_sql, 137),
    "delete": (delete, 137),
    "swap": (swap, 137),
    "truncate": (truncate, 550),
    "insert": (insert, 137),
}


def tampered_log(
    name: str, sessions: sessionmaker[Session], settings: Settings, clock: ManualClock
) -> tuple[Signer, int]:
    """A 600-entry log with three checkpoints, then tampered: its key and the index to name."""
    tamper, bad_index = TAMPERS[name]
    signer = load_log_signer(settings)
    build_log(sessions, signer, clock)
    with unit_of_work(sessions) as session:
        tamper(session)
    return signer, bad_index


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_verify_names_the_first_tampered_index(
    name: str,
    sessions: sessionmaker[Session],
    settings: Settings,
    clock: ManualClock,
    database_url: str,
) -> None:
    signer, bad_index = tampered_log(name, sessions, settings, clock)
    result = CliRunner().invoke(
        cli, ["log", "verify", "--database-url", database_url, "--vkey", signer.vkey]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"FAILED: first bad index {bad_index}\n")


@pytest.mark.parametrize("name", ["edit", "edit_in_sql", "delete", "truncate"])
def test_an_outside_auditor_finds_the_same_index_over_http(
    name: str,
    app_client: TestClient,
    sessions: sessionmaker[Session],
    settings: Settings,
    clock: ManualClock,
) -> None:
    signer, bad_index = tampered_log(name, sessions, settings, clock)
    result = audit(ServedLog(app_client, "/log/"), signer.verifier)
    assert not result.ok
    assert result.first_bad_index == bad_index


def test_a_forged_checkpoint_fails_its_signature(
    sessions: sessionmaker[Session], settings: Settings, clock: ManualClock
) -> None:
    signer = load_log_signer(settings)
    build_log(sessions, signer, clock, sizes=(10, 20))
    with unit_of_work(sessions) as session:
        latest = session.get_one(PublishedCheckpoint, 2)
        latest.note = latest.note.replace("\n20\n", "\n19\n")
    with unit_of_work(sessions) as session:
        result = audit(DatabaseLog(session), signer.verifier)
    assert not result.ok
    assert any("checkpoint #2" in finding.message for finding in result.findings)
