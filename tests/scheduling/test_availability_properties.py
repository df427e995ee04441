"""Property tests: for random offices, services, resources and claims, every offered slot obeys
every rule, and every grid time that obeys them all is offered (checked against a naive model).

DST days in America/New_York and Europe/Berlin are drawn often, so wall times are tested across
spring-forward gaps and fall-back repeats.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from haven.scheduling.availability import Slot, find_slots
from haven.scheduling.models import Closure, OpeningHours, Service
from tests import factories
from tests.scheduling.claims import live_hold

ZONES = ["America/New_York", "Europe/Berlin", "America/Los_Angeles"]
# DST changes of 2026 in those zones, and an ordinary week.
BASE_DAYS = [
    date(2026, 3, 8),
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2026, 11, 1),
    date(2026, 12, 1),
]
QUARTER = 15
_offices = itertools.count()

Interval = tuple[time, time]


def _quarter(n: int) -> time:
    return time(n * QUARTER // 60, n * QUARTER % 60)


intervals = st.lists(st.integers(0, 95), max_size=4, unique=True).map(
    lambda qs: [
        (_quarter(a), _quarter(b)) for a, b in zip(sorted(qs)[::2], sorted(qs)[1::2], strict=False)
    ]
)
weekly_hours = st.lists(intervals, min_size=7, max_size=7).map(lambda days: dict(enumerate(days)))
# A resource with hours rows works only then; one without any follows the office.
resource_hours = st.one_of(
    st.none(),
    st.none(),
    st.dictionaries(st.integers(0, 6), intervals.filter(bool), min_size=1, max_size=7),
)
# Claims of one resource as (start, length) in minutes from 00:00 UTC of the first day; mostly
# on quarter hours, so claims often touch slots exactly at their edges. Overlapping ones are
# dropped when arranged (the database refuses overlapping claims).
claim_starts = st.integers(0, 6 * 96).map(lambda q: q * QUARTER) | st.integers(0, 6 * 1440)
claim_lengths = st.integers(1, 8).map(lambda q: q * QUARTER) | st.integers(1, 240)
claim_runs = st.lists(st.tuples(claim_starts, claim_lengths), max_size=16)
# Claims placed from a day's first opening time, so they meet the slot grid often.
anchored_runs = st.lists(
    st.tuples(st.integers(0, 5), st.integers(-2, 24), st.integers(1, 8)), max_size=8
)


@dataclass
class Scenario:
    zone: str
    start: date
    end: date
    now: datetime
    hours: dict[int, list[Interval]]
    closures: list[tuple[date, date]]
    duration: int
    buffer: int
    min_notice: int
    max_days_ahead: int
    resources: list[tuple[dict[int, list[Interval]] | None, list[tuple[int, int]]]]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    start = draw(st.sampled_from(BASE_DAYS)) + timedelta(days=draw(st.integers(-3, 1)))
    end = start + timedelta(days=draw(st.integers(0, 5)))
    now = datetime.combine(start, time(), tzinfo=UTC) + timedelta(
        minutes=draw(st.integers(-2 * 1440, 1440))
    )
    zone = draw(st.sampled_from(ZONES))
    weekly = draw(weekly_hours)
    closures = [
        (start + timedelta(days=offset), start + timedelta(days=offset + length))
        for offset, length in draw(
            st.lists(st.tuples(st.integers(-2, 6), st.integers(0, 2)), max_size=2)
        )
    ]
    return Scenario(
        zone=zone,
        start=start,
        end=end,
        now=now,
        hours=weekly,
        closures=closures,
        duration=draw(st.sampled_from([15, 30, 45, 60, 90, 20])),
        buffer=draw(st.sampled_from([0, 15, 5])),
        min_notice=draw(st.sampled_from([0, 60, 120]) | st.integers(0, 3000)),
        max_days_ahead=draw(st.integers(0, 8)),
        resources=[
            (hours, runs + _anchored(draw(anchored_runs), start, zone, weekly))
            for hours, runs in draw(
                st.lists(st.tuples(resource_hours, claim_runs), min_size=1, max_size=3)
            )
        ],
    )


def _anchored(
    anchors: list[tuple[int, int, int]], start: date, zone: str, weekly: dict[int, list[Interval]]
) -> list[tuple[int, int]]:
    """(start, length) minutes from 00:00 UTC of `start` for claims placed from opening times."""
    runs = []
    day_one = datetime.combine(start, time(), tzinfo=UTC)
    for day_offset, quarters, length in anchors:
        day = start + timedelta(days=day_offset)
        opens = min((o for o, _ in weekly.get(day.weekday(), [])), default=time(9))
        anchor = datetime.combine(day, opens, tzinfo=ZoneInfo(zone)).astimezone(UTC)
        offset = anchor + timedelta(minutes=quarters * QUARTER) - day_one
        if offset >= timedelta(0):
            runs.append((int(offset.total_seconds() // 60), length * QUARTER))
    return runs


def _arrange(session: Session, sc: Scenario) -> tuple[Service, dict[int, list], dict[int, list]]:  # type: ignore[type-arg]
    office = factories.office(session, slug=f"p{next(_offices)}", timezone=sc.zone, weekdays=[])
    for weekday, day_intervals in sc.hours.items():
        for opens, closes in day_intervals:
            session.add(
                OpeningHours(office_id=office.id, weekday=weekday, opens=opens, closes=closes)
            )
    for first, last in sc.closures:
        session.add(Closure(office_id=office.id, starts_on=first, ends_on=last, reason="Closed"))
    rows = [
        factories.resource(
            session,
            office,
            hours=[(d, a, b) for d, ivs in (hours or {}).items() for a, b in ivs],
        )
        for hours, _ in sc.resources
    ]
    service = factories.service(
        session,
        office,
        duration_minutes=sc.duration,
        buffer_minutes=sc.buffer,
        min_notice_minutes=sc.min_notice,
        max_days_ahead=sc.max_days_ahead,
        resources=rows,
    )
    claims: dict[int, list[tuple[datetime, datetime]]] = {}
    hours_of: dict[int, list] = {}  # type: ignore[type-arg]
    for row, (hours, runs) in zip(rows, sc.resources, strict=True):
        day_one = datetime.combine(sc.start, time(), tzinfo=UTC)
        free_from = day_one
        for offset, length in sorted(runs):
            at = day_one + timedelta(minutes=offset)
            if at < free_from:
                continue
            live_hold(session, service, row, at, length)
            claims.setdefault(row.id, []).append((at, at + timedelta(minutes=length)))
            free_from = at + timedelta(minutes=length)
        hours_of[row.id] = hours  # type: ignore[assignment]
    session.flush()
    return service, claims, hours_of


def _exists(wall: datetime, zone: ZoneInfo) -> bool:
    return wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def _model(sc: Scenario, claims: dict[int, list], hours_of: dict[int, list]) -> list[tuple]:  # type: ignore[type-arg]
    """A naive restatement of the rules: every (start, free resources) that should be offered."""
    zone = ZoneInfo(sc.zone)
    duration, span = timedelta(minutes=sc.duration), timedelta(minutes=sc.duration + sc.buffer)
    today = sc.now.astimezone(zone).date()
    expected = []
    day = sc.start
    while day <= sc.end:
        closed = any(a <= day <= b for a, b in sc.closures)
        in_horizon = today <= day <= today + timedelta(days=sc.max_days_ahead)
        for opens, closes in sc.hours.get(day.weekday(), []) if in_horizon and not closed else []:
            wall = datetime.combine(day, opens)
            while wall + duration <= datetime.combine(day, closes):
                instant = wall.replace(tzinfo=zone).astimezone(UTC)
                if _exists(wall, zone) and instant >= sc.now + timedelta(minutes=sc.min_notice):
                    free = tuple(
                        rid
                        for rid in sorted(claims.keys() | hours_of.keys())
                        if _works(hours_of[rid], wall, duration)
                        and not any(
                            a < instant + span and instant < b for a, b in claims.get(rid, [])
                        )
                    )
                    if free:
                        expected.append((instant, free))
                wall += span
        day += timedelta(days=1)
    return expected


def _works(hours: dict[int, list[Interval]] | None, wall: datetime, duration: timedelta) -> bool:
    if hours is None:
        return True
    end = (wall + duration).time()
    return any(a <= wall.time() and end <= b for a, b in hours.get(wall.weekday(), []))


def _check_slot_rules(sc: Scenario, slot: Slot, claims: dict[int, list]) -> None:  # type: ignore[type-arg]
    zone = ZoneInfo(sc.zone)
    wall = slot.local_start.replace(tzinfo=None)
    # Via UTC: == between zones is always False for a repeated wall time (PEP 495).
    assert slot.local_start.astimezone(UTC) == slot.starts_at
    assert slot.local_start.tzinfo == zone
    assert slot.local_start.fold == 0
    assert sc.start <= wall.date() <= sc.end
    assert not any(a <= wall.date() <= b for a, b in sc.closures), "slot on a closed day"
    step = timedelta(minutes=sc.duration + sc.buffer)
    assert any(
        datetime.combine(wall.date(), opens) <= wall
        and wall + timedelta(minutes=sc.duration) <= datetime.combine(wall.date(), closes)
        and (wall - datetime.combine(wall.date(), opens)) % step == timedelta(0)
        for opens, closes in sc.hours.get(wall.weekday(), [])
    ), "slot outside opening hours or off the grid"
    assert slot.starts_at >= sc.now + timedelta(minutes=sc.min_notice), "within minimum notice"
    today = sc.now.astimezone(zone).date()
    assert wall.date() <= today + timedelta(days=sc.max_days_ahead), "beyond the horizon"
    assert slot.ends_at - slot.starts_at == timedelta(minutes=sc.duration)
    assert slot.claim_ends_at - slot.starts_at == step
    assert slot.resource_ids
    for rid in slot.resource_ids:
        for a, b in claims.get(rid, []):
            assert not (a < slot.claim_ends_at and slot.starts_at < b), "overlaps a claim"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sc=scenarios())
def test_slots_obey_every_rule_and_none_is_missing(session: Session, sc: Scenario) -> None:
    service, claims, hours_of = _arrange(session, sc)
    slots = find_slots(
        session,
        office_id=service.office_id,
        service_id=service.id,
        start=sc.start,
        end=sc.end,
        now=sc.now,
    )
    for slot in slots:
        _check_slot_rules(sc, slot, claims)
        assert all(
            _works(
                hours_of[rid], slot.local_start.replace(tzinfo=None), slot.ends_at - slot.starts_at
            )
            for rid in slot.resource_ids
        )
    assert [(s.starts_at, s.resource_ids) for s in slots] == _model(sc, claims, hours_of)
