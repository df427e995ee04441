"""Scope by role: which appointments a member of staff may see, and over which days.

A clerk works one office's front desk: today and the next working day(s), office-local days
(Settings.clerk_days_ahead). A manager sees their offices' schedules (counts, no names) and opens
one record at a time with a purpose; anything outside that is break-glass. Administrators and
auditors never see personal data. Appointments out of scope answer 404 exactly like ids that do
not exist, so guessing ids tells nobody anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.access.models import Role
from haven.access.principal import StaffPrincipal
from haven.errors import NotFound
from haven.scheduling.models import Appointment, Closure, Office, OpeningHours
from haven.scheduling.wallclock import local_instant

# How far ahead to look for the next working day (a long holiday closure, a weekend).
_LOOKAHEAD_DAYS = 21


class AppointmentNotInScope(NotFound):
    def __init__(self) -> None:
        super().__init__("no appointment with this id in your office's days", field="appointment")


class OfficeNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("there is no office with this id", field="office")


@dataclass(frozen=True)
class DayWindow:
    """Office-local days, and the UTC instants from the first's start to the last's end."""

    days: tuple[date, ...]
    starts_at: datetime
    ends_at: datetime

    def covers(self, instant: datetime) -> bool:
        return self.starts_at <= instant < self.ends_at


def office_for(session: Session, principal: StaffPrincipal, office_id: int, *roles: Role) -> Office:
    """The office, if one of these roles covers it for this member of staff (else 403/404)."""
    principal.require_office(office_id, *roles)
    office = session.get(Office, office_id)
    if office is None:
        raise OfficeNotFound()
    return office


def local_today(office: Office, now: datetime) -> date:
    return now.astimezone(ZoneInfo(office.timezone)).date()


def working_days(session: Session, office: Office, first: date, count: int) -> list[date]:
    """The first `count` days from `first` on which the office opens (hours, no closure)."""
    open_weekdays = set(
        session.scalars(sa.select(OpeningHours.weekday).where(OpeningHours.office_id == office.id))
    )
    closures = session.execute(
        sa.select(Closure.starts_on, Closure.ends_on).where(
            Closure.office_id == office.id,
            Closure.ends_on >= first,
            Closure.starts_on <= first + timedelta(days=_LOOKAHEAD_DAYS),
        )
    ).all()
    found: list[date] = []
    for offset in range(_LOOKAHEAD_DAYS):
        day = first + timedelta(days=offset)
        closed = any(start <= day <= end for start, end in closures)
        if day.weekday() in open_weekdays and not closed:
            found.append(day)
            if len(found) == count:
                break
    return found


def clerk_window(session: Session, office: Office, now: datetime, days_ahead: int) -> DayWindow:
    """Today (whether or not the office opens) and the next `days_ahead` working days."""
    today = local_today(office, now)
    ahead = working_days(session, office, today + timedelta(days=1), days_ahead)
    days = (today, *ahead)
    return DayWindow(days, _day_start(office, days[0]), _day_start(office, days[-1], 1))


def week_window(office: Office, monday: date) -> DayWindow:
    days = tuple(monday + timedelta(days=n) for n in range(7))
    return DayWindow(days, _day_start(office, days[0]), _day_start(office, days[-1], 1))


def within_opening_hours(session: Session, office: Office, now: datetime) -> bool:
    """Whether `now` falls inside one of the office's opening intervals (local time)."""
    local = now.astimezone(ZoneInfo(office.timezone))
    intervals = session.execute(
        sa.select(OpeningHours.opens, OpeningHours.closes).where(
            OpeningHours.office_id == office.id, OpeningHours.weekday == local.weekday()
        )
    ).all()
    return any(opens <= local.time() < closes for opens, closes in intervals)


def appointments_in(session: Session, office: Office, window: DayWindow) -> list[Appointment]:
    return list(
        session.scalars(
            sa.select(Appointment)
            .where(
                Appointment.office_id == office.id,
                Appointment.starts_at >= window.starts_at,
                Appointment.starts_at < window.ends_at,
            )
            .order_by(Appointment.starts_at, Appointment.id)
        )
    )


def appointment_in(
    session: Session, office: Office, window: DayWindow | None, appointment_id: int
) -> Appointment:
    """One appointment of this office (within the window, when given); 404 otherwise."""
    appointment = session.get(Appointment, appointment_id)
    if (
        appointment is None
        or appointment.office_id != office.id
        or (window is not None and not window.covers(appointment.starts_at))
    ):
        raise AppointmentNotInScope()
    return appointment


def _day_start(office: Office, day: date, plus_days: int = 0) -> datetime:
    zone = ZoneInfo(office.timezone)
    wall = datetime.combine(day + timedelta(days=plus_days), time(0, 0))
    instant = local_instant(wall, zone)
    # Midnight skipped by a DST change (a few zones): the day starts an hour later.
    return instant or local_instant(wall + timedelta(hours=1), zone) or wall.replace(tzinfo=zone)
