"""Auditing a whole log: from the database, from the served tiles, and from a static export."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from haven.cli.main import app as cli
from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.ledger.hashing import leaf_hash
from haven.ledger.keys import load_log_signer
from haven.ledger.merkle import root_from_hashes
from haven.ledger.models import LogEntry
from haven.ledger.note import Signer, generate_signer
from haven.ledger.service import export_static, publish_checkpoint
from haven.ledger.store import append, integrate
from haven.ledger.tiles import split_entry_bundle
from haven.ledger.verify import DatabaseLog, ServedLog, audit
from tests.ledger.sample_kinds import SampleEvent

AT = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
CHECKPOINT_SIZES = (100, 300, 600)


def build_log(
    sessions: sessionmaker[Session], signer: Signer, clock: ManualClock, sizes=CHECKPOINT_SIZES
) -> None:
    """A log with a signed checkpoint at each of ``sizes``."""
    done = 0
    for size in sizes:
        with unit_of_work(sessions) as session:
            for i in range(done, size):
                append(session, SampleEvent.RECORD_READ, actor="staff:1", time=AT, count=i)
        with unit_of_work(sessions) as session:
            integrate(session)
            publish_checkpoint(session, signer, clock)
        done = size


def db_audit(sessions: sessionmaker[Session], signer: Signer):  # type: ignore[no-untyped-def]
    with unit_of_work(sessions) as session:
        return audit(DatabaseLog(session), signer.verifier)


def test_an_untouched_log_verifies_with_every_checkpoint(
    sessions: sessionmaker[Session], settings: Settings, clock: ManualClock
) -> None:
    signer = load_log_signer(settings)
    build_log(sessions, signer, clock)
    result = db_audit(sessions, signer)
    assert result.ok, result.findings
    assert (result.entries, result.checkpoints, result.checkpoint_size) == (600, 3, 600)
    with unit_of_work(sessions) as session:
        data = session.execute(sa.select(LogEntry.data).order_by(LogEntry.index)).scalars()
        assert result.root_hash == root_from_hashes([leaf_hash(d) for d in data])


def test_a_checkpoint_signed_by_another_key_is_reported(
    sessions: sessionmaker[Session], settings: Settings, clock: ManualClock
) -> None:
    signer = load_log_signer(settings)
    build_log(sessions, signer, clock, sizes=(10,))
    impostor = generate_signer(signer.name)  # same name, other key
    result = db_audit(sessions, impostor)
    assert not result.ok
    assert "checkpoint #1" in result.findings[0].message


def test_cli_verify_passes_then_names_the_edited_index(
    sessions: sessionmaker[Session], settings: Settings, clock: ManualClock, database_url: str
) -> None:
    signer = load_log_signer(settings)
    build_log(sessions, signer, clock)
    runner = CliRunner()
    args = ["log", "verify", "--database-url", database_url, "--vkey", signer.vkey]
    passed = runner.invoke(cli, args)
    assert passed.exit_code == 0, passed.output
    assert passed.output.startswith("ok: 600 entries")
    with unit_of_work(sessions) as session:
        session.execute(sa.update(LogEntry).where(LogEntry.index == 421).values(data=b"{}"))
    failed = runner.invoke(cli, [*args, "--json"])
    assert failed.exit_code == 1
    assert json.loads(failed.stdout)["first_bad_index"] == 421


def test_cli_verify_refuses_a_malformed_vkey_in_one_line(database_url: str) -> None:
    result = CliRunner().invoke(
        cli, ["log", "verify", "--database-url", database_url, "--vkey", "not-a-key"]
    )
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "--vkey" in result.stderr


def test_an_outside_auditor_verifies_the_served_log(
    app_client: TestClient, sessions: sessionmaker[Session], settings: Settings, clock: ManualClock
) -> None:
    signer = load_log_signer(settings)  # the app's own key: same home
    build_log(sessions, signer, clock, sizes=(70, 300))
    served = ServedLog(app_client, "/log/")
    result = audit(served, signer.verifier)
    assert result.ok, result.findings
    assert (result.entries, result.checkpoint_size) == (300, 300)


def test_a_static_export_holds_the_same_tree(
    sessions: sessionmaker[Session], settings: Settings, clock: ManualClock, tmp_path: Path
) -> None:
    signer = load_log_signer(settings)
    build_log(sessions, signer, clock, sizes=(300,))
    with unit_of_work(sessions) as session:
        export_static(session, tmp_path / "static")
        stored = list(session.execute(sa.select(LogEntry.data).order_by(LogEntry.index)).scalars())
    root = tmp_path / "static"
    assert (root / "checkpoint").read_text().startswith(f"{signer.name}\n300\n")
    assert len((root / "tile/0/000").read_bytes()) == 8192
    assert len((root / "tile/0/001.p/44").read_bytes()) == 44 * 32
    assert (root / "tile/1/000.p/1").exists()
    bundles = (root / "tile/entries/000").read_bytes() + (
        root / "tile/entries/001.p/44"
    ).read_bytes()
    assert split_entry_bundle(bundles) == stored


def test_cli_reads_entries_and_exports_tiles(
    sessions: sessionmaker[Session],
    settings: Settings,
    clock: ManualClock,
    database_url: str,
    tmp_path: Path,
) -> None:
    build_log(sessions, load_log_signer(settings), clock, sizes=(5,))
    runner = CliRunner()
    db = ["--database-url", database_url]
    tail = runner.invoke(cli, ["log", "tail", "--from", "3", *db])
    assert tail.exit_code == 0
    lines = tail.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["3", "4"]
    assert json.loads(lines[0].split("\t")[1])["count"] == 3
    show = runner.invoke(cli, ["log", "show", "2", *db])
    assert show.exit_code == 0
    assert json.loads(show.stdout)["count"] == 2
    raw = runner.invoke(cli, ["log", "show", "2", "--raw", *db])
    with unit_of_work(sessions) as session:
        assert raw.stdout_bytes == session.get_one(LogEntry, 2).data
    missing = runner.invoke(cli, ["log", "show", "5", *db])
    assert missing.exit_code == 1
    assert missing.stderr == "there is no entry 5\n"
    exported = runner.invoke(cli, ["log", "export-tiles", str(tmp_path / "out"), *db])
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / "out" / "tile" / "entries" / "000.p" / "5").is_file()


def test_cli_verify_of_an_unreachable_url_fails_in_one_line() -> None:
    signer = generate_signer("haven.example/log")
    result = CliRunner().invoke(
        cli, ["log", "verify", "--url", "http://127.0.0.1:9/log/", "--vkey", signer.vkey]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("--url: cannot read the log")
    assert result.stderr.count("\n") == 1
