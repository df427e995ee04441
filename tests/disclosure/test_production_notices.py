"""Notices per basis after a production: a (b)(8) emergency queues a notice to the person,
due within 10 working days; a written delayed-notice order holds it and hides the accounting
from the person until it ends; the auditor always sees the entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.disclosure import accounting, delivery, service
from haven.disclosure.models import AccountingEntry, NoticeStatus, RequestStatus
from haven.vault.keys import Keyring
from tests.disclosure.support import TARGET_NAME, AgencyApi, World, approve_by_both, produce


def _emergency() -> dict[str, Any]:
    return {
        "official_name": "Dr Lee Example",
        "official_title": "County Health Officer",
        "official_level": "division_head",
        "legal_basis": "health_safety_emergency",
        "purpose": "health_safety",
        "imminent_harm": "Exposure to an outbreak at the office: the person must be reached today",
        "individuals": [{"name": TARGET_NAME, "phone": "+1 202 555 0111"}],
        "data_elements": ["identity", "contact"],
    }


def _produced(
    api: AgencyApi,
    world: World,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    settings: Settings,
) -> str:
    answer = api.submit(_emergency())
    assert answer.json()["status"] == "in-review", answer.text
    public_id: str = answer.json()["id"]
    with unit_of_work(sessions) as session:
        request = service.get_request(session, public_id)
        approve_by_both(session, keyring, clock, world, request)
        produce(session, keyring, clock, settings, request)
    return public_id


def test_an_emergency_disclosure_queues_a_notice_due_within_ten_working_days(
    app_client: Any,
    world: World,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    settings: Settings,
) -> None:
    health = AgencyApi(app_client, world.health, clock)
    public_id = _produced(health, world, sessions, clock, keyring, settings)
    with unit_of_work(sessions) as session:
        request = service.get_request(session, public_id)
        [notice] = delivery.handle_notice(session, clock, request, actor="staff:2")
        decision = service.latest_decision(request)
        assert decision is not None
        assert decision.notice_due is not None
        assert (notice.status, notice.channel) == (NoticeStatus.QUEUED, "sms")
        assert notice.due_by is not None
        assert notice.due_by.date() == decision.notice_due
        # 10 working days: two weeks at most, plus holidays.
        assert timedelta(days=10) <= notice.due_by - clock.now() <= timedelta(days=20)
        assert request.status == RequestStatus.NOTICED
        lines = accounting.for_person(
            session, keyring, clock.now(), person_id=world.target_person_id
        )
        assert [line.disclosure.recipient_name for line in lines] == ["County Health Department"]


def test_a_delayed_notice_order_holds_the_notice_and_hides_the_accounting_until_it_ends(
    app_client: Any,
    world: World,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    settings: Settings,
) -> None:
    health = AgencyApi(app_client, world.health, clock)
    public_id = _produced(health, world, sessions, clock, keyring, settings)
    order_ends = datetime(2027, 3, 1, tzinfo=UTC)
    with unit_of_work(sessions) as session:
        request = service.get_request(session, public_id)
        [notice] = delivery.handle_notice(
            session, clock, request, actor="staff:2", delayed_until=order_ends
        )
        assert notice.status == NoticeStatus.DELAYED
        assert request.status == RequestStatus.NOTICE_DELAYED
        person = world.target_person_id
        assert accounting.for_person(session, keyring, clock.now(), person_id=person) == []
        [entry] = session.scalars(
            sa.select(AccountingEntry).where(AccountingEntry.person_id == person)
        )
        assert entry.delayed_until == order_ends
        assert len(accounting.for_person(session, keyring, order_ends, person_id=person)) == 1


def test_a_law_enforcement_disclosure_owes_no_notice_and_is_hidden_from_the_person(
    agency_api: AgencyApi,
    world: World,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    settings: Settings,
) -> None:
    request_body = {
        "official_name": "Pat Example",
        "official_title": "Section Chief, Violent Crimes",
        "official_level": "section_chief",
        "legal_basis": "law_enforcement",
        "purpose": "criminal",
        "records_named": "visit history of the person named",
        "activity": "prosecution of an indicted armed robbery",
        "crime_serious_or_violent": True,
        "subject_indicted_or_convicted": True,
        "individuals": [{"name": TARGET_NAME, "phone": "+12025550111"}],
        "data_elements": ["identity", "appointment_history"],
    }
    answer = agency_api.submit(request_body)
    assert answer.json()["status"] == "in-review", answer.text
    with unit_of_work(sessions) as session:
        request = service.get_request(session, answer.json()["id"])
        approve_by_both(session, keyring, clock, world, request)
        produce(session, keyring, clock, settings, request)
        [notice] = delivery.handle_notice(session, clock, request, actor="staff:2")
        assert notice.status == NoticeStatus.NOT_REQUIRED
        assert request.status == RequestStatus.NOTICED
        person = world.target_person_id
        assert accounting.for_person(session, keyring, clock.now(), person_id=person) == []
        [entry] = session.scalars(
            sa.select(AccountingEntry).where(AccountingEntry.person_id == person)
        )
        assert entry.basis == "law_enforcement"
        assert entry.hidden_from_person
