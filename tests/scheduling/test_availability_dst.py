"""Slots across daylight-saving changes: wall times hold, skipped times vanish, repeats once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from haven.clock import ManualClock
from haven.scheduling.availability import (
    NotOnSlotGrid,
    Slot,
    bookable_slot_and_schedule,
    find_slots,
)
from haven.scheduling.models import Service
from tests import factories

EVERY_DAY = list(range(7))


def _office_service(
    session: Session, zone: str, opens: time, closes: time, minutes: int
) -> Service:
    office = factories.office(
        session, timezone=zone, opens=opens, closes=closes, weekdays=EVERY_DAY
    )
    return factories.service(
        session, office, duration_minutes=minutes, min_notice_minutes=0, max_days_ahead=30
    )


def _find(session: Session, service: Service, start: date, end: date, now: datetime) -> list[Slot]:
    return find_slots(
        session,
        office_id=service.office_id,
        service_id=service.id,
        start=start,
        end=end,
        now=now,
    )


@pytest.mark.parametrize(
    ("zone", "change"),
    [
        ("America/New_York", date(2026, 3, 8)),
        ("America/New_York", date(2026, 11, 1)),
        ("Europe/Berlin", date(2026, 3, 29)),
        ("Europe/Berlin", date(2026, 10, 25)),
    ],
)
def test_a_nine_oclock_slot_stays_nine_oclock_across_the_change(
    session: Session, clock: ManualClock, zone: str, change: date
) -> None:
    clock.set(datetime.combine(change, time(), tzinfo=UTC) - timedelta(days=10))
    service = _office_service(session, zone, time(9), time(12), 60)
    first, last = change - timedelta(days=2), change + timedelta(days=2)
    slots = _find(session, service, first, last, clock.now())

    by_day: dict[date, list[str]] = {}
    for slot in slots:
        by_day.setdefault(slot.local_start.date(), []).append(f"{slot.local_start:%H:%M}")
    assert by_day == {first + timedelta(days=n): ["09:00", "10:00", "11:00"] for n in range(5)}
    # The UTC instants moved by the change, which is what keeps the local times still.
    offsets = {slot.local_start.utcoffset() for slot in slots}
    assert len(offsets) == 2
    assert slots[0].local_start.tzinfo == ZoneInfo(zone)


@pytest.mark.parametrize(
    ("zone", "change", "expected"),
    [
        ("America/New_York", date(2026, 3, 8), ["01:00", "01:30", "03:00", "03:30"]),
        ("Europe/Berlin", date(2026, 3, 29), ["01:00", "01:30", "03:00", "03:30"]),
    ],
)
def test_wall_times_skipped_by_spring_forward_have_no_slot(
    session: Session, clock: ManualClock, zone: str, change: date, expected: list[str]
) -> None:
    clock.set(datetime(change.year, 3, 1, tzinfo=UTC))
    service = _office_service(session, zone, time(1), time(4), 30)
    slots = _find(session, service, change, change, clock.now())
    assert [f"{s.local_start:%H:%M}" for s in slots] == expected
    # Each slot lasts its real 30 minutes, even the one that ends across the gap.
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in slots)


def test_a_repeated_wall_time_is_offered_once_at_its_first_occurrence(
    session: Session, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 10, 20, tzinfo=UTC))
    service = _office_service(session, "America/New_York", time(0), time(3), 60)
    change = date(2026, 11, 1)
    slots = _find(session, service, change, change, clock.now())
    assert [f"{s.local_start:%H:%M}" for s in slots] == ["00:00", "01:00", "02:00"]
    one_am = slots[1]
    assert one_am.starts_at == datetime(2026, 11, 1, 5, 0, tzinfo=UTC)  # 01:00 EDT
    assert one_am.local_start.utcoffset() == timedelta(hours=-4)
    assert slots[2].starts_at == datetime(2026, 11, 1, 7, 0, tzinfo=UTC)  # 02:00 EST

    second_one_am = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)  # 01:00 EST, the repeat
    with pytest.raises(NotOnSlotGrid):
        bookable_slot_and_schedule(
            session,
            office_id=service.office_id,
            service_id=service.id,
            starts_at=second_one_am,
            now=clock.now(),
        )
