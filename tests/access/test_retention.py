"""Retention: keys destroyed N days after the last visit; afterwards every read path says the
record is gone, no route or command returns the name, and the ledger still verifies."""

from __future__ import annotations

from datetime import timedelta

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
from haven.ledger.service import publish_checkpoint
from haven.ledger.store import integrate
from haven.ledger.verify import DatabaseLog, audit
from haven.scheduling.retention import people_due, run_retention
from haven.vault.errors import PersonGone
from haven.vault.events import RetentionEvent
from haven.vault.keys import Keyring, load_keyring
from haven.vault.models import PersonRecord
from haven.vault.reads import ReadPurpose, read_people
from haven.vault.service import PersonData, seal_person
from haven.worker import Worker, WorkerContext
from tests import factories
from tests.access.people_support import appointment, entries, raw_ledger
from tests.conftest import TEST_NOW
from tests.scheduling.booking_support import arrange_desk, request_body, tuesday

DAYS = 30


@pytest.fixture
def keyring(settings: Settings) -> Keyring:
    # The app under test loads the same key files from settings.home.
    return load_keyring(settings)


def _arrange(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock
) -> dict[str, object]:
    """Past visitor (ended yesterday), returning visitor (also booked next month)."""
    with unit_of_work(sessions) as session:
        office = factories.office(session)
        service = factories.service(session, office)
        past, past_token = appointment(
            session,
            keyring,
            clock,
            office,
            service,
            TEST_NOW - timedelta(days=1),
            name="Pat Canary",
        )
        appointment(
            session,
            keyring,
            clock,
            office,
            service,
            TEST_NOW - timedelta(days=2),
            name="Ray Canary",
        )
        later, _ = appointment(
            session,
            keyring,
            clock,
            office,
            service,
            TEST_NOW + timedelta(days=35),
            name="Ray Canary",
        )
        return {"past": past.person_id, "token": past_token, "kept": later.person_id}


def test_keys_are_destroyed_only_after_the_retention_period(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock
) -> None:
    people = _arrange(sessions, keyring, clock)
    clock.advance(timedelta(days=DAYS - 2))
    assert run_retention(sessions, keyring, clock, retention_days=DAYS).shredded == 0
    clock.advance(timedelta(days=2))
    # Ray's second visit (a separate record here) ended 2 days ago too, so two are due.
    assert run_retention(sessions, keyring, clock, retention_days=DAYS).shredded == 2
    assert run_retention(sessions, keyring, clock, retention_days=DAYS).shredded == 0
    with unit_of_work(sessions) as session:
        past = session.get(PersonRecord, people["past"])
        kept = session.get(PersonRecord, people["kept"])
        assert past is not None
        assert kept is not None
        assert past.wrapped_data_key is None
        assert past.wrapped_tag_key is None
        assert past.contact_index == ""
        assert past.shredded_at == clock.now()
        assert kept.shredded_at is None
        shredded = entries(session, RetentionEvent.PERSON_SHREDDED)
        assert len(shredded) == 2
        assert all(e["retention_days"] == DAYS and len(e["subject_tags"]) == 1 for e in shredded)
        assert b"Canary" not in raw_ledger(session)
        with pytest.raises(PersonGone):
            read_people(
                session,
                keyring,
                clock,
                actor="public",
                purpose=ReadPurpose.OWN_REQUEST,
                person_ids=[people["past"]],
            ).person(int(people["past"]))  # type: ignore[call-overload]


def test_after_shredding_no_route_returns_the_name_and_the_ledger_verifies(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    settings: Settings,
    app_client: TestClient,
) -> None:
    people = _arrange(sessions, keyring, clock)
    token = people["token"]
    assert "Pat Canary" in app_client.get(f"/appointments/manage/{token}").text
    clock.advance(timedelta(days=DAYS))
    worker = Worker(
        WorkerContext(
            settings.model_copy(update={"retention_days": DAYS}), clock, sessions, keyring
        )
    )
    assert worker.run_round()["retention"] == 2
    for path in (
        f"/api/v1/appointments/manage/{token}",
        f"/appointments/manage/{token}",
        f"/appointments/manage/{token}/confirmation",
        f"/appointments/manage/{token}/cancel",
        f"/appointments/manage/{token}/calendar.ics",
    ):
        response = app_client.get(path)
        assert "Canary" not in response.text, path
        assert response.status_code in (410, 200), path
    api = app_client.get(f"/api/v1/appointments/manage/{token}")
    assert api.status_code == 410
    assert api.json()["error"] == "person_gone"
    page = app_client.get(f"/appointments/manage/{token}")
    assert page.status_code == 410
    assert "have been deleted, as our rules require" in page.text
    signer = load_log_signer(settings)
    with unit_of_work(sessions) as session:
        integrate(session)
        publish_checkpoint(session, signer, clock)
    with unit_of_work(sessions) as session:
        result = audit(DatabaseLog(session), signer.verifier)
    assert result.ok, result.findings


