"""Scope: a clerk of office A reaches no record of office B by any route the app serves (pages,
API, htmx fragments, ids guessed in addresses and forms), and nothing outside their days."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.access.sessions import AccessPolicy
from haven.clock import ManualClock
from haven.db import unit_of_work
from haven.scheduling.models import Appointment, AppointmentStatus
from haven.vault.keys import Keyring
from haven.vault.service import person_tag_key
from tests.access.people_support import entries
from tests.access.staff_world import World, browser, build_world
from tests.access.test_authorization_matrix import served_routes
from tests.web.page_support import read

_PARAM = re.compile(r"\{([a-z_]+)(?::[a-z]+)?\}")


@pytest.fixture
def world(
    sessions: sessionmaker[Session], clock: ManualClock, keyring: Keyring, policy: AccessPolicy
) -> World:
    return build_world(sessions, clock, keyring, policy)


def _urls(path: str, world: World) -> set[str]:
    """The route's address with office B's ids, and A's office with B's or made-up ids."""
    variants = [
        {"office_id": world.office_b, "appointment_id": world.today_b},
        {"office_id": world.office_a, "appointment_id": world.today_b},
        {"office_id": world.office_b, "appointment_id": world.today_a},
        {"office_id": world.office_a, "appointment_id": 999_999},
    ]
    urls = set()
    for values in variants:
        for action in ("check-in", "served", "no-show"):
            named = {**values, "action": action, "office_slug": "uptown", "path": "0/000"}
            urls.add(_PARAM.sub(lambda m, v=named: str(v.get(m.group(1), "1")), path))
    return urls


def test_a_clerk_of_office_a_reaches_no_record_of_office_b_by_any_route(
    app_client: TestClient,
    world: World,
    clock: ManualClock,
    sessions: sessionmaker[Session],
    keyring: Keyring,
) -> None:
    clerk = browser(app_client, world.staff["clerk_a"], clock)
    csrf = read(clerk.get("/staff/clerk")).form("").fields.get("csrf_token", [""])[0]
    form = {
        "csrf_token": csrf,
        "confirmation_code": world.code_b,
        "purpose": "serve-visit",
        "reason": "guessing other offices' records to see what comes back",
        "name": "x",
        "service": "1",
        "language": "en",
    }
    tried = 0
    for method, path in sorted(set(served_routes(app_client.app))):  # type: ignore[arg-type]
        if method not in ("GET", "POST") or path.startswith(("/staff/sign", "/staff/admin")):
            continue
        for url in _urls(path, world):
            for query, headers in (("", {}), ("?purpose=check-in", {"HX-Request": "true"})):
                response = clerk.request(
                    method,
                    url + query,
                    data=form if method == "POST" else None,
                    headers=headers,
                    follow_redirects=False,
                )
                tried += 1
                assert response.status_code < 500, (method, url)
                assert "Bruno" not in response.text, (method, url + query)
    assert tried > 100
    with unit_of_work(sessions) as session:
        b_visit = session.get(Appointment, world.today_b)
        assert b_visit is not None
        assert b_visit.status == AppointmentStatus.BOOKED
        b_tag_key = person_tag_key(session, keyring, b_visit.person_id)
        for entry in entries(session):
            # /my's one-time code is a public route: given B's confirmation code it opens B's
            # contact to send B a code, to B, never to the caller. That read is the person's
            # own (actor "public"); what must never happen is a read made by or for the clerk.
            if entry["actor"] == "public":
                continue
            nonce = bytes.fromhex(entry["nonce"])
            b_tag = hmac.new(b_tag_key, nonce, hashlib.sha256).hexdigest()
            assert b_tag not in entry["subject_tags"], (entry["kind"], entry["actor"])


def test_guessed_ids_outside_the_clerks_days_answer_like_ids_that_do_not_exist(
    app_client: TestClient, world: World, clock: ManualClock
) -> None:
    clerk = browser(app_client, world.staff["clerk_a"], clock)
    base = f"/staff/clerk/{world.office_a}/appointments"
    later = clerk.get(f"{base}/{world.thursday_a}")
    missing = clerk.get(f"{base}/999999")
    other = clerk.get(f"{base}/{world.today_b}")
    assert later.status_code == missing.status_code == other.status_code == 404
    assert "Thea" not in later.text
    assert clerk.get(f"{base}/{world.tomorrow_a}").status_code == 200
    assert clerk.get(f"/staff/clerk/{world.office_b}").status_code == 403
