"""Public pages of the walk-in queue and the waitlist.

- `/offices/{slug}/queue`: the waiting room's screen. Numbers called and to which counter, how
  many wait; large type, no names, no service; it updates itself every few seconds (htmx
  polling; not a meta refresh, which WCAG 2.2.1 rules out).
- `/queue/tickets/{token}`: the person's ticket: their number, how many are ahead, the
  estimated wait, or the counter once called; it also updates itself.
- `/offices/{slug}/services/{service}/waitlist`: join the waitlist when no time fits.
- `/waitlist/offers/{token}`: a waitlist offer, and accepting it.
"""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from haven.errors import Invalid
from haven.scheduling import waitlist, walk_in_queue
from haven.scheduling.appointment_view import MANAGE_PAGE_PATH
from haven.scheduling.catalog import OfficeEntry, ServiceEntry
from haven.scheduling.models import Office, Service
from haven.scheduling.page_parts import office_by_slug, service_by_slug
from haven.scheduling.schemas import BookingRequest
from haven.web.page_route import Call, PageRoute, form_text, see_other

router = APIRouter(include_in_schema=False, route_class=PageRoute)

DISPLAY_REFRESH_SECONDS = 10
TICKET_REFRESH_SECONDS = 30
WAITLIST_DAYS_DEFAULT = 14


class WaitlistFormInvalid(Invalid):
    pass


@router.get("/offices/{office_slug}/queue")
def queue_display(office_slug: str, call: Call) -> Response:
    """The waiting room's screen for today: numbers being called, never names."""
    office = call.session.get_one(Office, office_by_slug(call.session, office_slug).id)
    board = walk_in_queue.board(call.session, office, call.clock.now())
    context = {"office": office, "board": board, "refresh": DISPLAY_REFRESH_SECONDS}
    return call.render("pages/queue_display.html", context)


@router.get("/queue/tickets/{token}")
def ticket_page(token: str, call: Call) -> Response:
    """The person's ticket: place in line and estimated wait, or the counter to go to."""
    view = walk_in_queue.ticket_view(call.session, token, call.clock.now())
    context = {"ticket": view, "refresh": TICKET_REFRESH_SECONDS}
    return call.render("pages/queue_ticket.html", context, private=True)


@router.get("/offices/{office_slug}/services/{service_slug}/waitlist")
def waitlist_form(office_slug: str, service_slug: str, call: Call) -> Response:
    office = office_by_slug(call.session, office_slug)
    service = service_by_slug(call.session, office, service_slug)
    return _waitlist_page(call, office, service, {}, None)


@router.post("/offices/{office_slug}/services/{service_slug}/waitlist")
async def join_waitlist(office_slug: str, service_slug: str, call: Call) -> Response:
    form = await call.checked_form()
    office = office_by_slug(call.session, office_slug)
    service = service_by_slug(call.session, office, service_slug)
    try:
        request = _waitlist_request(form, office, service, call.locale)
        with call.session.begin_nested():
            waitlist.join_waitlist(call.session, call.keyring, call.clock, request)
    except Invalid as error:
        return _waitlist_page(call, office, service, form, error, status_code=422)
    return see_other(f"/offices/{office.slug}/services/{service.slug}/waitlist?joined=1")


def _waitlist_page(
    call: Call,
    office: OfficeEntry,
    service: ServiceEntry,
    form: FormData | dict[str, str],
    error: Invalid | None,
    *,
    status_code: int = 200,
) -> Response:
    today = call.clock.now().date()
    context = {
        "office": office,
        "service": service,
        "form": form,
        "error": call.problem(error) if error else None,
        "error_field": error.field if error else None,
        "joined": call.request.query_params.get("joined") == "1",
        "first_day": form_text(form, "first_day") or today.isoformat(),
        "last_day": form_text(form, "last_day")
        or (today + timedelta(days=WAITLIST_DAYS_DEFAULT)).isoformat(),
    }
    return call.render("pages/waitlist_join.html", context, status_code=status_code)


def _waitlist_request(
    form: FormData, office: OfficeEntry, service: ServiceEntry, locale: str
) -> waitlist.WaitlistRequest:
    days = []
    for name in ("first_day", "last_day"):
        try:
            days.append(date.fromisoformat(form_text(form, name)))
        except ValueError:
            raise WaitlistFormInvalid("give the day as YYYY-MM-DD", field=name) from None
    contact = form_text(form, "contact")
    by_email = "@" in contact
    try:
        # The booking request's own checks for the name and the contact, reused.
        checked = BookingRequest(
            office_id=office.id,
            service_id=service.id,
            starts_at=days[0].isoformat() + "T00:00:00+00:00",
            name=form_text(form, "name"),
            phone=None if by_email else contact or None,
            email=contact if by_email else None,
            language=locale,
        )
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0]) if exc.errors() else "name"
        raise WaitlistFormInvalid(
            "check your name and your phone number or email address",
            field="contact" if field in ("phone", "email") else "name",
        ) from None
    if checked.phone is None and checked.email is None:
        raise WaitlistFormInvalid("give a phone number or an email address", field="contact")
    return waitlist.WaitlistRequest(
        office_id=office.id,
        service_id=service.id,
        first_day=days[0],
        last_day=days[1],
        language=locale,
        name=checked.name,
        phone=checked.phone,
        email=checked.email,
    )


@router.get("/waitlist/offers/{token}")
def offer_page(token: str, call: Call) -> Response:
    entry, hold = waitlist.offer_by_token(call.session, token)
    office = call.session.get_one(Office, entry.office_id)
    service = call.session.get_one(Service, entry.service_id)
    context = {
        "office": office,
        "service": service,
        "starts_at": hold.starts_at,
        "expires_at": entry.offer_expires_at,
        "token": token,
    }
    return call.render("pages/waitlist_offer.html", context, private=True)


@router.post("/waitlist/offers/{token}/accept")
async def accept_offer(token: str, call: Call) -> Response:
    await call.checked_form()
    result = waitlist.accept_offer(
        call.session, call.keyring, call.clock, token=token, base_url=call.settings.base_url
    )
    manage_token = result.view.manage_url.rsplit("/", 1)[1]
    return see_other(MANAGE_PAGE_PATH.format(token=manage_token))
