"""What availability needs to know about one office and service, read in a handful of queries.

Everything here is read-only and shaped for speed: only the needed columns, claims as integer
epoch seconds in one query for the whole range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute, Session

from haven.errors import NotFound
from haven.scheduling.busy_times import BusyTimes
from haven.scheduling.models import (
    Closure,
    Office,
    OpeningHours,
    Resource,
    ResourceHours,
    ResourceKind,
    Service,
    ServiceResource,
    SlotClaim,
)

Interval = tuple[time, time]


class OfficeNotFound(NotFound):
    def __init__(self, office_id: int) -> None:
        super().__init__(f"there is no office with id {office_id}", field="office_id")


class ServiceNotFound(NotFound):
    def __init__(self, service_id: int) -> None:
        super().__init__(
            f"this office offers no bookable service with id {service_id}", field="service"
        )


def speaks(languages: list[str], wanted: str) -> bool:
    """True when a BCP 47 tag shares the wanted primary language ("es-MX" speaks "es")."""
    primary = wanted.split("-", 1)[0].lower()
    return any(tag.split("-", 1)[0].lower() == primary for tag in languages)


@dataclass(frozen=True)
class Worker:
    """A resource that can serve or interpret, with its own weekly hours (None: the office's)."""

    id: int
    languages: list[str]
    hours: dict[int, list[Interval]] | None

    def works(self, weekday: int, starts: time, ends: time) -> bool:
        if self.hours is None:
            return True
        return any(
            opens <= starts and ends <= closes for opens, closes in self.hours.get(weekday, ())
        )


@dataclass(frozen=True)
class OfficeSchedule:
    office_id: int
    service_id: int
    zone: ZoneInfo
    duration: timedelta
    buffer: timedelta
    min_notice: timedelta
    max_days_ahead: int
    opening: dict[int, list[Interval]]
    closures: list[tuple[date, date]]
    serving: list[Worker]
    interpreters: list[Worker]
    # The longest claim any service of the office can make: bounds the claims query from below.
    longest_claim: timedelta

    @property
    def step(self) -> timedelta:
        return self.duration + self.buffer

    def is_closed(self, day: date) -> bool:
        return any(first <= day <= last for first, last in self.closures)


def load_schedule(
    session: Session,
    *,
    office_id: int,
    service_id: int,
    first_day: date,
    last_day: date,
    interpreter_language: str | None,
) -> OfficeSchedule:
    """The office's hours, closures in [first_day, last_day] and the service's resources."""
    longest = (
        sa.select(sa.func.max(Service.duration_minutes + Service.buffer_minutes))
        .where(Service.office_id == office_id)
        .scalar_subquery()
    )
    row = session.execute(
        sa.select(
            Office.timezone,
            Service.id,
            Service.duration_minutes,
            Service.buffer_minutes,
            Service.min_notice_minutes,
            Service.max_days_ahead,
            longest,
        )
        .select_from(Office)
        .outerjoin(
            Service,
            sa.and_(
                Service.office_id == Office.id, Service.id == service_id, Service.active.is_(True)
            ),
        )
        .where(Office.id == office_id)
    ).one_or_none()
    if row is None:
        raise OfficeNotFound(office_id)
    zone_name, found_service, duration, buffer, notice, max_days, longest_minutes = row
    if found_service is None:
        raise ServiceNotFound(service_id)

    opening: dict[int, list[Interval]] = {}
    for weekday, opens, closes in session.execute(
        sa.select(OpeningHours.weekday, OpeningHours.opens, OpeningHours.closes)
        .where(OpeningHours.office_id == office_id)
        .order_by(OpeningHours.weekday, OpeningHours.opens)
    ):
        opening.setdefault(weekday, []).append((opens, closes))

    closures = [
        (starts_on, ends_on)
        for starts_on, ends_on in session.execute(
            sa.select(Closure.starts_on, Closure.ends_on).where(
                Closure.office_id == office_id,
                Closure.ends_on >= first_day,
                Closure.starts_on <= last_day,
            )
        )
    ]

    serving, interpreters = _load_workers(session, office_id, service_id, interpreter_language)
    return OfficeSchedule(
        office_id=office_id,
        service_id=service_id,
        zone=ZoneInfo(zone_name),
        duration=timedelta(minutes=duration),
        buffer=timedelta(minutes=buffer),
        min_notice=timedelta(minutes=notice),
        max_days_ahead=max_days,
        opening=opening,
        closures=closures,
        serving=serving,
        interpreters=interpreters,
        # At least a day, so claims left from a service since shortened are still seen.
        longest_claim=max(timedelta(minutes=longest_minutes or 0), timedelta(days=1)),
    )


def _load_workers(
    session: Session, office_id: int, service_id: int, interpreter_language: str | None
) -> tuple[list[Worker], list[Worker]]:
    """The service's active resources and, when a language is asked for, its interpreters."""
    serves = sa.exists().where(
        ServiceResource.service_id == service_id, ServiceResource.resource_id == Resource.id
    )
    wanted: sa.ColumnElement[bool] = serves
    if interpreter_language is not None:
        wanted = sa.or_(serves, Resource.kind == ResourceKind.INTERPRETER)
    candidates = sa.select(Resource.id).where(
        Resource.office_id == office_id, Resource.active.is_(True), wanted
    )
    rows = session.execute(
        sa.select(Resource.id, Resource.kind, Resource.languages, serves.label("serves"))
        .where(Resource.id.in_(candidates))
        .order_by(Resource.id)
    ).all()
    hours: dict[int, dict[int, list[Interval]]] = {}
    for resource_id, weekday, starts, ends in session.execute(
        sa.select(
            ResourceHours.resource_id,
            ResourceHours.weekday,
            ResourceHours.starts,
            ResourceHours.ends,
        ).where(ResourceHours.resource_id.in_(candidates))
    ):
        hours.setdefault(resource_id, {}).setdefault(weekday, []).append((starts, ends))

    serving: list[Worker] = []
    interpreters: list[Worker] = []
    for resource_id, kind, languages, is_serving in rows:
        worker = Worker(
            id=resource_id, languages=list(languages or []), hours=hours.get(resource_id)
        )
        if is_serving:
            serving.append(worker)
        elif (
            kind == ResourceKind.INTERPRETER
            and interpreter_language is not None
            and speaks(worker.languages, interpreter_language)
        ):
            interpreters.append(worker)
    return serving, interpreters


def _epoch_seconds(session: Session, column: QueryableAttribute[datetime]) -> sa.ColumnElement[int]:
    # Integers instead of datetimes: converting ten thousand timestamps in Python would cost
    # more than the rest of the availability query together.
    if session.get_bind().dialect.name == "sqlite":
        return sa.cast(sa.func.strftime("%s", column), sa.Integer)
    return sa.cast(sa.func.floor(sa.extract("epoch", column)), sa.BigInteger)


def load_busy_times(
    session: Session,
    schedule: OfficeSchedule,
    *,
    starts: datetime,
    ends: datetime,
    now: datetime,
) -> BusyTimes:
    """Every live claim (appointments, unexpired holds) on the schedule's resources in one query."""
    resource_ids = [w.id for w in schedule.serving] + [w.id for w in schedule.interpreters]
    if not resource_ids:
        return BusyTimes(())
    rows = session.execute(
        sa.select(
            SlotClaim.resource_id,
            _epoch_seconds(session, SlotClaim.starts_at),
            _epoch_seconds(session, SlotClaim.ends_at),
        ).where(
            SlotClaim.resource_id.in_(resource_ids),
            # The lower bound lets the (resource_id, starts_at) index narrow the scan.
            SlotClaim.starts_at >= starts - schedule.longest_claim,
            SlotClaim.starts_at < ends,
            SlotClaim.ends_at > starts,
            # Appointments' claims never expire; a hold's claim counts until it does.
            sa.or_(SlotClaim.expires_at.is_(None), SlotClaim.expires_at > now),
        )
    )
    return BusyTimes((r, s, e) for r, s, e in rows)
