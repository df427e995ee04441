"""The office manager's view of the outbox: counts by status and the messages that failed.

No address and no text: only the kind, the channel, the attempts and our own words for the
failure, so the manager can see that someone was not reached and call the appointment up with
a purpose (the record page) if they must reach them another way.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from haven.access.models import Role
from haven.access.pages import StaffPageRoute, staff_page
from haven.access.scope import office_for
from haven.access.staff_pages import ManagerDep
from haven.notify.service import office_outbox
from haven.web.deps import KeyringDep, SessionDep

router = APIRouter(include_in_schema=False, route_class=StaffPageRoute)


@router.get("/staff/manager/{office_id}/messages")
def manager_messages(
    request: Request,
    office_id: int,
    staff: ManagerDep,
    session: SessionDep,
    keyring: KeyringDep,
) -> Response:
    """Message counts by status and the latest failures for one office."""
    office = office_for(session, staff, office_id, Role.MANAGER)
    context = {"office": office, "outbox": office_outbox(session, office.id)}
    return staff_page(request, keyring, "staff/manager_messages.html", context, principal=staff)
