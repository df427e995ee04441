"""US federal holidays (5 U.S.C. 6103) as offices observe them, for closures."""

from __future__ import annotations

from datetime import date, timedelta

# (month, day) fixed-date holidays; observed on the Friday before a Saturday and the Monday
# after a Sunday.
_FIXED = [
    (1, 1, "New Year's Day"),
    (6, 19, "Juneteenth National Independence Day"),
    (7, 4, "Independence Day"),
    (11, 11, "Veterans Day"),
    (12, 25, "Christmas Day"),
]
# (month, weekday, nth; -1 = last) holidays on a weekday of a month.
_NTH_WEEKDAY = [
    (1, 0, 3, "Birthday of Martin Luther King, Jr."),
    (2, 0, 3, "Washington's Birthday"),
    (5, 0, -1, "Memorial Day"),
    (9, 0, 1, "Labor Day"),
    (10, 0, 2, "Columbus Day"),
    (11, 3, 4, "Thanksgiving Day"),
]


def federal_holidays(first: date, last: date) -> list[tuple[date, str]]:
    """The observed federal holidays between first and last (inclusive), in date order."""
    found = [
        (day, name)
        for year in range(first.year - 1, last.year + 2)
        for day, name in _holidays_of(year)
        if first <= day <= last
    ]
    return sorted(found)


def _holidays_of(year: int) -> list[tuple[date, str]]:
    days = [(_observed(date(year, month, day)), name) for month, day, name in _FIXED]
    days += [(_nth_weekday(year, m, wd, nth), name) for m, wd, nth, name in _NTH_WEEKDAY]
    return days


def _observed(day: date) -> date:
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last = next_month - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)
