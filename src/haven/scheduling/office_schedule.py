"""What availability needs to know about one office and service, read in one query.

Everything here is read-only and shaped for speed: only the needed columns; one query whatever
the length of the range.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute, Session

from haven.db import TZDateTime
from haven.errors import NotFound
from haven.scheduling.busy_times import POSTGRESQL_KEYS, SQLITE_KEYS, BusyTimes, KeyForm
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
    # What a booking's answer shows, read with the rest so it need not be read again.
    office_name: str
    office_address: str
    service_name: str

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
    """The office's hours, closures in [first_day, last_day] and the service's resources.

    One round trip: every part comes as rows of one UNION ALL, tagged by part, times and dates
    as text (every booking reads this, and on PostgreSQL each round trip costs more than the
    rows).
    """
    schedule, _ = _load(
        session, office_id, service_id, first_day, last_day, interpreter_language, None
    )
    return schedule


def load_schedule_and_claims(
    session: Session,
    *,
    office_id: int,
    service_id: int,
    at: datetime,
    now: datetime,
    interpreter_language: str | None,
) -> tuple[OfficeSchedule, BusyTimes]:
    """`load_schedule` around the instant `at` (closures of the UTC days either side), and in
    the same round trip the live claims of its resources that overlap [at, at + CLAIMS_WINDOW)
    and start no earlier than at - CLAIMS_WINDOW.

    Those are all the claims that can touch a slot at `at` when the slot's step and the
    office's longest claim are both within CLAIMS_WINDOW; the caller checks that.
    """
    utc_day = at.astimezone(UTC).date()
    return _load(
        session,
        office_id,
        service_id,
        utc_day - timedelta(days=1),
        utc_day + timedelta(days=1),
        interpreter_language,
        (at, now),
    )


def _load(
    session: Session,
    office_id: int,
    service_id: int,
    first_day: date,
    last_day: date,
    interpreter_language: str | None,
    claims_at: tuple[datetime, datetime] | None,
) -> tuple[OfficeSchedule, BusyTimes]:
    parameters: dict[str, Any] = {
        "office_id": office_id,
        "service_id": service_id,
        "first_day": first_day,
        "last_day": last_day,
    }
    form: KeyForm | None = None
    if claims_at is not None:
        at, now = claims_at
        form = SQLITE_KEYS if session.get_bind().dialect.name == "sqlite" else POSTGRESQL_KEYS
        parameters |= {
            "claims_from": at - CLAIMS_WINDOW,
            "claims_at": at,
            "claims_until": at + CLAIMS_WINDOW,
            "now": now,
        }
    query = _schedule_query(interpreter_language is not None, form)
    rows = session.execute(query, parameters).all()
    header = next((row for row in rows if row[0] == _HEADER), None)
    if header is None:
        raise OfficeNotFound(office_id)
    _, found_service, duration, buffer, notice, max_days, longest_minutes, *texts = header
    if found_service is None:
        raise ServiceNotFound(service_id)
    zone_name, office_name, office_address, service_name = texts

    opening: dict[int, list[Interval]] = {}
    closures: list[tuple[date, date]] = []
    resources: list[tuple[int, bool, str, list[str]]] = []
    hours: dict[int, dict[int, list[Interval]]] = {}
    claims: list[tuple[int, list[Any], list[Any]]] = []
    for part, first, second, _n3, _n4, _n5, _n6, text_a, text_b, _t3, _t4 in rows:
        if part == _OPENING:
            interval = (time.fromisoformat(text_a), time.fromisoformat(text_b))
            opening.setdefault(first, []).append(interval)
        elif part == _CLOSURE:
            closures.append((date.fromisoformat(text_a), date.fromisoformat(text_b)))
        elif part == _RESOURCE:
            resources.append((first, bool(second), text_a, json.loads(text_b or "null") or []))
        elif part == _RESOURCE_HOURS:
            interval = (time.fromisoformat(text_a), time.fromisoformat(text_b))
            hours.setdefault(first, {}).setdefault(second, []).append(interval)
        elif part == _CLAIMS and form is not None:
            claims.append((first, form.split(text_a), form.split(text_b)))
    for intervals in opening.values():
        intervals.sort()
    serving, interpreters = _workers(sorted(resources), hours, interpreter_language)
    schedule = OfficeSchedule(
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
        office_name=office_name,
        office_address=office_address,
        service_name=service_name,
    )
    return schedule, BusyTimes(form or POSTGRESQL_KEYS, claims)


# The parts of the schedule query, told apart by its first column.
_HEADER, _OPENING, _CLOSURE, _RESOURCE, _RESOURCE_HOURS, _CLAIMS = range(6)
# How far around a single slot load_schedule_and_claims reads claims.
CLAIMS_WINDOW = timedelta(days=1)
_INTEGERS, _TEXTS = 6, 4
_Column = sa.ColumnElement[Any] | QueryableAttribute[Any]


def _part(
    part: int,
    integers: Sequence[_Column],
    texts: Sequence[_Column],
) -> sa.Select[*tuple[Any, ...]]:
    """One part's columns padded to the common shape: part, 6 integers, 4 texts."""
    padded_integers = [*integers] + [sa.cast(sa.null(), sa.Integer)] * (_INTEGERS - len(integers))
    padded_texts = [sa.cast(t, sa.Text) for t in texts]
    padded_texts += [sa.cast(sa.null(), sa.Text)] * (_TEXTS - len(texts))
    return sa.select(sa.literal(part, sa.Integer), *padded_integers, *padded_texts)


