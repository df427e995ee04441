"""What availability needs to know about one office and service, read in a handful of queries.

Everything here is read-only and shaped for speed: only the needed columns; a few queries
whatever the length of the range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.errors import NotFound
from haven.scheduling.models import (
    Closure,
    Office,
    OpeningHours,
    Resource,
    ResourceHours,
    ResourceKind,
    Service,
    ServiceResource,
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
    def resource_ids(self) -> list[int]:
        return [w.id for w in self.serving] + [w.id for w in self.interpreters]

    @cached_property
    def step(self) -> timedelta:
        """The grid's step and a claim's length: duration plus buffer."""
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
