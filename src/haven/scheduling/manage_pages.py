"""The manage link's pages: the confirmation, the appointment, a new time, cancelling (with a
confirmation step), and its .ics file. The token in the address is the only key; every page
behind it is private (never cached) and sends no referrer to other sites.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from haven import i18n
from haven.clock import Clock
from haven.notify.ical import MEDIA_TYPE, CalendarEvent, calendar_file
from haven.scheduling import booking
from haven.scheduling.appointment_view import appointment_view
from haven.scheduling.availability import SlotRuleBroken
from haven.scheduling.models import Appointment, AppointmentStatus
from haven.scheduling.page_parts import (
    Visit,
    local_week_of,
    manage_path,
    office_by_id,
    office_week,
    service_by_id,
)
from haven.web.deps import ClockDep, SessionDep, StateDep
from haven.web.page_route import Call, PageCall, PageRoute, form_text, see_other
from haven.web.public_messages import CHOOSE_LISTED_TIME

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def _manage_context(call: PageCall, token: str) -> tuple[Appointment, dict[str, Any]]:
    """The appointment behind the token and what every manage page shows of it."""
    appointment = booking.appointment_by_manage_token(call.session, token)
    view = appointment_view(
        call.session,
        call.keyring,
        call.clock,
        appointment,
        token=token,
        base_url=call.settings.base_url,
    )
    return appointment, {
        "appointment": view,
        "visit": Visit.of_appointment(view),
        "manage_path": manage_path(token),
        "cancelled": appointment.status == AppointmentStatus.CANCELLED,
        "changeable": appointment.status == AppointmentStatus.BOOKED
        and appointment.starts_at > call.clock.now(),
    }


@router.get("/appointments/manage/{token}/confirmation")
def confirmation(token: str, call: Call) -> Response:
    _, context = _manage_context(call, token)
    context["manage_url"] = call.settings.base_url.rstrip("/") + manage_path(token)
    return call.render("pages/confirmation.html", context, private=True)


@router.get("/appointments/manage/{token}")
def manage(token: str, call: Call, done: str | None = None) -> Response:
    _, context = _manage_context(call, token)
    context["done"] = done if done in ("rescheduled", "cancelled") else None
    return call.render("pages/manage.html", context, private=True)


@router.get("/manage/{token}")
def manage_short_link(token: str) -> Response:
    """appointment_view.MANAGE_PAGE_PATH: the link in API answers and messages leads to the page."""
    return RedirectResponse(manage_path(token), status_code=308)


@router.get("/appointments/manage/{token}/reschedule")
def choose_new_time(token: str, call: Call, week: str | None = None) -> Response:
    return _reschedule_page(call, token, week)


@router.post("/appointments/manage/{token}/reschedule")
async def reschedule(token: str, call: Call) -> Response:
    form = await call.checked_form()
    raw_start = form_text(form, "start")
    try:
        new_start = datetime.fromisoformat(raw_start)
    except ValueError:
        new_start = None
    if new_start is None or new_start.tzinfo is None:
        notice = call.text(CHOOSE_LISTED_TIME)
        return _reschedule_page(call, token, None, notice=notice, status_code=422)
    try:
        with call.session.begin_nested():
            booking.reschedule_appointment(
                call.session,
                keyring=call.keyring,
                clock=call.clock,
                token=token,
                new_start=new_start,
            )
    except (booking.SlotTaken, SlotRuleBroken) as exc:
        return _reschedule_page(
            call, token, raw_start, notice=call.problem(exc), status_code=exc.status_code
        )
    return see_other(manage_path(token) + "?done=rescheduled")


def _reschedule_page(
    call: PageCall,
    token: str,
    near: str | None,
    *,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    """The week of times to move to: the week `near` names (a date or an instant), else the
    appointment's own week."""
    appointment, context = _manage_context(call, token)
    if not context["changeable"]:
        return see_other(manage_path(token))
    office = office_by_id(call.session, appointment.office_id)
    service = service_by_id(call.session, office, appointment.service_id)
    own_week = local_week_of(appointment.starts_at.isoformat(), office)
    week = (local_week_of(near, office) or near) if near else own_week
    context["week"] = office_week(
        call.session,
        call.clock,
        office,
        service,
        week=week,
        interpreter_language=appointment.interpreter_language,
        base_url=manage_path(token) + "/reschedule",
    )
    context["slot_action"] = manage_path(token) + "/reschedule"
    context["notice"] = notice
    return call.render("pages/reschedule.html", context, status_code=status_code, private=True)


@router.get("/appointments/manage/{token}/cancel")
def confirm_cancel(token: str, call: Call) -> Response:
    _, context = _manage_context(call, token)
    if not context["changeable"]:
        return see_other(manage_path(token))
    return call.render("pages/cancel.html", context, private=True)


@router.post("/appointments/manage/{token}/cancel")
async def cancel(token: str, call: Call) -> Response:
    await call.checked_form()
    booking.cancel_appointment(call.session, keyring=call.keyring, clock=call.clock, token=token)
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
        # In the language the person said they prefer (English when we have no catalogue).
        description=i18n.translate(
            i18n.supported(appointment.language) or i18n.DEFAULT_LOCALE,
            i18n.N_("Confirmation code %(code)s."),
            {"code": appointment.confirmation_code},
        ),
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
