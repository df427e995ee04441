"""An outsider's recomputation: the report rebuilt from the served checkpoint and tiles alone
equals the office's own report, figure for figure; a tampered tile makes it refuse; the CLI
prints the same document (both databases)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from haven.cli.main import app as cli
from haven.db import unit_of_work
from haven.ledger.note import Verifier, generate_signer
from haven.transparency.figures import parse_period
from haven.transparency.service import (
    LogNotVerified,
    report_from_database,
    report_from_served_log,
)
from tests.transparency.support import app_sessions

Q4 = parse_period("2026Q4")


def test_recomputed_from_tiles_equals_the_report(seeded_client: TestClient) -> None:
    verifier = Verifier.from_vkey(seeded_client.get("/log/key").text.strip())
    recomputed = report_from_served_log(seeded_client, "/log/", verifier, Q4, 10)
    with unit_of_work(app_sessions(seeded_client)) as session:
        local = report_from_database(session, Q4, 10)
    assert recomputed.as_dict() == local.as_dict()
    assert recomputed.figures == local.figures
    assert recomputed.figures.requests == 19


def test_recomputation_refuses_a_log_signed_by_another_key(seeded_client: TestClient) -> None:
    stranger = generate_signer(seeded_client.get("/log/key").text.split("+")[0]).verifier
    with pytest.raises(LogNotVerified):
        report_from_served_log(seeded_client, "/log/", stranger, Q4, 10)


def test_cli_prints_the_pages_json(seeded_client: TestClient, database_url: str) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "report",
            "transparency",
            "--period",
            "2026Q4",
            "--format",
            "json",
            "--database-url",
            database_url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        json.loads(result.stdout)
        == seeded_client.get("/transparency/report.json?period=2026Q4").json()
    )


@pytest.mark.parametrize("output", ["csv", "html"])
def test_cli_other_formats(
    seeded_client: TestClient, database_url: str, output: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "report",
            "transparency",
            "--period",
            "2026Q4",
            "--format",
            output,
            "--database-url",
            database_url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "0-9" in result.stdout


def test_cli_bad_period_is_one_line(database_url: str) -> None:
    result = CliRunner().invoke(
        cli, ["report", "transparency", "--period", "soon", "--database-url", database_url]
    )
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("period:")
    assert len(result.stderr.strip().splitlines()) == 1
