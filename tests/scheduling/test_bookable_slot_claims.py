"""Checking one start time reads the schedule and the claims around it in one statement, on both
databases, and still sees every claim in the way: at the edges of the slot, live holds but not
expired ones, and claims longer than the window read along with the schedule."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from haven.clock import ManualClock
from haven.scheduling.availability import bookable_slot_and_schedule
from haven.scheduling.models import Resource, Service
from haven.scheduling.office_schedule import CLAIMS_WINDOW
from tests import factories
from tests.scheduling.booking_support import tuesday
from tests.scheduling.claims import hold_claim, live_hold


@contextmanager
def _counted(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = session.get_bind()

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _desk(session: Session, *, buffer_minutes: int = 0) -> tuple[Service, Resource]:
    office = factories.office(session)
    counter = factories.resource(session, office)
    service = factories.service(session, office, resources=[counter], buffer_minutes=buffer_minutes)
    return service, counter


def _free(session: Session, service: Service, starts_at: datetime, now: datetime) -> bool:
    slot, _schedule = bookable_slot_and_schedule(
        session,
        office_id=service.office_id,
        service_id=service.id,
        starts_at=starts_at,
        now=now,
    )
    return slot is not None and bool(slot.resource_ids)


def test_one_statement_answers_whether_a_time_is_free(session: Session, clock: ManualClock) -> None:
    service, _ = _desk(session)
    session.execute(sa.text("SELECT 1"))  # begin outside the count
    with _counted(session) as statements:
        slot, _schedule = bookable_slot_and_schedule(
            session,
            office_id=service.office_id,
            service_id=service.id,
            starts_at=tuesday(10),
            now=clock.now(),
        )
    assert slot is not None
    assert len(statements) == 1


@pytest.mark.parametrize(
    ("claim_start", "claim_minutes", "free"),
    [
        pytest.param((9, 30), 30, True, id="ends-as-the-slot-starts"),
        pytest.param((10, 30), 30, True, id="starts-as-the-slot-ends"),
        pytest.param((9, 45), 30, False, id="overlaps-the-start"),
        pytest.param((10, 15), 30, False, id="overlaps-the-end"),
        pytest.param((9, 0), 120, False, id="covers-the-slot"),
    ],
)
def test_claims_at_the_edges_of_the_slot(
    session: Session,
    clock: ManualClock,
    claim_start: tuple[int, int],
    claim_minutes: int,
    free: bool,
) -> None:
    service, counter = _desk(session)
    live_hold(session, service, counter, tuesday(*claim_start), claim_minutes)
    assert _free(session, service, tuesday(10), clock.now()) is free


def test_an_expired_hold_is_no_claim(session: Session, clock: ManualClock) -> None:
    service, counter = _desk(session)
    hold_claim(
        session,
        service,
        counter,
        tuesday(10),
        tuesday(10, 30),
        expires_at=clock.now() - timedelta(seconds=1),
    )
    assert _free(session, service, tuesday(10), clock.now())


def test_a_claim_longer_than_the_window_is_still_seen(session: Session, clock: ManualClock) -> None:
    """A service whose buffer makes its claims longer than the window read with the schedule:
    a claim that began more than the window before the slot still blocks it."""
    service, counter = _desk(session)
    long_buffer = int((CLAIMS_WINDOW + timedelta(hours=3)) / timedelta(minutes=1))
    long_service = factories.service(
        session,
        service.office,
        slug="long",
        resources=[counter],
        buffer_minutes=long_buffer,
    )
    # Monday 09:00 New York, to beyond Tuesday 10:30: longer than the window.
    starts = tuesday(9) - timedelta(days=1)
    ends = starts + CLAIMS_WINDOW + timedelta(hours=2)
    hold_claim(session, long_service, counter, starts, ends, expires_at=ends)
    clock.set(starts - timedelta(hours=2))
    assert starts < tuesday(10) - CLAIMS_WINDOW
    assert not _free(session, service, tuesday(10), clock.now())
    assert _free(session, service, tuesday(11), clock.now())
