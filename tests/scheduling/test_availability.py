"""Availability rules on real databases: hours, closures, resources, claims, notice, horizon."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy.orm import Session

from haven.clock import ManualClock
from haven.scheduling.availability import (
    NotOnSlotGrid,
    OfficeClosed,
    OutsideOpeningHours,
    TooFarAhead,
    TooSoon,
    check_bookable,
    find_slots,
)
from tests import factories

TUESDAY = date(2026, 12, 1)


def _local_times(slots: list) -> list[str]:  # type: ignore[type-arg]
    return [f"{s.local_start:%H:%M}" for s in slots]


def test_slots_follow_the_grid_of_each_opening_interval(
    session: Session, clock: ManualClock
) -> None:
    office = factories.office(session, opens=time(9, 0), closes=time(11, 0))
    service = factories.service(session, office, duration_minutes=30, buffer_minutes=10)
    slots = find_slots(
        session,
        office_id=office.id,
        service_id=service.id,
        start=TUESDAY,
        end=TUESDAY,
        now=clock.now(),
    )
    assert _local_times(slots) == ["09:00", "09:40", "10:20"]
    assert all(s.starts_at.tzinfo is UTC for s in slots)
    assert slots[0].starts_at == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    assert slots[0].claim_ends_at - slots[0].starts_at == timedelta(minutes=40)


def test_check_bookable_names_the_broken_rule(session: Session, clock: ManualClock) -> None:
    office = factories.office(session)
    service = factories.service(session, office, max_days_ahead=10)
    factories.closure(session, office, date(2026, 12, 2))
    ids = dict(session=session, office_id=office.id, service_id=service.id, now=clock.now())
    with pytest.raises(TooSoon):
        check_bookable(**ids, starts_at=clock.now() + timedelta(minutes=30))  # type: ignore[arg-type]
    with pytest.raises(TooFarAhead):
        check_bookable(**ids, starts_at=datetime(2026, 12, 14, 14, 0, tzinfo=UTC))  # type: ignore[arg-type]
    with pytest.raises(OfficeClosed):
        check_bookable(**ids, starts_at=datetime(2026, 12, 2, 14, 0, tzinfo=UTC))  # type: ignore[arg-type]
    with pytest.raises(OutsideOpeningHours):
        check_bookable(**ids, starts_at=datetime(2026, 12, 1, 13, 0, tzinfo=UTC))  # type: ignore[arg-type]
    with pytest.raises(NotOnSlotGrid):
        check_bookable(**ids, starts_at=datetime(2026, 12, 1, 14, 10, tzinfo=UTC))  # type: ignore[arg-type]
    assert check_bookable(**ids, starts_at=datetime(2026, 12, 1, 14, 0, tzinfo=UTC)) == [  # type: ignore[arg-type]
        service.resources[0].id
    ]
