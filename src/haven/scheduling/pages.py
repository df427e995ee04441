"""Public booking pages: office -> service -> day and time -> your details -> confirmation,
and the manage pages (see, reschedule, cancel) and the appointment's .ics file.

Plain forms with POST-redirect-GET, so the whole flow works without JavaScript; htmx only swaps
the week of times in place. Every POST carries a CSRF token (see haven.web.csrf). Choosing a
time places a hold on it (booking.place_hold) and leads to the details form at /book/{hold token}.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from haven.clock import Clock
from haven.errors import Gone, Invalid, NotFound
from haven.notify.ical import MEDIA_TYPE, CalendarEvent, calendar_file
from haven.scheduling import booking, catalog
from haven.scheduling.availability import SlotRuleBroken
from haven.scheduling.booking_form import (
    FORM_FIELDS,
    DetailsForm,
    HeldTime,
    booking_request,
    language_choices,
)
from haven.scheduling.catalog import OfficeEntry, ServiceEntry
from haven.scheduling.models import Appointment, AppointmentStatus, Hold
from haven.scheduling.schemas import Accommodation, AppointmentView, HoldRequest
from haven.scheduling.tokens import MAX_TOKEN_LENGTH, token_hash
from haven.scheduling.week import WeekOfSlots, parse_week, week_of_slots
from haven.vault.keys import Keyring
from haven.web import csrf
from haven.web.deps import ClockDep, KeyringDep, SessionDep, StateDep
from haven.web.page_route import PageRoute
from haven.web.templating import render

router = APIRouter(include_in_schema=False, route_class=PageRoute)

MANAGE_PATH = "/appointments/manage/{token}"


class OfficeNotFoundBySlug(NotFound):
    def __init__(self) -> None:
        super().__init__("there is no office at this address", field="office")


class ServiceNotFoundBySlug(NotFound):
    def __init__(self) -> None:
        super().__init__("this office offers no such service", field="service")


class BookingFormGone(Gone):
    def __init__(self) -> None:
        super().__init__("this booking form has expired: please choose a time again")


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


def page(
    request: Request,
    keyring: Keyring,
    template: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
    private: bool = False,
) -> Response:
    """Render a page with a CSRF token for its forms (setting the cookie when it is new).

    `private` pages (anything behind a hold or manage token) are never stored by caches.
    """
    guard = csrf.CsrfGuard(request, keyring)
    headers = {"Cache-Control": "no-store"} if private else {}
    response = render(
        request,
        template,
        {**context, "csrf_token": guard.token},
        status_code=status_code,
        headers=headers,
    )
    guard.set_cookie(response)
    return response


async def checked_form(request: Request, keyring: Keyring) -> FormData:
    """The posted form, once its CSRF token checks out (CsrfRefused, a 403, otherwise)."""
    form = await request.form()
    csrf.verify(request, form, keyring)
    return form


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def manage_path(token: str) -> str:
    return MANAGE_PATH.format(token=token)


# --- Step 1 and 2: office, service -------------------------------------------------------


def office_by_slug(session: Session, slug: str) -> OfficeEntry:
    # The catalogue is a few dozen offices per deployment region; a by-slug read in
    # catalog.py would spare loading them all (see the report).
    for office in catalog.list_offices(session):
        if office.slug == slug:
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


def office_by_id(session: Session, office_id: int) -> OfficeEntry:
    for office in catalog.list_offices(session):
        if office.id == office_id:
            return office
    raise OfficeNotFoundBySlug()


@router.get("/")
def choose_office(request: Request, session: SessionDep, keyring: KeyringDep) -> Response:
    return page(request, keyring, "pages/offices.html", {"offices": catalog.list_offices(session)})


@router.get("/offices/{office_slug}")
def choose_service(
    request: Request, office_slug: str, session: SessionDep, keyring: KeyringDep
) -> Response:
    office = office_by_slug(session, office_slug)
    services = catalog.list_services(session, office.id)
    return page(request, keyring, "pages/office.html", {"office": office, "services": services})


# --- Step 3: day and time; choosing one places the hold -----------------------------------


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


@router.get("/offices/{office_slug}/services/{service_slug}")
def choose_time(
    request: Request,
    office_slug: str,
    service_slug: str,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    week: str | None = None,
    interpreter: str | None = None,
) -> Response:
    office = office_by_slug(session, office_slug)
    service = service_by_slug(session, office, service_slug)
    return _slots_page(request, session, clock, keyring, office, service, week, interpreter)


@router.post("/offices/{office_slug}/services/{service_slug}")
async def hold_time(
    request: Request,
    office_slug: str,
    service_slug: str,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    state: StateDep,
) -> Response:
    form = await checked_form(request, keyring)
    office = office_by_slug(session, office_slug)
    service = service_by_slug(session, office, service_slug)
    interpreter = _text(form, "interpreter") or None
    try:
        hold_request = HoldRequest(
            office_id=office.id,
            service_id=service.id,
            starts_at=_text(form, "start"),
            interpreter_language=interpreter,
        )
        with session.begin_nested():
            placed = booking.place_hold(
                session,
                clock=clock,
                request=hold_request,
                hold_for=timedelta(minutes=state.settings.hold_minutes),
            )
    except ValidationError:
        return _slots_page(
            request,
            session,
            clock,
            keyring,
            office,
            service,
            None,
            interpreter,
            notice="Please choose one of the times below.",
            status_code=422,
        )
    except (booking.SlotTaken, SlotRuleBroken) as exc:
        week = _local_week_of(_text(form, "start"), office)
        return _slots_page(
            request,
            session,
            clock,
            keyring,
            office,
            service,
            week,
            interpreter,
            notice=_sentence(exc.message),
            status_code=exc.status_code,
        )
    return see_other(f"/book/{placed.token}")


def _slots_page(
    request: Request,
    session: Session,
    clock: Clock,
    keyring: Keyring,
    office: OfficeEntry,
    service: ServiceEntry,
    week: str | None,
    interpreter: str | None,
    *,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    choices = interpreter_choices(office)
    interpreter_language = interpreter if interpreter in choices else None
    base_url = slots_url(office, service)
    week_view = office_week(
        session,
        clock,
        office,
        service,
        week=week,
        interpreter_language=interpreter_language,
        base_url=base_url,
    )
    context = {
        "office": office,
        "service": service,
        "week": week_view,
        "interpreter": interpreter_language,
        "interpreter_languages": choices,
        "slot_action": base_url,
        "notice": notice,
    }
    return page(request, keyring, "pages/slots.html", context, status_code=status_code)


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _sentence(message: str) -> str:
    text = message[:1].upper() + message[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _local_week_of(raw_start: str, office: OfficeEntry) -> str | None:
    """The office-local day of a submitted start time, so an error shows that same week."""
    try:
        instant = datetime.fromisoformat(raw_start)
    except ValueError:
        return None
    if instant.tzinfo is None:
        return None
    return instant.astimezone(ZoneInfo(office.timezone)).date().isoformat()


# --- Step 4: your details, under a hold ----------------------------------------------------


def held_time(session: Session, token: str, posted: FormData | None = None) -> HeldTime:
    """The slot a booking form is for: its hold (live or expired) or, once the hold is gone
    (it became the appointment, or was cleared), the slot the posted form names.

    BookingFormGone when neither says. Booking itself decides whether the time can be had.
    """
    hold = None
    if token and len(token) <= MAX_TOKEN_LENGTH:
        hold = session.scalars(sa.select(Hold).where(Hold.token_hash == token_hash(token))).first()
    if hold is not None:
        return HeldTime.of_hold(hold)
    from_form = HeldTime.posted(posted) if posted is not None else None
    if from_form is None:
        raise BookingFormGone()
    return from_form


def _details_page(
    request: Request,
    session: Session,
    clock: Clock,
    keyring: Keyring,
    held: HeldTime,
    hold_token: str,
    form: DetailsForm,
    *,
    status_code: int = 200,
) -> Response:
    office = office_by_id(session, held.office_id)
    service = service_by_id(session, office, held.service_id)
    now = clock.now()
    local_day = held.starts_at.astimezone(ZoneInfo(office.timezone)).date()
    query = {"week": local_day.isoformat()}
    if held.interpreter_language:
        query["interpreter"] = held.interpreter_language
    expires_at = held.expires_at or now
    live = expires_at > now
    context = {
        "slot": Visit(
            office_name=office.name,
            office_address=office.address,
            service_name=service.name,
            timezone=office.timezone,
            starts_at=held.starts_at,
            ends_at=held.starts_at + timedelta(minutes=service.duration_minutes),
            expires_at=held.expires_at,
        ),
        "hold_live": live,
        "minutes_left": max(1, int((expires_at - now).total_seconds() // 60)),
        "held_fields": held.hidden_fields(),
        "form": form,
        "action": f"/book/{hold_token}",
        "retime_url": f"{slots_url(office, service)}?{urlencode(query)}",
        "languages": language_choices(office.languages),
        "interpreter_languages": interpreter_choices(office),
        "accommodation_codes": [a.value for a in Accommodation],
    }
    return page(
        request, keyring, "pages/details.html", context, status_code=status_code, private=True
    )


@router.get("/book/{hold_token}")
def your_details(
    request: Request, hold_token: str, session: SessionDep, clock: ClockDep, keyring: KeyringDep
) -> Response:
    held = held_time(session, hold_token)
    form = DetailsForm.for_hold(held, idempotency_key=secrets.token_urlsafe(18))
    return _details_page(request, session, clock, keyring, held, hold_token, form)


@router.post("/book/{hold_token}")
async def book(
    request: Request,
    hold_token: str,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    state: StateDep,
) -> Response:
    posted = await checked_form(request, keyring)
    form = DetailsForm.from_form(posted)
    held = held_time(session, hold_token, posted)
    booking_req = booking_request(form, held, hold_token)
    if booking_req is None:
        return _details_page(
            request, session, clock, keyring, held, hold_token, form, status_code=422
        )
    try:
        with session.begin_nested():
            booked = booking.book_appointment(
                session,
                keyring=keyring,
                clock=clock,
                request=booking_req,
                base_url=state.settings.base_url,
                idempotency_key=form.idempotency_key or None,
            )
    except (Invalid, booking.SlotTaken) as exc:
        # A field of the form, or else the time itself (taken, or no longer bookable).
        where = exc.field if exc.field in FORM_FIELDS else "hold-notice"
        form.errors[where] = _sentence(exc.message)
        return _details_page(
            request, session, clock, keyring, held, hold_token, form, status_code=exc.status_code
        )
    token = _manage_token(booked.view.manage_url)
    return see_other(manage_path(token) + "/confirmation")


def _manage_token(url: str) -> str:
    """The token at the end of the manage link booking made (its path is booking's to choose)."""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


# --- Step 5 and after: confirmation, manage, reschedule, cancel, calendar -------------------


def _appointment(
    session: Session, keyring: Keyring, clock: Clock, token: str, base_url: str
) -> tuple[Appointment, AppointmentView]:
    appointment = booking.appointment_by_manage_token(session, token)
    view = booking.appointment_view(
        session, keyring, clock, appointment, token=token, base_url=base_url
    )
    return appointment, view


def _manage_context(
    appointment: Appointment, view: AppointmentView, token: str, now: datetime
) -> dict[str, Any]:
    return {
        "appointment": view,
        "visit": Visit.of_appointment(view),
        "manage_path": manage_path(token),
        "cancelled": appointment.status == AppointmentStatus.CANCELLED,
        "changeable": appointment.status == AppointmentStatus.BOOKED
        and appointment.starts_at > now,
    }


@router.get("/appointments/manage/{token}/confirmation")
def confirmation(
    request: Request,
    token: str,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    state: StateDep,
) -> Response:
    appointment, view = _appointment(session, keyring, clock, token, state.settings.base_url)
    context = _manage_context(appointment, view, token, clock.now())
    context["manage_url"] = state.settings.base_url.rstrip("/") + manage_path(token)
    return page(request, keyring, "pages/confirmation.html", context, private=True)


@router.get("/appointments/manage/{token}")
def manage(
    request: Request,
    token: str,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    state: StateDep,
    done: str | None = None,
) -> Response:
    appointment, view = _appointment(session, keyring, clock, token, state.settings.base_url)
    context = _manage_context(appointment, view, token, clock.now())
    context["done"] = done if done in ("rescheduled", "cancelled") else None
    return page(request, keyring, "pages/manage.html", context, private=True)


@router.get("/manage/{token}")
def manage_short_link(token: str) -> Response:
    """booking.MANAGE_PAGE_PATH: the link in API answers and messages leads to the page."""
    return RedirectResponse(manage_path(token), status_code=308)


@router.get("/appointments/manage/{token}/reschedule")
def choose_new_time(
    request: Request,
    token: str,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    state: StateDep,
    week: str | None = None,
) -> Response:
    return _reschedule_page(request, session, clock, keyring, state.settings.base_url, token, week)


@router.post("/appointments/manage/{token}/reschedule")
async def reschedule(
    request: Request,
    token: str,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    state: StateDep,
) -> Response:
    form = await checked_form(request, keyring)
    raw_start = _text(form, "start")
    try:
        new_start = datetime.fromisoformat(raw_start)
        if new_start.tzinfo is None:
            raise ValueError("naive")
    except ValueError:
        return _reschedule_page(
            request,
            session,
            clock,
            keyring,
            state.settings.base_url,
            token,
            None,
            notice="Please choose one of the times below.",
            status_code=422,
        )
    try:
        with session.begin_nested():
            booking.reschedule_appointment(session, clock=clock, token=token, new_start=new_start)
    except (booking.SlotTaken, SlotRuleBroken) as exc:
        appointment = booking.appointment_by_manage_token(session, token)
        office = office_by_id(session, appointment.office_id)
        return _reschedule_page(
            request,
            session,
            clock,
            keyring,
            state.settings.base_url,
            token,
            _local_week_of(raw_start, office),
            notice=_sentence(exc.message),
            status_code=exc.status_code,
        )
    return see_other(manage_path(token) + "?done=rescheduled")


def _reschedule_page(
    request: Request,
    session: Session,
    clock: Clock,
    keyring: Keyring,
    base_url: str,
    token: str,
    week: str | None,
    *,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    appointment, view = _appointment(session, keyring, clock, token, base_url)
    context = _manage_context(appointment, view, token, clock.now())
    if not context["changeable"]:
        return see_other(manage_path(token))
    office = office_by_id(session, appointment.office_id)
    service = service_by_id(session, office, appointment.service_id)
    context["week"] = office_week(
        session,
        clock,
        office,
        service,
        week=week or _local_week_of(appointment.starts_at.isoformat(), office),
        interpreter_language=appointment.interpreter_language,
        base_url=manage_path(token) + "/reschedule",
    )
    context["slot_action"] = manage_path(token) + "/reschedule"
    context["notice"] = notice
    return page(
        request, keyring, "pages/reschedule.html", context, status_code=status_code, private=True
    )


@router.get("/appointments/manage/{token}/cancel")
def confirm_cancel(
    request: Request,
    token: str,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    state: StateDep,
) -> Response:
    appointment, view = _appointment(session, keyring, clock, token, state.settings.base_url)
    context = _manage_context(appointment, view, token, clock.now())
    if not context["changeable"]:
        return see_other(manage_path(token))
    return page(request, keyring, "pages/cancel.html", context, private=True)


@router.post("/appointments/manage/{token}/cancel")
async def cancel(
    request: Request, token: str, session: SessionDep, clock: ClockDep, keyring: KeyringDep
) -> Response:
    await checked_form(request, keyring)
    booking.cancel_appointment(session, clock=clock, token=token)
    return see_other(manage_path(token) + "?done=cancelled")


def calendar_response(session: Session, clock: Clock, base_url: str, token: str) -> Response:
    """The appointment's .ics file (no personal data in it; see haven.notify.ical)."""
    appointment = booking.appointment_by_manage_token(session, token)
    host = urlsplit(base_url).hostname or "haven"
    event = CalendarEvent(
        uid=f"appointment-{appointment.id}@{host}",
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        stamp=clock.now(),
        summary=f"{appointment.service.name}, {appointment.office.name}",
        location=appointment.office.address,
        description=f"Confirmation code {appointment.confirmation_code}.",
        # Seconds since booking at the last change: grows with every change, as RFC 5545 asks.
        sequence=int((appointment.updated_at - appointment.created_at).total_seconds()),
        cancelled=appointment.status == AppointmentStatus.CANCELLED,
    )
    return Response(
        calendar_file(event),
        media_type=MEDIA_TYPE,
        headers={
            "Content-Disposition": 'attachment; filename="appointment.ics"',
            "Cache-Control": "no-store",
            "Referrer-Policy": "same-origin",
        },
    )


@router.get("/appointments/manage/{token}/calendar.ics")
def calendar(token: str, session: SessionDep, clock: ClockDep, state: StateDep) -> Response:
    return calendar_response(session, clock, state.settings.base_url, token)


def api_calendar(token: str, session: SessionDep, clock: ClockDep, state: StateDep) -> Response:
    """The appointment as an iCalendar (RFC 5545) file (booking_api serves it under /api/v1,
    where errors are JSON)."""
    return calendar_response(session, clock, state.settings.base_url, token)
