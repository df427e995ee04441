"""A manager's changes to their office: opening hours, closures, services, counters.

Each is a named action that writes its rows and one ledger entry (`scheduling:office:changed`,
naming what changed, never any person) in the caller's transaction.
"""

from __future__ import annotations

from datetime import date, time
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.errors import Invalid, NotFound
from haven.ledger.store import append
from haven.scheduling.events import OfficeChange, OfficeEvent
from haven.scheduling.models import (
    Closure,
    Office,
    OpeningHours,
    Resource,
    ResourceKind,
    Service,
    ServiceResource,
)

MAX_CLOSURE_DAYS = 366

# The office's own rows that a manager may change or remove by id.
_OfficeRow = TypeVar("_OfficeRow", Closure, Service, Resource)


class OfficeChangeInvalid(Invalid):
    pass


def set_hours(
    session: Session,
    clock: Clock,
    *,
    actor: str,
    office: Office,
    weekday: int,
    opens: time | None,
    closes: time | None,
) -> None:
    """One opening interval for a weekday (0 = Monday), or closed that day when both are None."""
    if not 0 <= weekday <= 6:
        raise OfficeChangeInvalid("the weekday is 0 (Monday) to 6 (Sunday)", field="weekday")
    if (opens is None) != (closes is None):
        raise OfficeChangeInvalid("give both opening and closing times, or neither", field="opens")
    if opens is not None and closes is not None and opens >= closes:
        raise OfficeChangeInvalid("the office must open before it closes", field="closes")
    session.execute(
        sa.delete(OpeningHours).where(
            OpeningHours.office_id == office.id, OpeningHours.weekday == weekday
        )
    )
    if opens is not None and closes is not None:
        session.add(OpeningHours(office_id=office.id, weekday=weekday, opens=opens, closes=closes))
    session.flush()
    _record(session, clock, actor, office, OfficeChange.HOURS_SET, weekday)


def add_closure(
    session: Session,
    clock: Clock,
    *,
    actor: str,
    office: Office,
    starts_on: date,
    ends_on: date,
    reason: str,
) -> Closure:
    reason = reason.strip()
    if ends_on < starts_on:
        raise OfficeChangeInvalid("the closure must end on or after its first day", field="ends_on")
    if (ends_on - starts_on).days >= MAX_CLOSURE_DAYS:
        raise OfficeChangeInvalid("a closure may last at most a year", field="ends_on")
    if not reason or len(reason) > 200:
        raise OfficeChangeInvalid(
            "say why the office is closed (up to 200 characters)", field="reason"
        )
    closure = Closure(office_id=office.id, starts_on=starts_on, ends_on=ends_on, reason=reason)
    session.add(closure)
    session.flush()
    _record(session, clock, actor, office, OfficeChange.CLOSURE_ADDED, closure.id)
    return closure


def remove_closure(
    session: Session, clock: Clock, *, actor: str, office: Office, closure_id: int
) -> None:
    closure = _of_office(session, Closure, closure_id, office, noun="closure", field="closure")
    session.delete(closure)
    session.flush()
    _record(session, clock, actor, office, OfficeChange.CLOSURE_REMOVED, closure_id)


def set_service_active(
    session: Session, clock: Clock, *, actor: str, office: Office, service_id: int, active: bool
) -> None:
    service = _of_office(session, Service, service_id, office, noun="service", field="service")
    on, off = OfficeChange.SERVICE_ACTIVE, OfficeChange.SERVICE_INACTIVE
    _set_active(session, clock, actor, office, service, active, on=on, off=off)


def add_counter(
    session: Session, clock: Clock, *, actor: str, office: Office, name: str, service_ids: list[int]
) -> Resource:
    """A new counter (capacity) that serves these services of the office."""
    name = name.strip()
    if not name or len(name) > 200:
        raise OfficeChangeInvalid("name the counter (up to 200 characters)", field="name")
    own = {s.id for s in office.services}
    if not service_ids or not set(service_ids) <= own:
        raise OfficeChangeInvalid("choose the services this counter serves", field="service_ids")
    counter = Resource(
        office_id=office.id, kind=ResourceKind.COUNTER, name=name, languages=list(office.languages)
    )
    session.add(counter)
    session.flush()
    for service_id in sorted(set(service_ids)):
        session.add(ServiceResource(service_id=service_id, resource_id=counter.id))
    session.flush()
    _record(session, clock, actor, office, OfficeChange.COUNTER_ADDED, counter.id)
    return counter


def set_counter_active(
    session: Session, clock: Clock, *, actor: str, office: Office, resource_id: int, active: bool
) -> None:
    counter = _of_office(session, Resource, resource_id, office, noun="counter", field="resource")
    on, off = OfficeChange.COUNTER_ACTIVE, OfficeChange.COUNTER_INACTIVE
    _set_active(session, clock, actor, office, counter, active, on=on, off=off)


def _of_office(
    session: Session, model: type[_OfficeRow], row_id: int, office: Office, *, noun: str, field: str
) -> _OfficeRow:
    """The office's own row of `model` by id; NotFound (naming `field`) for another office's."""
    row = session.get(model, row_id)
    if row is None or row.office_id != office.id:
        raise NotFound(f"this office has no such {noun}", field=field)
    return row


def _set_active(
    session: Session,
    clock: Clock,
    actor: str,
    office: Office,
    row: Service | Resource,
    active: bool,
    *,
    on: OfficeChange,
    off: OfficeChange,
) -> None:
    row.active = active
    session.flush()
    _record(session, clock, actor, office, on if active else off, row.id)


def _record(
    session: Session, clock: Clock, actor: str, office: Office, change: OfficeChange, item: int
) -> None:
    append(
        session,
        OfficeEvent.CHANGED,
        actor=actor,
        time=clock.now(),
        refs=[f"office:{office.id}"],
        office=office.id,
        change=str(change),
        item=item,
    )
