"""The disclosure tests' world, arranged through the real actions, and an agency's API client
that signs its calls the way an agency would (haven.disclosure.client)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.access.models import Role
from haven.access.principal import StaffPrincipal
from haven.access.second_factor import STEP_SECONDS, code_at
from haven.access.sessions import AccessPolicy
from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.disclosure import delivery, examples, review, service
from haven.disclosure.client import AgencySigner, request_body
from haven.disclosure.models import AgencyCategory
from haven.disclosure.production import load_office_signer
from haven.ledger.models import LogEntry
from haven.scheduling.models import Appointment, AppointmentStatus
from haven.vault.keys import Keyring
from tests import factories
from tests.access.people_support import appointment
from tests.access.support import Staff, add_staff, grant

API = "/api/v1/disclosure-requests"
TARGET_NAME = "Rosa Example"
TARGET_PHONE = "+12025550111"
# Monday 2026-12-07, the week after the test clock's Monday 2026-11-30.
NEXT_WEEK = datetime.fromisoformat("2026-12-07T00:00:00+00:00")
WARRANT_PDF = b"%PDF-1.4 fictional warrant for tests\n%%EOF\n"


@dataclass(frozen=True)
class Agency:
    agency_id: int
    name: str
    signer: AgencySigner


@dataclass(frozen=True)
class World:
    office_id: int
    target_person_id: int
    immigration: Agency
    health: Agency
    intake: Staff
    privacy_officer: Staff
    counsel: Staff
    second_privacy_officer: Staff


def arrange_world(
    sessions: sessionmaker[Session], clock: ManualClock, keyring: Keyring, policy: AccessPolicy
) -> World:
    with unit_of_work(sessions) as session:
        office = factories.office(session, slug="downtown")
        svc = factories.service(session, office)
        target, _ = appointment(
            session,
            keyring,
            clock,
            office,
            svc,
            NEXT_WEEK + timedelta(hours=15),
            name=TARGET_NAME,
            phone=TARGET_PHONE,
        )
        _past_visit(session, target, datetime.fromisoformat("2026-11-16T15:00Z"))
        for hour, phone in ((14, "+12025550122"), (16, "+12025550133")):
            appointment(
                session,
                keyring,
                clock,
                office,
                svc,
                NEXT_WEEK + timedelta(hours=hour),
                name="Someone Else",
                phone=phone,
            )
        immigration = _agency(
            session,
            clock,
            "Immigration Enforcement Field Office",
            AgencyCategory.IMMIGRATION_ENFORCEMENT,
            "ice-field-2026",
        )
        health = _agency(
            session, clock, "County Health Department", AgencyCategory.HEALTH, "county-health-1"
        )
        office_id, person_id = office.id, target.person_id
    staff = [
        add_staff(sessions, clock, keyring, policy, name, grant(role), with_second_factor=True)
        for name, role in (
            ("intake", Role.PRIVACY_OFFICER),
            ("privacy", Role.PRIVACY_OFFICER),
            ("counsel", Role.COUNSEL),
            ("privacy-two", Role.PRIVACY_OFFICER),
        )
    ]
    return World(office_id, person_id, immigration, health, *staff)


def _past_visit(session: Session, booked: Appointment, starts_at: datetime) -> None:
    """A served visit of the same person, earlier."""
    session.add(
        Appointment(
            office_id=booked.office_id,
            service_id=booked.service_id,
            person_id=booked.person_id,
            starts_at=starts_at,
            ends_at=starts_at + (booked.ends_at - booked.starts_at),
            status=AppointmentStatus.SERVED,
            language="en",
            interpreter_language=None,
            accommodations=[],
            confirmation_code="PASTVISIT1",
            manage_token_hash="0" * 64,
            created_at=starts_at,
            updated_at=starts_at,
        )
    )


def _agency(
    session: Session, clock: ManualClock, name: str, category: AgencyCategory, key_id: str
) -> Agency:
    signer = AgencySigner.generate(key_id)
    agency = service.register_agency(
        session,
        clock,
        actor="system",
        name=name,
        category=category,
        address="1 Federal Plaza, Example City",
        contact="liaison@example.gov",
    )
    service.add_agency_key(
        session,
        clock,
        actor="system",
        agency_id=agency.id,
        key_id=key_id,
        public_key=signer.public_bytes,
        valid_from=clock.now() - timedelta(days=1),
        valid_until=clock.now() + timedelta(days=365),
    )
    return Agency(agency.id, name, signer)


class AgencyApi:
    """An agency calling the API: every call signed with its key at the clock's time."""

    def __init__(self, client: TestClient, agency: Agency, clock: ManualClock) -> None:
        self.client = client
        self.agency = agency
        self.clock = clock

    def headers(self, method: str, path: str, body: bytes, **kwargs: Any) -> dict[str, str]:
        created = kwargs.pop("created", self.clock.now())
        return self.agency.signer.sign(method, path, body, created=created, **kwargs)

    def submit(self, payload: dict[str, Any]) -> httpx.Response:
        body = request_body(payload)
        headers = {"Content-Type": "application/json", **self.headers("POST", API, body)}
        return self.client.post(API, content=body, headers=headers)

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path, headers=self.headers("GET", path, b""))


def bulk_request(office_id: int) -> dict[str, Any]:
    """Scenario step 1: every appointment at one office next week, for civil enforcement."""
    return examples.bulk_request(office_id, NEXT_WEEK)


def warrant_request(office_id: int, elements: list[str] | None = None) -> dict[str, Any]:
    """Scenario step 3: a judicial warrant naming one person with a name and a phone number."""
    person = {"name": TARGET_NAME, "phone": "(202) 555-0111"}
    if elements is None:
        return examples.warrant_request(office_id, person, WARRANT_PDF)
    return examples.warrant_request(office_id, person, WARRANT_PDF, elements)


def reviewer(staff: Staff, role: Role, clock: ManualClock) -> review.Signature:
    """A reviewer's signature: their principal and a fresh authenticator code."""
    assert staff.enrolment is not None
    clock.advance(timedelta(seconds=STEP_SECONDS))
    principal = StaffPrincipal(
        account_id=staff.account_id,
        session_id=0,
        display_name=staff.username,
        offices_by_role=MappingProxyType({role: frozenset()}),
    )
    return review.Signature(principal, code_at(staff.enrolment.secret, clock.now()))


def entries(sessions: sessionmaker[Session], prefix: str = "") -> list[dict[str, Any]]:
    with unit_of_work(sessions) as session:
        rows = session.scalars(sa.select(LogEntry.data).order_by(LogEntry.index)).all()
    return [e for e in (json.loads(r) for r in rows) if e["kind"].startswith(prefix)]


def approve_by_both(
    session: Session, keyring: Keyring, clock: ManualClock, world: World, request: Any
) -> None:
    """The privacy officer and counsel each approve, with fresh codes."""
    for staff, role in (
        (world.privacy_officer, Role.PRIVACY_OFFICER),
        (world.counsel, Role.COUNSEL),
    ):
        review.approve(session, keyring, clock, request, reviewer(staff, role, clock))


def produce(
    session: Session, keyring: Keyring, clock: ManualClock, settings: Settings, request: Any
) -> None:
    """Produce as a member of staff, signed with the office key the app uses."""
    delivery.produce(
        session, keyring, clock, load_office_signer(settings), request, actor="staff:1"
    )
