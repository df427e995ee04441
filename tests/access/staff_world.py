"""Two offices with appointments today, tomorrow and later, and one account per role, for the
staff page, scope and log tests. Each member of staff gets their own signed-in browser."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.access.models import Role
from haven.access.sessions import AccessPolicy
from haven.clock import ManualClock
from haven.db import unit_of_work
from haven.vault.keys import Keyring
from tests import factories
from tests.access.people_support import appointment
from tests.access.support import Staff, add_staff, grant
from tests.access.web_support import sign_in

# TEST_NOW is Monday 30 November 2026, 10:00 in New York. Times below are New York wall times.
MONDAY_11 = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
TUESDAY_10 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
THURSDAY_10 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    office_a: int
    office_b: int
    service_a: int
    today_a: int  # appointment ids
    tomorrow_a: int
    thursday_a: int
    today_b: int
    code_a: str
    code_b: str
    staff: dict[str, Staff]


def build_world(
    sessions: sessionmaker[Session], clock: ManualClock, keyring: Keyring, policy: AccessPolicy
) -> World:
    with unit_of_work(sessions) as session:
        a = factories.office(session, slug="downtown")
        b = factories.office(session, slug="uptown")
        service_a = factories.service(session, a)
        service_b = factories.service(session, b)
        today_a, _ = appointment(
            session, keyring, clock, a, service_a, MONDAY_11, name="Alma Canary"
        )
        tomorrow_a, _ = appointment(
            session, keyring, clock, a, service_a, TUESDAY_10, name="Tomas Canary"
        )
        thursday_a, _ = appointment(
            session, keyring, clock, a, service_a, THURSDAY_10, name="Thea Canary"
        )
        today_b, _ = appointment(
            session, keyring, clock, b, service_b, MONDAY_11, name="Bruno Canary"
        )
        ids = (a.id, b.id, service_a.id, today_a.id, tomorrow_a.id, thursday_a.id, today_b.id)
        codes = (today_a.confirmation_code, today_b.confirmation_code)
    staff = {
        "clerk_a": add_staff(sessions, clock, keyring, policy, "clerka", grant(Role.CLERK, ids[0])),
        "clerk_b": add_staff(sessions, clock, keyring, policy, "clerkb", grant(Role.CLERK, ids[1])),
        "manager_a": add_staff(
            sessions, clock, keyring, policy, "managera", grant(Role.MANAGER, ids[0])
        ),
        "auditor": add_staff(
            sessions, clock, keyring, policy, "audrey", grant(Role.AUDITOR), with_second_factor=True
        ),
        "privacy": add_staff(
            sessions,
            clock,
            keyring,
            policy,
            "priya",
            grant(Role.PRIVACY_OFFICER),
            with_second_factor=True,
        ),
        "admin": add_staff(
            sessions, clock, keyring, policy, "adam", grant(Role.ADMIN), with_second_factor=True
        ),
    }
    return World(*ids, *codes, staff=staff)


def browser(app_client: TestClient, staff: Staff | None, clock: ManualClock) -> TestClient:
    """A separate browser (cookie jar) on the same app, signed in as `staff` (None: nobody)."""
    client = TestClient(app_client.app)
    if staff is not None:
        response = sign_in(client, staff, clock)
        assert response.status_code == 303, response.text
    return client