def test_haven_worker_once_runs_retention_from_the_command_line(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _arrange(sessions, keyring, clock)
    monkeypatch.setenv("HAVEN_HOME", str(settings.home))
    monkeypatch.setenv("HAVEN_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setenv("HAVEN_RETENTION_DAYS", str(DAYS))
    # Dev mode lets messages fall back to the file outbox; without it the worker refuses to
    # start until a real channel is configured (fail closed), which is not what this tests.
    monkeypatch.setenv("HAVEN_DEV_MODE", "true")
    as_of = (TEST_NOW + timedelta(days=DAYS)).strftime("%Y-%m-%dT%H:%M:%S%z")
    result = CliRunner().invoke(cli, ["worker", "--once", "--as-of", as_of])
    assert result.exit_code == 0, result.output
    assert "retention: 2" in result.output
    assert "Canary" not in result.output
    # Nor does any command that reads what is stored afterwards.
    for command in (["log", "tail", "--limit", "100"], ["log", "show", "0"]):
        shown = CliRunner().invoke(cli, command)
        assert shown.exit_code == 0, (command, shown.output)
        assert "Canary" not in shown.output
    with unit_of_work(sessions) as session:
        assert (
            session.scalar(sa.select(sa.func.count()).where(PersonRecord.shredded_at.is_not(None)))
            == 2
        )


def test_a_service_may_keep_records_longer_than_the_default(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock
) -> None:
    with unit_of_work(sessions) as session:
        office = factories.office(session)
        short = factories.service(session, office, slug="id-card")
        long = factories.service(session, office, slug="benefits-appeal")
        long.retention_days = 365
        ended = TEST_NOW - timedelta(days=1)
        quick, _ = appointment(session, keyring, clock, office, short, ended, name="Q Canary")
        kept, _ = appointment(session, keyring, clock, office, long, ended, name="K Canary")
        quick_id, kept_id = quick.person_id, kept.person_id
    clock.advance(timedelta(days=DAYS))
    assert run_retention(sessions, keyring, clock, retention_days=DAYS).shredded == 1
    clock.advance(timedelta(days=365 - DAYS))
    assert run_retention(sessions, keyring, clock, retention_days=DAYS).shredded == 1
    with unit_of_work(sessions) as session:
        [first, second] = entries(session, RetentionEvent.PERSON_SHREDDED)
        assert (first["retention_days"], second["retention_days"]) == (DAYS, 365)
        assert (
            session.get(PersonRecord, quick_id).shredded_at
            < session.get(  # type: ignore[union-attr]
                PersonRecord, kept_id
            ).shredded_at
        )


def test_a_booking_retried_after_shredding_answers_gone_not_an_error(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    app_client: TestClient,
) -> None:
    desk = arrange_desk(sessions)
    body = request_body(desk, tuesday(9), name="Retry Canary")
    headers = {"Idempotency-Key": "retry-after-shredding"}
    assert app_client.post("/api/v1/appointments", json=body, headers=headers).status_code == 201
    clock.advance(timedelta(days=DAYS + 2))
    assert run_retention(sessions, keyring, clock, retention_days=DAYS).shredded == 1
    again = app_client.post("/api/v1/appointments", json=body, headers=headers)
    assert again.status_code == 410
    assert "Canary" not in again.text


def test_a_person_who_never_booked_is_forgotten_after_the_default_retention(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock
) -> None:
    """A waitlist sign-up that never became an appointment still leaves on schedule."""
    with unit_of_work(sessions) as session:
        waiting = seal_person(
            session, keyring, clock, PersonData(name="Wanda", phone="+12025550199")
        )
    with unit_of_work(sessions) as session:
        assert waiting.id not in people_due(session, clock.now() + timedelta(days=89), 90, limit=10)
        assert waiting.id in people_due(session, clock.now() + timedelta(days=91), 90, limit=10)
