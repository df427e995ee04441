"""Availability rules on real databases: grid, hours, closures, resources, claims, rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from haven.clock import ManualClock
from haven.scheduling.availability import (
    InvalidDateRange,
    NotOnSlotGrid,
    OfficeClosed,
    OfficeNotFound,
    OutsideOpeningHours,
    ServiceNotFound,
    Slot,
    TooFarAhead,
    TooSoon,
    bookable_slot_and_schedule,
    find_slots,
)
from haven.scheduling.models import OpeningHours, ResourceKind, Service
from tests import factories
from tests.scheduling.claims import hold_claim, live_hold

TUESDAY = date(2026, 12, 1)


def _at(hour: int, minute: int = 0, day: date = TUESDAY) -> datetime:
    """An instant given as New York wall time in December (UTC-5)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) + timedelta(hours=5)


def _slots(session: Session, service: Service, now: datetime, **kw: Any) -> list[Slot]:
    kw.setdefault("start", TUESDAY)
    kw.setdefault("end", TUESDAY)
    return find_slots(session, office_id=service.office_id, service_id=service.id, now=now, **kw)


def _free_resources(
    session: Session, service: Service, starts_at: datetime, now: datetime
) -> list[int]:
    """The free resources at `starts_at`, as a booking judges them (empty: all taken)."""
    slot, _schedule = bookable_slot_and_schedule(
        session, office_id=service.office_id, service_id=service.id, starts_at=starts_at, now=now
    )
    return list(slot.resource_ids) if slot is not None else []


def _times(slots: list[Slot]) -> list[str]:
    return [f"{s.local_start:%H:%M}" for s in slots]


def test_slots_follow_the_grid_of_each_opening_interval(
    session: Session, clock: ManualClock
) -> None:
    office = factories.office(session, opens=time(9, 0), closes=time(11, 0))
    # A lunch break: a second interval on Tuesday starts its own grid.
    session.add(OpeningHours(office_id=office.id, weekday=1, opens=time(13, 15), closes=time(14)))
    service = factories.service(session, office, duration_minutes=30, buffer_minutes=10)
    slots = _slots(session, service, clock.now())
    assert _times(slots) == ["09:00", "09:40", "10:20", "13:15"]
    assert slots[0].starts_at == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    assert slots[0].starts_at.tzinfo is UTC
    assert slots[0].ends_at - slots[0].starts_at == timedelta(minutes=30)
    assert slots[0].claim_ends_at - slots[0].starts_at == timedelta(minutes=40)
    assert slots[0].local_start.utcoffset() == timedelta(hours=-5)


def test_closed_days_and_weekends_have_no_slots(session: Session, clock: ManualClock) -> None:
    office = factories.office(session, opens=time(9), closes=time(10))
    service = factories.service(session, office, duration_minutes=60)
    factories.closure(session, office, date(2026, 12, 2), date(2026, 12, 3))
    slots = _slots(session, service, clock.now(), end=date(2026, 12, 7))
    assert [s.local_start.date() for s in slots] == [
        date(2026, 12, 1),
        date(2026, 12, 4),
        date(2026, 12, 7),
    ]


def test_minimum_notice_and_horizon_cut_the_range(session: Session, clock: ManualClock) -> None:
    office = factories.office(session, opens=time(9), closes=time(17))
    service = factories.service(
        session, office, duration_minutes=60, min_notice_minutes=120, max_days_ahead=2
    )
    # Now is Monday 2026-11-30 10:00 in New York: 12:00 is the first slot with two hours' notice.
    slots = _slots(session, service, clock.now(), start=date(2026, 11, 29), end=date(2026, 12, 9))
    assert slots[0].local_start == _at(12, day=date(2026, 11, 30)).astimezone(
        slots[0].local_start.tzinfo
    )
    assert slots[-1].local_start.date() == date(2026, 12, 2)


