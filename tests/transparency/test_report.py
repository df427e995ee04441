"""The transparency report's figures against a seeded history with known counts, on both
databases: banding at the edge (9 vs 10), outcomes, people, notices, durations, registers, and
the checkpoint the figures were computed at."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.db import unit_of_work
from haven.ledger.note import generate_signer
from haven.ledger.service import publish_checkpoint
from haven.ledger.store import integrate
from haven.transparency.figures import BadPeriod, parse_period
from haven.transparency.report import Report, banded
from haven.transparency.service import report_from_database
from tests.transparency.scenario import seed_history

Q4 = parse_period("2026Q4")


def seeded_log(sessions: sessionmaker[Session], clock: ManualClock) -> None:
    with unit_of_work(sessions) as session:
        seed_history(session)
    with unit_of_work(sessions) as session:
        integrate(session)
    with unit_of_work(sessions) as session:
        publish_checkpoint(session, generate_signer("haven.test/log"), clock)


def _values(report: Report) -> dict[tuple[str, str], str]:
    return {(row.section, row.item): row.value for row in report.rows}


@pytest.fixture
def seeded(sessions: sessionmaker[Session], clock: ManualClock) -> sessionmaker[Session]:
    seeded_log(sessions, clock)
    return sessions


def test_banding_edge() -> None:
    assert banded(9, 10) == "0-9"
    assert banded(10, 10) == "10"
    assert banded(0, 10) == "0-9"
    assert banded(19, 20) == "0-19"
    assert banded(3, 1) == "3"


def test_figures_of_the_seeded_quarter(seeded: sessionmaker[Session]) -> None:
    with unit_of_work(seeded) as session:
        report = report_from_database(session, Q4, 10)
    figures = report.figures
    assert figures.requests == 19
    assert figures.by_agency_category == {"health": 9, "law_enforcement": 10}
    assert figures.outcomes == {
        "rejected_invalid": 3,
        "denied": 4,
        "narrowed": 3,
        "approved": 6,
        "routed": 0,
        "pending": 3,
    }
    assert figures.produced == 9
    assert (figures.people_specified, figures.people_produced) == (28, 9)
    assert figures.notices == {"sent": 3, "delayed": 1, "not_required": 0, "pending": 5}
    assert len(figures.decision_seconds) == 16
    assert (figures.agreements_in_force, figures.injunctions_in_force) == (1, 1)
    assert [v["version"] for v in figures.policy_versions] == [1]
    shown = _values(report)
    assert shown[("by_agency_category", "law_enforcement")] == "10"
    assert shown[("by_agency_category", "health")] == "0-9"
    assert shown[("by_legal_basis", "health_safety")] == "0-9"
    assert shown[("requests", "received")] == "19"
    assert shown[("people", "specified")] == "28"
    assert shown[("people", "produced")] == "0-9"
    assert shown[("outcomes", "share_produced")] == "47%"
    assert shown[("time_to_decision", "median_hours")] == "24.0"
    assert shown[("time_to_decision", "p90_hours")] == "48.0"
    assert report.checkpoint.size == figures.entries


def test_wider_band_hides_more_and_withholds_durations(seeded: sessionmaker[Session]) -> None:
    with unit_of_work(seeded) as session:
        shown = _values(report_from_database(session, Q4, 20))
    assert shown[("by_agency_category", "law_enforcement")] == "0-19"
    assert shown[("requests", "received")] == "0-19"
    assert shown[("time_to_decision", "median_hours")] == "withheld"
    assert shown[("outcomes", "share_produced")] == "withheld"


def test_other_period_sees_only_its_request(seeded: sessionmaker[Session]) -> None:
    with unit_of_work(seeded) as session:
        report = report_from_database(session, parse_period("2026-09-01..2026-09-30"), 10)
    assert report.figures.requests == 1
    assert report.figures.outcomes["denied"] == 1
    assert report.figures.injunctions_in_force == 0


def test_csv_and_json_say_the_same(seeded: sessionmaker[Session]) -> None:
    with unit_of_work(seeded) as session:
        report = report_from_database(session, Q4, 10)
    document = json.loads(report.json_text())
    assert document["checkpoint"]["size"] == report.checkpoint.size
    assert document["banding"] == {"width": 10, "below": "0-9"}
    lines = list(csv.reader(io.StringIO(report.csv_text())))
    assert lines[0] == ["section", "item", "value"]
    from_csv = {(s, i): v for s, i, v in lines[1:] if s not in ("report", "policy_versions")}
    from_json = {(f["section"], f["item"]): f["value"] for f in document["figures"]}
    assert from_csv == from_json


@pytest.mark.parametrize("text", ["2026Q5", "2026-02-30..2026-03-01", "2026-03-02..2026-03-01", ""])
def test_bad_periods_name_the_field(text: str) -> None:
    with pytest.raises(BadPeriod) as caught:
        parse_period(text)
    assert caught.value.field == "period"
