"""The public report and log pages through the app, on both databases: figures as the seeded
history gives them, charts drawn without script, the checkpoint named, downloads that agree."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from haven.db import unit_of_work
from haven.disclosure.events import DisclosureEvent
from haven.ledger.service import latest_checkpoint
from haven.ledger.store import append
from tests.transparency.support import app_sessions, integrator_of


def test_report_page_shows_banded_figures_and_checkpoint(seeded_client: TestClient) -> None:
    response = seeded_client.get("/transparency", params={"period": "2026Q4"})
    assert response.status_code == 200
    page = response.text
    with unit_of_work(app_sessions(seeded_client)) as session:
        checkpoint = latest_checkpoint(session)
        assert checkpoint is not None
        size = checkpoint.size
    assert f'<code id="checkpoint-size">{size}</code>' in page
    assert "shown as 0-9" in page
    assert page.count("<svg") == 4
    assert "<script>" not in page
    assert "style=" not in page
    assert '<th scope="row">law enforcement</th><td>10</td>' in page
    assert '<th scope="row">health</th><td>0-9</td>' in page


def test_default_period_is_this_quarter(seeded_client: TestClient) -> None:
    # The clock stands at 2026-11-30.
    assert "2026Q4" in seeded_client.get("/transparency").text


def test_downloads_agree_with_each_other(seeded_client: TestClient) -> None:
    document = seeded_client.get("/transparency/report.json?period=2026Q4").json()
    csv_text = seeded_client.get("/transparency/report.csv?period=2026Q4")
    assert csv_text.headers["content-type"].startswith("text/csv")
    for figure in document["figures"]:
        assert f"{figure['section']},{figure['item']},{figure['value']}" in csv_text.text


@pytest.mark.parametrize("path", ["/transparency/report.json", "/transparency/report.csv"])
def test_bad_period_is_a_422_naming_the_field(seeded_client: TestClient, path: str) -> None:
    response = seeded_client.get(path, params={"period": "last year"})
    assert response.status_code == 422
    assert response.json()["field"] == "period"


def test_bad_period_on_the_page_is_a_page(seeded_client: TestClient) -> None:
    response = seeded_client.get("/transparency", params={"period": "2026Q9"})
    assert response.status_code == 422
    assert "<html" in response.text


def test_log_page_shows_checkpoint_key_and_entries(seeded_client: TestClient) -> None:
    response = seeded_client.get("/transparency/log")
    assert response.status_code == 200
    key = seeded_client.get("/log/key").text.strip()
    assert key in response.text
    assert "disclosure:request:received" in response.text
    assert "/transparency/policy" in response.text
    earliest = seeded_client.get("/transparency/log", params={"from": 0})
    assert "disclosure:policy:installed" in earliest.text
    assert json.dumps("subject_tags") not in earliest.text


def test_a_new_checkpoint_gives_a_new_report(seeded_client: TestClient) -> None:
    first = seeded_client.get("/transparency/report.json?period=2026Q4").json()
    assert seeded_client.get("/transparency/report.json?period=2026Q4").json() == first
    with unit_of_work(app_sessions(seeded_client)) as session:
        append(
            session,
            DisclosureEvent.REQUEST_RECEIVED,
            actor="system",
            time=datetime(2026, 11, 2, tzinfo=UTC),
            refs=["disclosure-request:NEW"],
            agency=2,
            basis="health_safety",
            individuals=1,
        )
    integrator_of(seeded_client).run_once()
    second = seeded_client.get("/transparency/report.json?period=2026Q4").json()
    assert second["checkpoint"]["size"] > first["checkpoint"]["size"]
    received = {(f["section"], f["item"]): f["value"] for f in second["figures"]}
    assert received[("requests", "received")] == "20"
