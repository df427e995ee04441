"""The clerk's side of the walk-in queue, under /staff/clerk/{office}/queue: issue a ticket,
call the next number to a counter, mark a ticket served or no-show. No names here either: a
ticket is a number, a service and a language."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.datastructures import FormData

from haven.access.models import Role
from haven.access.pages import StaffPageRoute, checked_form, see_other, staff_page
from haven.access.scope import office_for
from haven.access.staff_pages import ClerkDep, FormFieldInvalid
from haven.scheduling import walk_in_queue
from haven.web.deps import ClockDep, KeyringDep, SessionDep, StateDep

router = APIRouter(include_in_schema=False, route_class=StaffPageRoute)


def queue_path(office_id: int) -> str:
    return f"/staff/clerk/{office_id}/queue"


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@router.get("/staff/clerk/{office_id}/queue")
def clerk_queue(
    request: Request,
    office_id: int,
    staff: ClerkDep,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
) -> Response:
    """Today's line: tickets called and waiting, with the forms to move it on."""
    office = office_for(session, staff, office_id, Role.CLERK)
    context = {
        "office": office,
        "board": walk_in_queue.board(session, office, clock.now()),
        "services": [s for s in office.services if s.active],
    }
    return staff_page(request, keyring, "staff/clerk_queue.html", context, principal=staff)


@router.post("/staff/clerk/{office_id}/queue/tickets")
async def clerk_issue_ticket(
    request: Request,
    office_id: int,
    staff: ClerkDep,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    state: StateDep,
) -> Response:
    """A ticket for a walk-in; the page shows its number and the link to give the person."""
    form = await checked_form(request, keyring)
    office = office_for(session, staff, office_id, Role.CLERK)
    try:
        service_id = int(_text(form, "service"))
    except ValueError:
        raise FormFieldInvalid("choose a service", field="service") from None
    issued = walk_in_queue.issue_ticket(
        session,
        clock,
        actor=staff.actor,
        office=office,
        service_id=service_id,
        language=_text(form, "language"),
    )
    context = {
        "office": office,
        "number": issued.ticket.number,
        "ticket_url": walk_in_queue.ticket_url(state.settings.base_url, issued.token),
    }
    return staff_page(request, keyring, "staff/clerk_ticket_issued.html", context, principal=staff)


@router.post("/staff/clerk/{office_id}/queue/call")
async def clerk_call_next(
    request: Request,
    office_id: int,
    staff: ClerkDep,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
) -> Response:
    form = await checked_form(request, keyring)
    office = office_for(session, staff, office_id, Role.CLERK)
    walk_in_queue.call_next(
        session, clock, actor=staff.actor, office=office, counter=_text(form, "counter")
    )
    return see_other(queue_path(office.id))


@router.post("/staff/clerk/{office_id}/queue/{ticket_id}/{action}")
async def clerk_finish_ticket(
    request: Request,
    office_id: int,
    ticket_id: int,
    action: str,
    staff: ClerkDep,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
) -> Response:
    """Mark a ticket served or no-show."""
    await checked_form(request, keyring)
    office = office_for(session, staff, office_id, Role.CLERK)
    if action not in ("served", "no-show"):
        raise FormFieldInvalid("unknown action", field="action")
    walk_in_queue.finish(
        session,
        clock,
        actor=staff.actor,
        office=office,
        ticket_id=ticket_id,
        served=action == "served",
    )
    return see_other(queue_path(office.id))
