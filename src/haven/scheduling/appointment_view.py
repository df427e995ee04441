"""What an appointment looks like to the person it belongs to: the `AppointmentView` that the
booking API answers and the manage pages show, and the links it carries.

Manage links: `manage_url()` is the person's page (`MANAGE_PAGE_PATH`, served by the public
pages); the same token works under `MANAGE_API_PATH` for the JSON API, and its calendar file
under `CALENDAR_API_PATH`.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.scheduling.availability import OfficeSchedule
from haven.scheduling.models import Appointment, Office, Service
from haven.scheduling.schemas import AppointmentView, OfficeSummary, PersonView, ServiceSummary
from haven.vault.keys import Keyring
from haven.vault.reads import ReadPurpose, read_people
from haven.vault.service import PersonData

MANAGE_PAGE_PATH = "/manage/{token}"
MANAGE_API_PATH = "/api/v1/appointments/manage/{token}"
CALENDAR_API_PATH = MANAGE_API_PATH + "/calendar.ics"
# The ledger actor for a person acting through their own manage link or booking.
PUBLIC_ACTOR = "public"


def manage_url(base_url: str, token: str) -> str:
    """The person's own page for the appointment."""
    return base_url.rstrip("/") + MANAGE_PAGE_PATH.format(token=token)


def calendar_url(base_url: str, token: str) -> str:
    """The appointment's iCalendar file (RFC 5545), served by the JSON API."""
    return base_url.rstrip("/") + CALENDAR_API_PATH.format(token=token)


def appointment_view(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    appointment: Appointment,
    *,
    token: str,
    base_url: str,
) -> AppointmentView:
    """What the holder of the manage link sees, their own details included (a recorded read;
    PersonGone once the record was shredded on schedule)."""
    person = read_people(
        session,
        keyring,
        clock,
        actor=PUBLIC_ACTOR,
        purpose=ReadPurpose.OWN_REQUEST,
        person_ids=[appointment.person_id],
        context="manage-link",
    ).person(appointment.person_id)
    office, service = summaries(appointment.office, appointment.service)
    return view_of(appointment, office, service, person, base_url, token)


def summaries(office: Office, service: Service) -> tuple[OfficeSummary, ServiceSummary]:
    """The office and service as the view shows them."""
    return (
        OfficeSummary(
            id=office.id, name=office.name, address=office.address, timezone=office.timezone
        ),
        ServiceSummary(id=service.id, name=service.name, duration_minutes=service.duration_minutes),
    )


def schedule_summaries(schedule: OfficeSchedule) -> tuple[OfficeSummary, ServiceSummary]:
    """The office and service as the schedule just read them (no second read)."""
    return (
        OfficeSummary(
            id=schedule.office_id,
            name=schedule.office_name,
            address=schedule.office_address,
            timezone=schedule.zone.key,
        ),
        ServiceSummary(
            id=schedule.service_id,
            name=schedule.service_name,
            duration_minutes=schedule.duration // timedelta(minutes=1),
        ),
    )


def view_of(
    appointment: Appointment,
    office: OfficeSummary,
    service: ServiceSummary,
    person: PersonData,
    base_url: str,
    token: str,
) -> AppointmentView:
    """The view built from parts already at hand (no read): times also in the office's zone."""
    zone = ZoneInfo(office.timezone)
    return AppointmentView(
        confirmation_code=appointment.confirmation_code,
        manage_url=manage_url(base_url, token),
        calendar_url=calendar_url(base_url, token),
        status=str(appointment.status),
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        starts_at_local=appointment.starts_at.astimezone(zone),
        ends_at_local=appointment.ends_at.astimezone(zone),
        office=office,
        service=service,
        language=appointment.language,
        interpreter_language=appointment.interpreter_language,
        accommodations=list(appointment.accommodations),
        person=PersonView(
            name=person.name,
            phone=person.phone,
            email=person.email,
            accommodation_note=person.accommodation_note,
        ),
    )
