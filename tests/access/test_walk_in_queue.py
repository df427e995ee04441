"""The walk-in queue through the app on both databases: the clerk issues tickets and calls
them, a checked-in appointment joins the same line at its booked time, the waiting-room screen
shows numbers and counters (no names, no script, reloads itself), the person's ticket page
shows their place and the estimated wait; two desks issuing at once get different numbers."""

from __future__ import annotations

import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.access.sessions import AccessPolicy
from haven.clock import ManualClock
from haven.db import unit_of_work
from haven.scheduling import walk_in_queue
from haven.scheduling.models import Office, Resource, ResourceKind, Service
from haven.scheduling.waitlist_models import QueueTicket
from haven.vault.keys import Keyring
from tests.access.staff_world import World, browser, build_world
from tests.web.page_support import read


@pytest.fixture
def world(
    sessions: sessionmaker[Session], clock: ManualClock, keyring: Keyring, policy: AccessPolicy
) -> World:
    return build_world(sessions, clock, keyring, policy)


def _issue(clerk: TestClient, world: World, language: str = "es") -> str:
    """Issue a ticket through the clerk's form; the path of the person's ticket page."""
    form = read(clerk.get(f"/staff/clerk/{world.office_a}/queue")).form("/queue/tickets")
    page = form.submit(clerk, service=str(world.service_a), language=language)
    assert page.status_code == 200, page.text
    return urlsplit(read(page).link("/queue/tickets/")).path


def _line(sessions: sessionmaker[Session]) -> list[tuple[int, str, int | None]]:
    with unit_of_work(sessions) as session:
        rows = session.execute(
            sa.select(QueueTicket.number, QueueTicket.status, QueueTicket.appointment_id).order_by(
                QueueTicket.queued_at, QueueTicket.number
            )
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_walk_ins_and_checked_in_appointments_share_one_line_in_time_order(
    app_client: TestClient, world: World, clock: ManualClock, sessions: sessionmaker[Session]
) -> None:
    clerk = browser(app_client, world.staff["clerk_a"], clock)
    first = _issue(clerk, world)  # 10:00, ticket 1
    day = read(clerk.get(f"/staff/clerk/{world.office_a}"))
    check_in = day.form(f"/appointments/{world.today_a}/check-in")
    assert check_in.submit(clerk).status_code == 303  # booked for 11:00: ticket 2
    clock.advance(timedelta(minutes=5))
    third = _issue(clerk, world, language="en")  # 10:05, ticket 3
    assert _line(sessions) == [
        (1, "waiting", None),
        (3, "waiting", None),
        (2, "waiting", world.today_a),
    ]
    person = TestClient(app_client.app)
    ticket = person.get(third)
    assert ticket.status_code == 200
    with unit_of_work(sessions) as session:
        minutes = session.get_one(Service, world.service_a).duration_minutes
        counters = session.scalar(
            sa.select(sa.func.count())
            .select_from(Resource)
            .where(Resource.office_id == world.office_a, Resource.kind == ResourceKind.COUNTER)
        )
    expected = round(minutes / max(1, counters or 0))
    assert "People before you: 1" in ticket.text
    assert f"Estimated wait: about {expected} minutes" in ticket.text
    assert 'hx-trigger="every ' in ticket.text  # it updates itself (htmx polling)

    call = read(clerk.get(f"/staff/clerk/{world.office_a}/queue")).form("/queue/call")
    assert call.submit(clerk, counter="4").status_code == 303
    assert "please go to counter 4" in person.get(first).text
    with unit_of_work(sessions) as session:
        slug = session.get_one(Office, world.office_a).slug
    screen = read(person.get(f"/offices/{slug}/queue"))
    assert screen.status_code == 200
    assert "Counter 4" in screen.text
    assert "Canary" not in screen.html  # the people booked in this world are all "... Canary"
    assert all(script.get("src") for script in screen.scripts)  # no inline code
    assert screen.inline_handlers == []
    assert 'hx-trigger="every ' in screen.html
    assert screen.lang == "en"


def test_served_only_after_a_call_and_no_show_from_the_line(
    app_client: TestClient, world: World, clock: ManualClock, sessions: sessionmaker[Session]
) -> None:
    clerk = browser(app_client, world.staff["clerk_a"], clock)
    _issue(clerk, world)
    _issue(clerk, world)
    with unit_of_work(sessions) as session:
        ids = list(session.scalars(sa.select(QueueTicket.id).order_by(QueueTicket.number)))
    token_form = read(clerk.get(f"/staff/clerk/{world.office_a}/queue")).form("/queue/call")
    csrf = token_form.fields["csrf_token"][0]
    base = f"/staff/clerk/{world.office_a}/queue"
    refused = clerk.post(
        f"{base}/{ids[1]}/served", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert refused.status_code == 409
    assert (
        clerk.post(
            f"{base}/call", data={"csrf_token": csrf, "counter": "1"}, follow_redirects=False
        ).status_code
        == 303
    )
    assert (
        clerk.post(
            f"{base}/{ids[0]}/served", data={"csrf_token": csrf}, follow_redirects=False
        ).status_code
        == 303
    )
    assert (
        clerk.post(
            f"{base}/{ids[1]}/no-show", data={"csrf_token": csrf}, follow_redirects=False
        ).status_code
        == 303
    )
    assert [status for _, status, _ in _line(sessions)] == ["served", "no-show"]
    other = clerk.post(
        f"/staff/clerk/{world.office_b}/queue/{ids[0]}/served", data={"csrf_token": csrf}
    )
    assert other.status_code == 403


def test_two_desks_issuing_at_once_get_different_numbers(
    world: World, clock: ManualClock, sessions: sessionmaker[Session]
) -> None:
    start = threading.Barrier(2)
    numbers: list[int] = []
    errors: list[BaseException] = []

    def desk() -> None:
        start.wait()
        try:
            with unit_of_work(sessions) as session:
                office = session.get_one(Office, world.office_a)
                issued = walk_in_queue.issue_ticket(
                    session,
                    clock,
                    actor="staff:test",
                    office=office,
                    service_id=world.service_a,
                    language="en",
                )
                numbers.append(issued.ticket.number)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=desk) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [1, 2]
