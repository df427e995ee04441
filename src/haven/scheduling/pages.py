"""Public booking pages: office -> service -> day and time -> your details -> confirmation; the
manage link's pages live in manage_pages and are served by this router too.

Plain forms with POST-redirect-GET, so the whole flow works without JavaScript; htmx only swaps
the week of times in place. Every POST carries a CSRF token (see haven.web.csrf). Choosing a
time places a hold on it (booking.place_hold) and leads to the details form at /book/{hold token}.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi import APIRouter, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from haven.errors import Gone, Invalid
from haven.scheduling import booking, catalog, manage_pages
from haven.scheduling.availability import SlotRuleBroken
from haven.scheduling.booking_form import (
    FORM_FIELDS,
    DetailsForm,
    HeldTime,
    booking_request,
    language_choices,
)
from haven.scheduling.catalog import OfficeEntry, ServiceEntry
from haven.scheduling.manage_pages import api_calendar
from haven.scheduling.models import Hold
from haven.scheduling.page_parts import (
    Visit,
    interpreter_choices,
    local_week_of,
    manage_path,
    office_by_id,
    office_by_slug,
    office_week,
    service_by_id,
    service_by_slug,
    slots_url,
)
from haven.scheduling.schemas import Accommodation, HoldRequest
from haven.scheduling.tokens import MAX_TOKEN_LENGTH, token_hash
from haven.web.page_route import Call, PageCall, PageRoute, form_text, see_other
from haven.web.public_messages import BOOKING_FORM_GONE, CHOOSE_LISTED_TIME

__all__ = ["api_calendar", "router"]

router = APIRouter(include_in_schema=False, route_class=PageRoute)
router.include_router(manage_pages.router)


class BookingFormGone(Gone):
    public_message = BOOKING_FORM_GONE

    def __init__(self) -> None:
        super().__init__("this booking form has expired: please choose a time again")


# --- Steps 1 and 2: office, service --------------------------------------------------------


@router.get("/")
def choose_office(call: Call) -> Response:
    return call.render("pages/offices.html", {"offices": catalog.list_offices(call.session)})


@router.get("/offices/{office_slug}")
def choose_service(office_slug: str, call: Call) -> Response:
    office = office_by_slug(call.session, office_slug)
    services = catalog.list_services(call.session, office.id)
    return call.render("pages/office.html", {"office": office, "services": services})


# --- Step 3: day and time; choosing one places the hold -----------------------------------


@router.get("/offices/{office_slug}/services/{service_slug}")
def choose_time(
    office_slug: str,
    service_slug: str,
    call: Call,
    week: str | None = None,
    interpreter: str | None = None,
) -> Response:
    office = office_by_slug(call.session, office_slug)
    service = service_by_slug(call.session, office, service_slug)
    return _slots_page(call, office, service, week, interpreter)


@router.post("/offices/{office_slug}/services/{service_slug}")
async def hold_time(office_slug: str, service_slug: str, call: Call) -> Response:
    form = await call.checked_form()
    office = office_by_slug(call.session, office_slug)
    service = service_by_slug(call.session, office, service_slug)
    interpreter = form_text(form, "interpreter") or None
    start = form_text(form, "start")
    try:
        hold_request = HoldRequest(
            office_id=office.id,
            service_id=service.id,
            starts_at=start,
            interpreter_language=interpreter,
        )
        with call.session.begin_nested():
            placed = booking.place_hold(
                call.session,
                clock=call.clock,
                request=hold_request,
                hold_for=timedelta(minutes=call.settings.hold_minutes),
            )
    except ValidationError:
        notice = call.text(CHOOSE_LISTED_TIME)
        return _slots_page(call, office, service, None, interpreter, notice, status_code=422)
    except (booking.SlotTaken, SlotRuleBroken) as exc:
        week = local_week_of(start, office)
        notice = call.problem(exc)
        return _slots_page(
            call, office, service, week, interpreter, notice, status_code=exc.status_code
        )
    return see_other(f"/book/{placed.token}")


def _slots_page(
    call: PageCall,
    office: OfficeEntry,
    service: ServiceEntry,
    week: str | None,
    interpreter: str | None,
    notice: str | None = None,
    *,
    status_code: int = 200,
) -> Response:
    choices = interpreter_choices(office)
    interpreter_language = interpreter if interpreter in choices else None
    base_url = slots_url(office, service)
    context = {
        "office": office,
        "service": service,
        "week": office_week(
            call.session,
            call.clock,
            office,
            service,
            week=week,
            interpreter_language=interpreter_language,
            base_url=base_url,
        ),
        "interpreter": interpreter_language,
        "interpreter_languages": choices,
        "slot_action": base_url,
        "notice": notice,
    }
    return call.render("pages/slots.html", context, status_code=status_code)


# --- Step 4: your details, under a hold ----------------------------------------------------


def held_time(call: PageCall, token: str, posted: FormData | None = None) -> HeldTime:
    """The slot a booking form is for: its hold (live or expired) or, once the hold is gone
    (it became the appointment, or was cleared), the slot the posted form names.

    BookingFormGone when neither says. Booking itself decides whether the time can be had.
    """
    hold = None
    if token and len(token) <= MAX_TOKEN_LENGTH:
        query = sa.select(Hold).where(Hold.token_hash == token_hash(token))
        hold = call.session.scalars(query).first()
    if hold is not None:
        return HeldTime.of_hold(hold)
    from_form = HeldTime.posted(posted) if posted is not None else None
    if from_form is None:
        raise BookingFormGone()
    return from_form


@router.get("/book/{hold_token}")
def your_details(hold_token: str, call: Call) -> Response:
    held = held_time(call, hold_token)
    form = DetailsForm.for_hold(held, idempotency_key=secrets.token_urlsafe(18))
    form.language = call.locale  # the language they are reading in, until they say otherwise
    return _details_page(call, held, hold_token, form)


@router.post("/book/{hold_token}")
async def book(hold_token: str, call: Call) -> Response:
    posted = await call.checked_form()
    form = DetailsForm.from_form(posted)
    held = held_time(call, hold_token, posted)
    request = booking_request(form, held, hold_token, call.text)
    if request is None:
        return _details_page(call, held, hold_token, form, status_code=422)
    try:
        with call.session.begin_nested():
            booked = booking.book_appointment(
                call.session,
                keyring=call.keyring,
                clock=call.clock,
                request=request,
                base_url=call.settings.base_url,
                idempotency_key=form.idempotency_key or None,
            )
    except (Invalid, booking.SlotTaken) as exc:
        # A field of the form, or else the time itself (taken, or no longer bookable).
        where = exc.field if exc.field in FORM_FIELDS else "hold-notice"
        form.errors[where] = call.problem(exc)
        return _details_page(call, held, hold_token, form, status_code=exc.status_code)
    return see_other(manage_path(_manage_token(booked.view.manage_url)) + "/confirmation")


def _details_page(
    call: PageCall, held: HeldTime, hold_token: str, form: DetailsForm, *, status_code: int = 200
) -> Response:
    office = office_by_id(call.session, held.office_id)
    service = service_by_id(call.session, office, held.service_id)
    now = call.clock.now()
    local_day = held.starts_at.astimezone(ZoneInfo(office.timezone)).date()
    query = {"week": local_day.isoformat()}
    if held.interpreter_language:
        query["interpreter"] = held.interpreter_language
    expires_at = held.expires_at or now
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
        "hold_live": expires_at > now,
        "minutes_left": max(1, int((expires_at - now).total_seconds() // 60)),
        "held_fields": held.hidden_fields(),
        "form": form,
        "action": f"/book/{hold_token}",
        "retime_url": f"{slots_url(office, service)}?{urlencode(query)}",
        "languages": language_choices([*office.languages, call.locale]),
        "interpreter_languages": interpreter_choices(office),
        "accommodation_codes": [a.value for a in Accommodation],
    }
    return call.render("pages/details.html", context, status_code=status_code, private=True)


def _manage_token(url: str) -> str:
    """The token at the end of the manage link booking made (its path is booking's to choose)."""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
