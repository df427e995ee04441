"""A week of open slots for the booking pages, in the office's own days and time zone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from haven.errors import Invalid
from haven.scheduling.availability import Slot, find_slots

DAYS_IN_WEEK = 7


class InvalidWeek(Invalid):
    """The week named in a page's address is not a date."""


@dataclass(frozen=True)
class DayOfSlots:
    day: date
    slots: list[Slot]


@dataclass(frozen=True)
class WeekOfSlots:
    """Monday to Sunday, office-local, with links to the neighbouring weeks that can be booked."""

    timezone: str
    first_day: date
    days: list[DayOfSlots]
    previous_url: str | None
    next_url: str | None
    # Hidden fields the slot form sends along (the interpreter language, say).
    carry: dict[str, str] = field(default_factory=dict)

    @property
    def any_slots(self) -> bool:
        return any(day.slots for day in self.days)


def parse_week(raw: str | None, today: date) -> date:
    """The Monday of the week `raw` (YYYY-MM-DD) falls in; this week when absent or past."""
    if not raw:
        return monday_of(today)
    try:
        asked = date.fromisoformat(raw)
    except ValueError:
        raise InvalidWeek(
            "the week in the address must be a date like 2026-12-07", field="week"
        ) from None
    return monday_of(max(asked, today))


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_of_slots(
    session: Session,
    *,
    office_id: int,
    service_id: int,
    timezone: str,
    max_days_ahead: int,
    first_day: date,
    now: datetime,
    base_url: str,
    interpreter_language: str | None = None,
) -> WeekOfSlots:
    """The open slots of one office-local week, grouped by day, earliest first."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    last_day = first_day + timedelta(days=DAYS_IN_WEEK - 1)
    slots = find_slots(
        session,
        office_id=office_id,
        service_id=service_id,
        start=first_day,
        end=last_day,
        now=now,
        interpreter_language=interpreter_language,
    )
    by_day: dict[date, list[Slot]] = {}
    for slot in slots:
        by_day.setdefault(slot.local_start.date(), []).append(slot)
    # Days already gone are left out; a week starting today is still "this week".
    days = [
        DayOfSlots(day, by_day.get(day, []))
        for day in (first_day + timedelta(days=n) for n in range(DAYS_IN_WEEK))
        if day >= today
    ]
    carry = {"interpreter": interpreter_language} if interpreter_language else {}
    previous_week = first_day - timedelta(days=DAYS_IN_WEEK)
    next_week = first_day + timedelta(days=DAYS_IN_WEEK)
    bookable_until = today + timedelta(days=max_days_ahead)
    return WeekOfSlots(
        timezone=timezone,
        first_day=first_day,
        days=days,
        previous_url=_week_url(base_url, previous_week, carry) if first_day > today else None,
        next_url=_week_url(base_url, next_week, carry) if next_week <= bookable_until else None,
        carry=carry,
    )


def _week_url(base_url: str, week: date, carry: Mapping[str, str]) -> str:
    return f"{base_url}?{urlencode({'week': week.isoformat(), **carry})}"