def test_a_claim_blocks_its_span_buffer_included_and_nothing_more(
    session: Session, clock: ManualClock
) -> None:
    office = factories.office(session, opens=time(9), closes=time(12))
    counter = factories.resource(session, office)
    service = factories.service(
        session, office, duration_minutes=30, buffer_minutes=15, resources=[counter]
    )
    # Grid 09:00, 09:45, 10:30, 11:15. A claim [10:00, 10:30) overlaps 09:45's [09:45, 10:30)
    # but not 10:30's [10:30, 11:15): spans are half-open.
    live_hold(session, service, counter, _at(10), 30)
    assert _times(_slots(session, service, clock.now())) == ["09:00", "10:30", "11:15"]


def test_expired_holds_do_not_block(session: Session, clock: ManualClock) -> None:
    office = factories.office(session, opens=time(9), closes=time(10))
    counter = factories.resource(session, office)
    service = factories.service(session, office, duration_minutes=30, resources=[counter])
    expired = clock.now() - timedelta(seconds=1)
    hold_claim(session, service, counter, _at(9), _at(9, 30), expires_at=expired)
    live_hold(session, service, counter, _at(9, 30), 30)
    assert _times(_slots(session, service, clock.now())) == ["09:00"]


def test_only_free_active_linked_resources_are_offered(
    session: Session, clock: ManualClock
) -> None:
    office = factories.office(session, opens=time(9), closes=time(10))
    first, second, retired = (factories.resource(session, office) for _ in range(3))
    retired.active = False
    unlinked = factories.resource(session, office)
    service = factories.service(
        session, office, duration_minutes=30, resources=[first, second, retired]
    )
    live_hold(session, service, first, _at(9), 30)
    slots = _slots(session, service, clock.now())
    assert [s.resource_ids for s in slots] == [(second.id,), (first.id, second.id)]
    assert unlinked.id not in {i for s in slots for i in s.resource_ids}


def test_resource_hours_limit_that_resource_only(session: Session, clock: ManualClock) -> None:
    office = factories.office(session, opens=time(9), closes=time(12))
    all_day = factories.resource(session, office)
    # Works Tuesday 10:00-11:00 only; on other days not at all.
    part_time = factories.resource(session, office, hours=[(1, time(10), time(11))])
    service = factories.service(
        session, office, duration_minutes=60, resources=[all_day, part_time]
    )
    slots = _slots(session, service, clock.now(), end=date(2026, 12, 2))
    offered = {(s.local_start.date(), f"{s.local_start:%H}"): s.resource_ids for s in slots}
    assert offered[(TUESDAY, "10")] == (all_day.id, part_time.id)
    assert offered[(TUESDAY, "09")] == (all_day.id,)
    assert offered[(date(2026, 12, 2), "10")] == (all_day.id,)


def test_an_interpreter_comes_with_a_resource_that_lacks_the_language(
    session: Session, clock: ManualClock
) -> None:
    office = factories.office(session, opens=time(9), closes=time(11))
    english = factories.resource(session, office, languages=["en"])
    spanish = factories.resource(session, office, languages=["en", "es-US"])
    interpreter = factories.resource(
        session,
        office,
        kind=ResourceKind.INTERPRETER,
        languages=["es", "pt"],
        hours=[(1, time(10), time(11))],
    )
    other_office = factories.office(session, slug="elsewhere")
    factories.resource(session, other_office, kind=ResourceKind.INTERPRETER, languages=["es"])
    service = factories.service(session, office, duration_minutes=60, resources=[english, spanish])
    live_hold(session, service, spanish, _at(9), 60)

    # Nine: the Spanish speaker is busy and the interpreter does not work yet: no slot then.
    (at_ten,) = _slots(session, service, clock.now(), interpreter_language="es")
    assert at_ten.local_start.hour == 10
    assert at_ten.resource_ids == (spanish.id, english.id)
    assert at_ten.interpreter_ids == (interpreter.id,)
    assert not at_ten.needs_interpreter(spanish.id)
    assert at_ten.needs_interpreter(english.id)