@functools.cache
def _schedule_query(with_interpreters: bool, claims: KeyForm | None) -> sa.CompoundSelect[Any]:
    """The whole schedule as one statement (built once per shape; values are bound)."""
    office_id = sa.bindparam("office_id", type_=sa.Integer)
    service_id = sa.bindparam("service_id", type_=sa.Integer)
    longest = (
        sa.select(sa.func.max(Service.duration_minutes + Service.buffer_minutes))
        .where(Service.office_id == office_id)
        .scalar_subquery()
    )
    header = (
        _part(
            _HEADER,
            [
                Service.id,
                Service.duration_minutes,
                Service.buffer_minutes,
                Service.min_notice_minutes,
                Service.max_days_ahead,
                longest,
            ],
            [Office.timezone, Office.name, Office.address, Service.name],
        )
        .select_from(Office)
        .outerjoin(
            Service,
            sa.and_(
                Service.office_id == Office.id, Service.id == service_id, Service.active.is_(True)
            ),
        )
        .where(Office.id == office_id)
    )
    opening = _part(
        _OPENING, [OpeningHours.weekday], [OpeningHours.opens, OpeningHours.closes]
    ).where(OpeningHours.office_id == office_id)
    closures = _part(_CLOSURE, [], [Closure.starts_on, Closure.ends_on]).where(
        Closure.office_id == office_id,
        Closure.ends_on >= sa.bindparam("first_day", type_=sa.Date),
        Closure.starts_on <= sa.bindparam("last_day", type_=sa.Date),
    )
    serves = sa.exists().where(
        ServiceResource.service_id == service_id, ServiceResource.resource_id == Resource.id
    )
    wanted: sa.ColumnElement[bool] = serves
    if with_interpreters:
        wanted = sa.or_(serves, Resource.kind == ResourceKind.INTERPRETER)
    candidates = sa.select(Resource.id).where(
        Resource.office_id == office_id, Resource.active.is_(True), wanted
    )
    resources = _part(
        _RESOURCE,
        [Resource.id, sa.case((serves, 1), else_=0)],
        [Resource.kind, Resource.languages],
    ).where(Resource.id.in_(candidates))
    resource_hours = _part(
        _RESOURCE_HOURS,
        [ResourceHours.resource_id, ResourceHours.weekday],
        [ResourceHours.starts, ResourceHours.ends],
    ).where(ResourceHours.resource_id.in_(candidates))
    parts = [header, opening, closures, resources, resource_hours]
    if claims is not None:
        timestamp = TZDateTime()
        parts.append(
            _part(
                _CLAIMS,
                [SlotClaim.resource_id],
                [claims.joined(SlotClaim.starts_at), claims.joined(SlotClaim.ends_at)],
            )
            .where(
                SlotClaim.resource_id.in_(candidates),
                # The lower bound lets the (resource_id, starts_at) index narrow the scan.
                SlotClaim.starts_at >= sa.bindparam("claims_from", type_=timestamp),
                SlotClaim.starts_at < sa.bindparam("claims_until", type_=timestamp),
                SlotClaim.ends_at > sa.bindparam("claims_at", type_=timestamp),
                # Appointments' claims never expire; a hold's claim counts until it does.
                sa.or_(
                    SlotClaim.expires_at.is_(None),
                    SlotClaim.expires_at > sa.bindparam("now", type_=timestamp),
                ),
            )
            .group_by(SlotClaim.resource_id)
        )
    return sa.union_all(*parts)


def _workers(
    resources: list[tuple[int, bool, str, list[str]]],
    hours: dict[int, dict[int, list[Interval]]],
    interpreter_language: str | None,
) -> tuple[list[Worker], list[Worker]]:
    """The service's active resources and, when a language is asked for, its interpreters."""
    serving: list[Worker] = []
    interpreters: list[Worker] = []
    for resource_id, is_serving, kind, languages in resources:
        worker = Worker(id=resource_id, languages=list(languages), hours=hours.get(resource_id))
        if is_serving:
            serving.append(worker)
        elif (
            kind == ResourceKind.INTERPRETER
            and interpreter_language is not None
            and speaks(worker.languages, interpreter_language)
        ):
            interpreters.append(worker)
    return serving, interpreters
