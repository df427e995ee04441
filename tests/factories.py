"""Test data with named states. Build offices the way the office's own staff would set them up."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy.orm import Session

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

WEEKDAYS = range(5)


def office(
    session: Session,
    *,
    slug: str = "downtown",
    timezone: str = "America/New_York",
    opens: time = time(9, 0),
    closes: time = time(17, 0),
    weekdays: range | list[int] = WEEKDAYS,
    languages: list[str] | None = None,
) -> Office:
    """An office open `opens`-`closes` local time on the given weekdays (Mon-Fri by default)."""
    row = Office(
        slug=slug,
        name=f"{slug.title()} Field Office",
        address="100 Main Street",
        timezone=timezone,
        languages=languages if languages is not None else ["en", "es"],
    )
    session.add(row)
    session.flush()
    for weekday in weekdays:
        session.add(OpeningHours(office_id=row.id, weekday=weekday, opens=opens, closes=closes))
    session.flush()
    return row


def closure(
    session: Session, office_row: Office, starts_on: date, ends_on: date | None = None
) -> Closure:
    row = Closure(
        office_id=office_row.id, starts_on=starts_on, ends_on=ends_on or starts_on, reason="Holiday"
    )
    session.add(row)
    session.flush()
    return row


def resource(
    session: Session,
    office_row: Office,
    *,
    kind: ResourceKind = ResourceKind.COUNTER,
    name: str | None = None,
    languages: list[str] | None = None,
    hours: list[tuple[int, time, time]] | None = None,
) -> Resource:
    """A counter (by default) that works the office's hours unless `hours` says otherwise."""
    row = Resource(
        office_id=office_row.id,
        kind=kind,
        name=name or f"{kind.value} {len(office_row.resources) + 1}",
        languages=languages if languages is not None else ["en"],
    )
    session.add(row)
    session.flush()
    for weekday, starts, ends in hours or []:
        session.add(ResourceHours(resource_id=row.id, weekday=weekday, starts=starts, ends=ends))
    session.flush()
    return row


def service(
    session: Session,
    office_row: Office,
    *,
    slug: str = "benefits-interview",
    duration_minutes: int = 30,
    buffer_minutes: int = 0,
    resources: list[Resource] | None = None,
    max_days_ahead: int = 60,
    min_notice_minutes: int = 60,
) -> Service:
    """A service delivered at the given counters (or a new counter when none is given)."""
    row = Service(
        office_id=office_row.id,
        slug=slug,
        name=slug.replace("-", " ").capitalize(),
        duration_minutes=duration_minutes,
        buffer_minutes=buffer_minutes,
        resource_kind=ResourceKind.COUNTER,
        max_days_ahead=max_days_ahead,
        min_notice_minutes=min_notice_minutes,
    )
    session.add(row)
    session.flush()
    for res in resources if resources is not None else [resource(session, office_row)]:
        session.add(ServiceResource(service_id=row.id, resource_id=res.id))
    session.flush()
    return row