def test_interpreter_slots_need_a_speaker_or_a_free_interpreter(
    session: Session, clock: ManualClock
) -> None:
    office = factories.office(session, opens=time(9), closes=time(11))
    english = factories.resource(session, office, languages=["en"])
    interpreter = factories.resource(
        session, office, kind=ResourceKind.INTERPRETER, languages=["vi"]
    )
    service = factories.service(session, office, duration_minutes=60, resources=[english])
    live_hold(session, service, interpreter, _at(9), 60)
    slots = _slots(session, service, clock.now(), interpreter_language="vi")
    assert _times(slots) == ["10:00"]
    assert slots[0].interpreter_ids == (interpreter.id,)
    assert _slots(session, service, clock.now(), interpreter_language="ar") == []
    assert _times(_slots(session, service, clock.now())) == ["09:00", "10:00"]


def test_a_booking_check_names_the_broken_rule(session: Session, clock: ManualClock) -> None:
    office = factories.office(session)
    service = factories.service(session, office, max_days_ahead=10)
    factories.closure(session, office, date(2026, 12, 2))
    cases: list[tuple[datetime, type[Exception], str]] = [
        (clock.now() + timedelta(minutes=30), TooSoon, "60 minutes"),
        (_at(9, day=date(2026, 12, 11)), TooFarAhead, "10 days"),
        (_at(9, day=date(2026, 12, 2)), OfficeClosed, "2026-12-02"),
        (_at(8), OutsideOpeningHours, "08:00"),
        (_at(16, 45), OutsideOpeningHours, "16:45"),
        (_at(9, 10), NotOnSlotGrid, "every 30 minutes"),
    ]
    for starts_at, error, words in cases:
        with pytest.raises(error, match=words) as raised:
            _free_resources(session, service, starts_at, clock.now())
        assert raised.value.field == "starts_at"
    assert _free_resources(session, service, _at(9, day=date(2026, 12, 10)), clock.now()) == [
        service.resources[0].id
    ]


def test_a_booking_check_finds_no_resource_when_every_one_is_taken(
    session: Session, clock: ManualClock
) -> None:
    office = factories.office(session)
    counter = factories.resource(session, office)
    service = factories.service(session, office, resources=[counter])
    live_hold(session, service, counter, _at(9, 15), 30)
    assert _free_resources(session, service, _at(9), clock.now()) == []
    assert _free_resources(session, service, _at(10), clock.now()) == [counter.id]


def test_bookable_slot_agrees_with_find_slots(session: Session, clock: ManualClock) -> None:
    office = factories.office(session, opens=time(9), closes=time(12))
    counters = [factories.resource(session, office) for _ in range(2)]
    service = factories.service(session, office, buffer_minutes=5, resources=counters)
    live_hold(session, service, counters[0], _at(10), 35)
    slots = _slots(session, service, clock.now())
    assert slots
    for slot in slots:
        found, _schedule = bookable_slot_and_schedule(
            session,
            office_id=office.id,
            service_id=service.id,
            starts_at=slot.starts_at,
            now=clock.now(),
        )
        assert found == slot


def test_unknown_office_and_service_and_bad_ranges(session: Session, clock: ManualClock) -> None:
    office = factories.office(session)
    service = factories.service(session, office)
    other = factories.office(session, slug="other")
    with pytest.raises(OfficeNotFound):
        find_slots(
            session,
            office_id=other.id + 1,
            service_id=service.id,
            start=TUESDAY,
            end=TUESDAY,
            now=clock.now(),
        )
    with pytest.raises(ServiceNotFound):
        find_slots(
            session,
            office_id=other.id,
            service_id=service.id,
            start=TUESDAY,
            end=TUESDAY,
            now=clock.now(),
        )
    with pytest.raises(InvalidDateRange, match="on or after"):
        _slots(session, service, clock.now(), end=TUESDAY - timedelta(days=1))
    with pytest.raises(InvalidDateRange, match="at most 62 days"):
        _slots(session, service, clock.now(), end=TUESDAY + timedelta(days=62))
    with pytest.raises(ValueError, match="aware"):
        _slots(session, service, datetime(2026, 11, 30, 15))
