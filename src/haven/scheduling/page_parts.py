"""What the booking pages and the manage pages share: finding offices and services by their
address, the week of times, and the visit as every page describes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.errors import NotFound
from haven.scheduling import catalog
from haven.scheduling.catalog import OfficeEntry, ServiceEntry
from haven.scheduling.schemas import AppointmentView
from haven.scheduling.week import WeekOfSlots, parse_week, week_of_slots

MANAGE_PATH = "/appointments/manage/{token}"


class OfficeNotFoundBySlug(NotFound):
    def __init__(self) -> None:
        super().__init__("there is no office at this address", field="office")


class ServiceNotFoundBySlug(NotFound):
    def __init__(self) -> None:
        super().__init__("this office offers no such service", field="service")


@dataclass(frozen=True)
class Visit:
    """What every page says about one appointment or held time, in the office's zone."""

    office_name: str
    office_address: str
    service_name: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    expires_at: datetime | None = None

    @classmethod
    def of_appointment(cls, view: AppointmentView) -> Visit:
        return cls(
            office_name=view.office.name,
            office_address=view.office.address,
            service_name=view.service.name,
            timezone=view.office.timezone,
            starts_at=view.starts_at,
            ends_at=view.ends_at,
        )


def manage_path(token: str) -> str:
    return MANAGE_PATH.format(token=token)


def office_by_slug(session: Session, slug: str) -> OfficeEntry:
    # The catalogue holds a few dozen offices per deployment region; a by-slug read in
    # catalog.py would spare listing them all.
    for office in catalog.list_offices(session):
        if office.slug == slug:
            return office
    raise OfficeNotFoundBySlug()


def office_by_id(session: Session, office_id: int) -> OfficeEntry:
    for office in catalog.list_offices(session):
        if office.id == office_id:
            return office
    raise OfficeNotFoundBySlug()


def service_by_slug(session: Session, office: OfficeEntry, slug: str) -> ServiceEntry:
    for service in catalog.list_services(session, office.id):
        if service.slug == slug:
            return service
    raise ServiceNotFoundBySlug()


def service_by_id(session: Session, office: OfficeEntry, service_id: int) -> ServiceEntry:
    for service in catalog.list_services(session, office.id):
        if service.id == service_id:
            return service
    raise ServiceNotFoundBySlug()


def interpreter_choices(office: OfficeEntry) -> list[str]:
    """Languages an interpreter or a member of staff can give the appointment in."""
    return sorted({*office.interpreter_languages, *office.languages} - {"en"})


def slots_url(office: OfficeEntry, service: ServiceEntry) -> str:
    return f"/offices/{office.slug}/services/{service.slug}"


def office_week(
    session: Session,
    clock: Clock,
    office: OfficeEntry,
    service: ServiceEntry,
    *,
    week: str | None,
    interpreter_language: str | None,
    base_url: str,
) -> WeekOfSlots:
    """The week of open times the address asks for (this week by default)."""
    now = clock.now()
    today = now.astimezone(ZoneInfo(office.timezone)).date()
    return week_of_slots(
        session,
        office_id=office.id,
        service_id=service.id,
        timezone=office.timezone,
        max_days_ahead=service.max_days_ahead,
        first_day=parse_week(week, today),
        now=now,
        base_url=base_url,
        interpreter_language=interpreter_language,
    )


def local_week_of(raw_start: str, office: OfficeEntry) -> str | None:
    """The office-local day of a submitted start time, so an error shows that same week."""
    try:
        instant = datetime.fromisoformat(raw_start)
    except ValueError:
        return None
    if instant.tzinfo is None:
        return None
    return instant.astimezone(ZoneInfo(office.timezone)).date().isoformat()
