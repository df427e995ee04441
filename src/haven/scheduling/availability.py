"""Open slots for an office and service, and whether one given start time can be booked.

Rules: office hours per weekday (several intervals a day), closures, each resource's own hours
(none: the office's), the service's resources that are active, live claims (appointments and
unexpired holds, buffer included), minimum notice and how far ahead the service can be booked.
Slots sit on a grid from each opening interval's start, one every duration + buffer, laid out in
office-local wall-clock time: a 09:00 slot stays 09:00 on both sides of a DST change, wall times
a spring-forward skips are left out, and repeated ones name their first occurrence.

When an interpreter language is asked for and a free resource does not speak it, a free
interpreter of that language (same office) must come with it; see `Slot`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import compress, repeat
from operator import and_

from sqlalchemy.orm import Session

from haven.errors import Invalid
from haven.scheduling.busy_times import BusyTimes, load_busy_times
from haven.scheduling.office_schedule import (
    CLAIMS_WINDOW,
    OfficeNotFound,
    OfficeSchedule,
    ServiceNotFound,
    Worker,
    load_schedule,
    load_schedule_and_claims,
    speaks,
)
from haven.scheduling.wallclock import local_instant, local_wall

__all__ = [
    "MAX_RANGE_DAYS",
    "InvalidDateRange",
    "NotOnSlotGrid",
    "OfficeClosed",
    "OfficeNotFound",
    "OfficeSchedule",
    "OutsideOpeningHours",
    "ServiceNotFound",
    "Slot",
    "SlotRuleBroken",
    "TooFarAhead",
    "TooSoon",
    "bookable_slot_and_schedule",
    "find_slots",
]

# The longest date range one availability query may cover (two months of a booking page).
MAX_RANGE_DAYS = 62


@dataclass(frozen=True)
class Slot:
    """A bookable start time and the resources free for it.

    To book it, take one of `resource_ids`; if `needs_interpreter(that id)`, also take one of
    `interpreter_ids`. Every chosen resource is claimed for [starts_at, claim_ends_at).
    """

    starts_at: datetime  # aware UTC
    ends_at: datetime  # aware UTC: starts_at + the service's duration
    claim_ends_at: datetime  # aware UTC: ends_at + the service's buffer
    local_start: datetime  # aware, in the office's time zone
    # Free resources that can serve the slot (at least one); those that speak the asked
    # interpreter language come first.
    resource_ids: tuple[int, ...]
    # Free interpreters of the asked language; empty when none is asked or none is needed.
    interpreter_ids: tuple[int, ...] = ()
    # The members of resource_ids that speak the asked language themselves.
    language_resource_ids: tuple[int, ...] = ()

    def needs_interpreter(self, resource_id: int) -> bool:
        """True when booking this slot with `resource_id` also needs one of interpreter_ids."""
        return bool(self.interpreter_ids) and resource_id not in self.language_resource_ids


class InvalidDateRange(Invalid):
    """The asked date range is backwards or too long."""


class SlotRuleBroken(Invalid):
    """A start time that no slot can have; the subclass names the rule."""

    code = "slot_rule_broken"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="starts_at")


class TooSoon(SlotRuleBroken):
    code = "too_soon"


class TooFarAhead(SlotRuleBroken):
    code = "too_far_ahead"


class OfficeClosed(SlotRuleBroken):
    code = "office_closed"


class OutsideOpeningHours(SlotRuleBroken):
    code = "outside_opening_hours"


class NotOnSlotGrid(SlotRuleBroken):
    code = "not_on_slot_grid"


def find_slots(
    session: Session,
    *,
    office_id: int,
    service_id: int,
    start: date,
    end: date,
    now: datetime,
    interpreter_language: str | None = None,
) -> list[Slot]:
    """Every open slot on the office-local days start..end (inclusive), earliest first."""
    check_date_range(start, end)
    _require_aware(now=now)
    schedule = load_schedule(
        session,
        office_id=office_id,
        service_id=service_id,
        first_day=start,
        last_day=end,
        interpreter_language=interpreter_language,
    )
    today = now.astimezone(schedule.zone).date()
    first = max(start, today)
    last = min(end, _last_bookable_day(schedule, now))
    earliest = now + schedule.min_notice
    # Sorted by instant (opening intervals may overlap), as the claim counting needs.
    candidates = sorted(
        {
            instant: (wall, instant)
            for day in _days(first, last)
            if not schedule.is_closed(day)
            for wall, instant in _grid(schedule, day)
            if instant >= earliest
        }.values(),
        key=lambda candidate: candidate[1],
    )
    if not candidates or not schedule.serving:
        return []
    busy = _busy_times(session, schedule, candidates[0][1], candidates[-1][1] + schedule.step, now)
    return _SlotMaker(schedule, busy, interpreter_language).slots(candidates)


def bookable_slot_and_schedule(
    session: Session,
    *,
    office_id: int,
    service_id: int,
    starts_at: datetime,
    now: datetime,
    interpreter_language: str | None = None,
) -> tuple[Slot | None, OfficeSchedule]:
    """The slot starting at `starts_at` with its free resources (None when all are taken), and
    the schedule it was judged by, so a booking need not read the office and service again.

    Raises a `SlotRuleBroken` subclass when no slot can ever start then (too soon, too far
    ahead, office closed, outside opening hours, not on the slot grid). One query: the schedule
    and the claims around that time (see office_schedule.load_schedule_and_claims).
    """
    _require_aware(now=now, starts_at=starts_at)
    schedule, nearby_claims = load_schedule_and_claims(
        session,
        office_id=office_id,
        service_id=service_id,
        at=starts_at,
        now=now,
        interpreter_language=interpreter_language,
    )
    wall = _check_rules(schedule, starts_at, now)
    instant = starts_at.astimezone(UTC)
    busy = nearby_claims
    if schedule.step > CLAIMS_WINDOW or schedule.longest_claim > CLAIMS_WINDOW:
        # Claims longer than the window read along with the schedule: read the exact ones.
        busy = _busy_times(session, schedule, instant, instant + schedule.step, now)
    found = _SlotMaker(schedule, busy, interpreter_language).slots([(wall, instant)])
    return (found[0] if found else None), schedule


def check_date_range(start: date, end: date) -> None:
    """Refuse a backwards range or one longer than MAX_RANGE_DAYS, naming the parameter."""
    if end < start:
        raise InvalidDateRange("'end' must be on or after 'start'", field="end")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise InvalidDateRange(
            f"'end' is too far after 'start': ask for at most {MAX_RANGE_DAYS} days at a time",
            field="end",
        )


def _check_rules(schedule: OfficeSchedule, starts_at: datetime, now: datetime) -> datetime:
    """The office-local wall time of `starts_at`, once it passes every rule of the grid."""
    if starts_at < now + schedule.min_notice:
        minutes = int(schedule.min_notice.total_seconds() // 60)
        raise TooSoon(f"appointments must be booked at least {minutes} minutes ahead")
    wall = local_wall(starts_at, schedule.zone)
    if wall.date() > _last_bookable_day(schedule, now):
        raise TooFarAhead(
            f"this service can be booked at most {schedule.max_days_ahead} days ahead"
        )
    if schedule.is_closed(wall.date()):
        raise OfficeClosed(f"the office is closed on {wall.date().isoformat()}")
    intervals = schedule.opening.get(wall.weekday(), [])
    ends = wall + schedule.duration
    opening = next(
        (
            datetime.combine(wall.date(), opens)
            for opens, closes in intervals
            if datetime.combine(wall.date(), opens) <= wall
            and ends <= datetime.combine(wall.date(), closes)
        ),
        None,
    )
    if opening is None:
        raise OutsideOpeningHours(f"{wall:%Y-%m-%d %H:%M} is outside the office's opening hours")
    on_grid = (wall - opening) % schedule.step == timedelta(0)
    if not on_grid or local_instant(wall, schedule.zone) != starts_at.astimezone(UTC):
        step = int(schedule.step.total_seconds() // 60)
        raise NotOnSlotGrid(
            f"appointments start every {step} minutes from {opening:%H:%M}; "
            f"{wall:%H:%M} is not one of those times"
        )
    return wall


def _busy_times(
    session: Session, schedule: OfficeSchedule, starts: datetime, ends: datetime, now: datetime
) -> BusyTimes:
    return load_busy_times(
        session,
        schedule.resource_ids,
        starts=starts,
        ends=ends,
        now=now,
        longest_claim_starts=starts - schedule.longest_claim,
    )


def _last_bookable_day(schedule: OfficeSchedule, now: datetime) -> date:
    return now.astimezone(schedule.zone).date() + timedelta(days=schedule.max_days_ahead)


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _grid(schedule: OfficeSchedule, day: date) -> Iterator[tuple[datetime, datetime]]:
    """(wall time, UTC instant) of every grid start on the day that fits its opening interval."""
    intervals = schedule.opening.get(day.weekday())
    if not intervals:
        return
    zone = schedule.zone
    offset = datetime.combine(day, time(), zone).utcoffset()
    next_day = datetime.combine(day + timedelta(days=1), time(), zone)
    # On a day without a DST change the offset holds all day: plain arithmetic suffices.
    steady = offset is not None and offset == next_day.utcoffset()
    duration, step = schedule.duration, schedule.step
    for opens, closes in intervals:
        wall = datetime.combine(day, opens)
        last_start = datetime.combine(day, closes) - duration
        if steady:
            instant = datetime.combine(day, opens, UTC) - offset  # type: ignore[operator]
            while wall <= last_start:
                yield wall, instant
                wall += step
                instant += step
            continue
        while wall <= last_start:
            if (exists := local_instant(wall, zone)) is not None:
                yield wall, exists
            wall += step


class _SlotMaker:
    """Turns grid times into slots against one schedule and one set of claims."""

    def __init__(
        self, schedule: OfficeSchedule, busy: BusyTimes, interpreter_language: str | None
    ) -> None:
        self._schedule = schedule
        self._busy = busy
        self._language = interpreter_language
        self._speakers = frozenset(
            w.id
            for w in schedule.serving
            if interpreter_language is not None and speaks(w.languages, interpreter_language)
        )

    def slots(self, candidates: list[tuple[datetime, datetime]]) -> list[Slot]:
        """The slots among (wall time, UTC instant) grid times sorted by instant."""
        schedule = self._schedule
        step = schedule.step
        key = self._busy.key
        span_starts = [key(instant) for _, instant in candidates]
        span_ends = [key(instant + step) for _, instant in candidates]
        duty = _DutyRoster(schedule, [wall for wall, _ in candidates])

        def available(workers: list[Worker]) -> list[list[int]]:
            """Per candidate, the workers on duty and free then, in the workers' order."""
            per_candidate: list[list[int]] = [[] for _ in candidates]
            positions = range(len(candidates))
            for worker in workers:
                flags = duty.flags(worker, self._busy.free_flags(worker.id, span_starts, span_ends))
                # Walks only the free places, in C: a busy office has few.
                for position in compress(positions, flags):
                    per_candidate[position].append(worker.id)
            return per_candidate

        serving = available(schedule.serving)
        interpreting: Iterable[list[int]] = repeat([])
        if self._language is not None and schedule.interpreters:
            interpreting = available(schedule.interpreters)
        made = (
            self._slot(wall, instant, tuple(free_serving), tuple(free_interpreters))
            # Not strict: `interpreting` repeats [] when no interpreter is asked for.
            for (wall, instant), free_serving, free_interpreters in zip(
                candidates, serving, interpreting, strict=False
            )
        )
        return [slot for slot in made if slot is not None]

    def _slot(
        self,
        wall: datetime,
        instant: datetime,
        serving: tuple[int, ...],
        free_interpreters: tuple[int, ...],
    ) -> Slot | None:
        language_ids: tuple[int, ...] = ()
        interpreters: tuple[int, ...] = ()
        if self._language is not None and serving:
            language_ids = tuple(i for i in serving if i in self._speakers)
            if len(language_ids) < len(serving):
                interpreters = free_interpreters
            others = tuple(i for i in serving if i not in self._speakers)
            serving = language_ids + (others if interpreters else ())
        if not serving:
            return None
        schedule = self._schedule
        return Slot(
            starts_at=instant,
            ends_at=instant + schedule.duration,
            claim_ends_at=instant + schedule.step,
            local_start=instant.astimezone(schedule.zone),
            resource_ids=serving,
            interpreter_ids=interpreters,
            language_resource_ids=language_ids,
        )


class _DutyRoster:
    """Whether each resource works at each grid time (its own hours, or the office's)."""

    def __init__(self, schedule: OfficeSchedule, walls: list[datetime]) -> None:
        self._duration = schedule.duration
        self._walls = walls
        self._keys: list[tuple[int, time, time]] | None = None

    def flags(self, worker: Worker, free: list[bool]) -> list[bool]:
        """`free` narrowed to the grid times the worker is on duty."""
        if worker.hours is None:
            return free
        if self._keys is None:
            self._keys = [(w.weekday(), w.time(), (w + self._duration).time()) for w in self._walls]
        on_duty: dict[tuple[int, time, time], bool] = {}
        working = [
            on_duty[key] if key in on_duty else on_duty.setdefault(key, worker.works(*key))
            for key in self._keys
        ]
        return list(map(and_, free, working))


def _require_aware(**instants: datetime) -> None:
    for name, value in instants.items():
        if value.tzinfo is None:
            raise ValueError(f"{name} must be an aware datetime")
