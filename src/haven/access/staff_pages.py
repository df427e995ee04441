"""Work pages for clerks, managers, auditors and privacy officers, under /staff/.

Deny by default: every route takes a role dependency, and every office route checks the office
against the signed-in member of staff's roles (scope.office_for). Names appear only on a page
asked for with a purpose, and each such view is one recorded read (haven.access.reads). There is
no list or export of people anywhere here: that is a disclosure, for the disclosure gateway.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from haven.access import alerts, desk, manager
from haven.access.deps import require_role
from haven.access.models import Role
from haven.access.pages import StaffPageRoute, checked_form, see_other, staff_page
from haven.access.principal import StaffPrincipal
from haven.access.reads import desk_rows, open_record, visit_row, week_load
from haven.access.scope import appointment_in, clerk_window, local_today, office_for
from haven.errors import Invalid
from haven.ledger.entries import parse_entry
from haven.ledger.models import LogEntry
from haven.ledger.service import latest_checkpoint
from haven.ledger.store import integrate, sequenced_size, tree_state
from haven.ledger.verify import DatabaseLog, audit
from haven.scheduling.models import Office
from haven.vault.reads import ReadPurpose
from haven.web.deps import ClockDep, KeyringDep, SessionDep, StateDep

router = APIRouter(include_in_schema=False, route_class=StaffPageRoute)

ClerkDep = Annotated[StaffPrincipal, Depends(require_role(Role.CLERK))]
ManagerDep = Annotated[StaffPrincipal, Depends(require_role(Role.MANAGER))]
AuditorDep = Annotated[StaffPrincipal, Depends(require_role(Role.AUDITOR))]
PrivacyDep = Annotated[StaffPrincipal, Depends(require_role(Role.PRIVACY_OFFICER))]

# Purposes as they travel in addresses and forms.
PURPOSE_SLUGS = {
    "check-in": ReadPurpose.FRONT_DESK_CHECK_IN,
    "serve-visit": ReadPurpose.SERVE_VISIT,
    "reschedule": ReadPurpose.RESCHEDULE_ON_REQUEST,
}
LEDGER_PAGE = 100


class FormFieldInvalid(Invalid):
    pass


def _purpose(slug: str | None, field: str = "purpose") -> ReadPurpose | None:
    if not slug:
        return None
    try:
        return PURPOSE_SLUGS[slug]
    except KeyError:
        raise FormFieldInvalid("choose one of the listed purposes", field=field) from None


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _parse(form: FormData, name: str, parser: Any, message: str) -> Any:
    try:
        return parser(_field(form, name))
    except ValueError:
        raise FormFieldInvalid(message, field=name) from None


def _optional_time(form: FormData, name: str) -> time | None:
    return (
        _parse(form, name, time.fromisoformat, "give a time like 09:00")
        if _field(form, name)
        else None
    )


# --- clerk ---------------------------------------------------------------------------------


def clerk_path(office_id: int) -> str:
    return f"/staff/clerk/{office_id}"


@router.get("/staff/clerk")
def clerk_start(staff: ClerkDep) -> Response:
    """The clerk's first office (most clerks have one)."""
    return see_other(clerk_path(min(staff.offices_for(Role.CLERK))))


@router.get("/staff/clerk/{office_id}")
def clerk_day(
    request: Request,
    office_id: int,
    staff: ClerkDep,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    state: StateDep,
    purpose: str | None = None,
) -> Response:
    """Today's (and the next working day's) appointments; names only for check-in."""
    office = office_for(session, staff, office_id, Role.CLERK)
    reading = _purpose(purpose)
    if reading not in (None, ReadPurpose.FRONT_DESK_CHECK_IN):
        raise FormFieldInvalid("the day's list shows names for check-in only", field="purpose")
    window = clerk_window(session, office, clock.now(), state.settings.clerk_days_ahead)
    rows = desk_rows(
        session, keyring, clock, state.settings, staff, office, window, purpose=reading
    )
    context = {
        "office": office,
        "rows": rows,
        "days": window.days,
        "today": local_today(office, clock.now()),
        "names_shown": reading is not None,
        "services": [s for s in office.services if s.active],
    }
    return staff_page(request, keyring, "staff/clerk_day.html", context, principal=staff)


@router.get("/staff/clerk/{office_id}/appointments/{appointment_id}")
def clerk_visit(
    request: Request,
    office_id: int,
    appointment_id: int,
    staff: ClerkDep,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    state: StateDep,
) -> Response:
    """One visit being served: name and accommodation note (a recorded read)."""
    office = office_for(session, staff, office_id, Role.CLERK)
    window = clerk_window(session, office, clock.now(), state.settings.clerk_days_ahead)
    appointment = appointment_in(session, office, window, appointment_id)
    row = visit_row(session, keyring, clock, state.settings, staff, office, appointment)
    context = {"office": office, "row": row}
    template = (
        "staff/_clerk_visit.html" if request.headers.get("HX-Request") else "staff/clerk_visit.html"
    )
    return staff_page(request, keyring, template, context, principal=staff)


_DESK_ACTIONS = {
    "check-in": desk.check_in,
    "served": desk.mark_served,
    "no-show": desk.mark_no_show,
}


@router.post("/staff/clerk/{office_id}/appointments/{appointment_id}/{action}")
async def clerk_action(
    request: Request,
    office_id: int,
    appointment_id: int,
    action: str,
    staff: ClerkDep,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    state: StateDep,
) -> Response:
    """Check in, mark served, or mark no-show: each a recorded action."""
    await checked_form(request, keyring)
    office = office_for(session, staff, office_id, Role.CLERK)
    if action not in _DESK_ACTIONS:
        raise FormFieldInvalid("unknown action", field="action")
    window = clerk_window(session, office, clock.now(), state.settings.clerk_days_ahead)
    appointment = appointment_in(session, office, window, appointment_id)
    _DESK_ACTIONS[action](session, keyring, clock, actor=staff.actor, appointment=appointment)
    return see_other(clerk_path(office.id))


@router.post("/staff/clerk/{office_id}/walk-ins")
async def clerk_walk_in(
    request: Request,
    office_id: int,
    staff: ClerkDep,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
) -> Response:
    form = await checked_form(request, keyring)
    office = office_for(session, staff, office_id, Role.CLERK)
    desk.add_walk_in(
        session,
        keyring,
        clock,
        actor=staff.actor,
        office=office,
        service_id=_parse(form, "service", int, "choose a service"),
        name=_field(form, "name"),
        language=_field(form, "language"),
    )
    return see_other(clerk_path(office.id))


# --- manager -------------------------------------------------------------------------------


def manager_path(office_id: int) -> str:
    return f"/staff/manager/{office_id}"


@router.get("/staff/manager")
def manager_start(staff: ManagerDep) -> Response:
    return see_other(manager_path(min(staff.offices_for(Role.MANAGER))))


@router.get("/staff/manager/{office_id}")
def manager_office(
    request: Request,
    office_id: int,
    staff: ManagerDep,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    week: str | None = None,
) -> Response:
    """Hours, closures, services, counters, and the week's load (counts, never names)."""
    office = office_for(session, staff, office_id, Role.MANAGER)
    today = local_today(office, clock.now())
    try:
        start = date.fromisoformat(week) if week else today
    except ValueError:
        raise FormFieldInvalid("give the week as YYYY-MM-DD", field="week") from None
    monday = start - timedelta(days=start.weekday())
    context = {
        "office": office,
        "load": week_load(session, office, monday),
        "monday": monday,
        "previous_week": (monday - timedelta(days=7)).isoformat(),
        "next_week": (monday + timedelta(days=7)).isoformat(),
        "weekdays": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    }
    return staff_page(request, keyring, "staff/manager_office.html", context, principal=staff)


async def _manager_form(
    request: Request, session: Session, staff: StaffPrincipal, office_id: int, keyring: Any
) -> tuple[FormData, Office]:
    form = await checked_form(request, keyring)
    return form, office_for(session, staff, office_id, Role.MANAGER)


@router.post("/staff/manager/{office_id}/hours")
async def manager_hours(
    request: Request,
    office_id: int,
    staff: ManagerDep,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
) -> Response:
    form, office = await _manager_form(request, session, staff, office_id, keyring)
    manager.set_hours(
        session,
        clock,
        actor=staff.actor,
        office=office,
        weekday=_parse(form, "weekday", int, "choose a weekday"),
        opens=_optional_time(form, "opens"),
        closes=_optional_time(form, "closes"),
    )
    return see_other(manager_path(office.id))


@router.post("/staff/manager/{office_id}/closures")
async def manager_add_closure(
    request: Request,
    office_id: int,
    staff: ManagerDep,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
) -> Response:
    form, office = await _manager_form(request, session, staff, office_id, keyring)
    starts_on = _parse(form, "starts_on", date.fromisoformat, "give the first day as YYYY-MM-DD")
    ends_raw = _field(form, "ends_on")
    ends_on = (
        _parse(form, "ends_on", date.fromisoformat, "give the last day as YYYY-MM-DD")
        if ends_raw
        else starts_on
    )
    manager.add_closure(
        session,
        clock,
        actor=staff.actor,
        office=office,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=_field(form, "reason"),
    )
    return see_other(manager_path(office.id))


@router.post("/staff/manager/{office_id}/closures/{closure_id}/remove")
async def manager_remove_closure(
    request: Request,
    office_id: int,
    closure_id: int,
    staff: ManagerDep,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
) -> Response:
    _form, office = await _manager_form(request, session, staff, office_id, keyring)
    manager.remove_closure(session, clock, actor=staff.actor, office=office, closure_id=closure_id)
    return see_other(manager_path(office.id))


@router.post("/staff/manager/{office_id}/services/{service_id}/active")
async def manager_service_active(
    request: Request,
    office_id: int,
    service_id: int,
    staff: ManagerDep,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
) -> Response:
    form, office = await _manager_form(request, session, staff, office_id, keyring)
    manager.set_service_active(
        session,
        clock,
        actor=staff.actor,
        office=office,
        service_id=service_id,
        active=_field(form, "active") == "yes",
    )
    return see_other(manager_path(office.id))


@router.post("/staff/manager/{office_id}/counters")
async def manager_add_counter(
    request: Request,
    office_id: int,
    staff: ManagerDep,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
) -> Response:
    form, office = await _manager_form(request, session, staff, office_id, keyring)
    try:
        service_ids = [int(v) for v in form.getlist("service_ids") if isinstance(v, str)]
    except ValueError:
        raise FormFieldInvalid("choose the services", field="service_ids") from None
    manager.add_counter(
        session,
        clock,
        actor=staff.actor,
        office=office,
        name=_field(form, "name"),
        service_ids=service_ids,
    )
    return see_other(manager_path(office.id))


@router.post("/staff/manager/{office_id}/counters/{resource_id}/active")
async def manager_counter_active(
    request: Request,
    office_id: int,
    resource_id: int,
    staff: ManagerDep,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
) -> Response:
    form, office = await _manager_form(request, session, staff, office_id, keyring)
    manager.set_counter_active(
        session,
        clock,
        actor=staff.actor,
        office=office,
        resource_id=resource_id,
        active=_field(form, "active") == "yes",
    )
    return see_other(manager_path(office.id))


@router.get("/staff/manager-record")
def manager_record_form(request: Request, staff: ManagerDep, keyring: KeyringDep) -> Response:
    return staff_page(
        request, keyring, "staff/manager_record.html", {"record": None}, principal=staff
    )


@router.post("/staff/manager-record")
async def manager_record(
    request: Request,
    staff: ManagerDep,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    state: StateDep,
) -> Response:
    """Open one record by confirmation code with a purpose; outside scope it is break-glass."""
    form = await checked_form(request, keyring)
    purpose = _purpose(_field(form, "purpose"))
    if purpose is None:
        raise FormFieldInvalid("choose why you need the record", field="purpose")
    record = open_record(
        session,
        keyring,
        clock,
        state.settings,
        staff,
        confirmation_code=_field(form, "confirmation_code"),
        purpose=purpose,
        reason=_field(form, "reason") or None,
    )
    office = session.get(Office, record.appointment.office_id)
    return staff_page(
        request,
        keyring,
        "staff/manager_record.html",
        {"record": record, "office": office},
        principal=staff,
    )


# --- auditor -------------------------------------------------------------------------------


@router.get("/staff/auditor")
def auditor_ledger(
    request: Request,
    staff: AuditorDep,
    session: SessionDep,
    keyring: KeyringDep,
    before: int | None = None,
) -> Response:
    """The ledger, newest first: kinds, times, actors, purposes and counts (no personal data)."""
    size = sequenced_size(session)
    end = size if before is None else max(0, min(before, size))
    rows = session.execute(
        sa.select(LogEntry.index, LogEntry.data)
        .where(LogEntry.index < end, LogEntry.index >= max(0, end - LEDGER_PAGE))
        .order_by(LogEntry.index.desc())
    ).all()
    entries = [_entry_summary(index, data) for index, data in rows]
    kinds: dict[str, int] = {}
    for entry in entries:
        kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1
    checkpoint = latest_checkpoint(session)
    context = {
        "size": size,
        "integrated": tree_state(session).size,
        "checkpoint": checkpoint,
        "entries": entries,
        "kinds": sorted(kinds.items()),
        "older": end - LEDGER_PAGE if end > LEDGER_PAGE else None,
        "audit": None,
    }
    return staff_page(request, keyring, "staff/auditor.html", context, principal=staff)


@router.get("/staff/auditor/verify")
def auditor_verify(
    request: Request, staff: AuditorDep, session: SessionDep, keyring: KeyringDep, state: StateDep
) -> Response:
    """Recompute the whole tree and check every checkpoint (haven.ledger.verify)."""
    integrator = state.integrator
    # Fold in entries sequenced but not yet integrated (what the background integrator does
    # next anyway), so a lagging integrator is never reported as a tampered tile.
    integrate(session)
    result = audit(DatabaseLog(session), integrator.signer.verifier)
    context = {"audit": result}
    return staff_page(request, keyring, "staff/auditor_verify.html", context, principal=staff)


def _entry_summary(index: int, data: bytes) -> dict[str, Any]:
    entry = parse_entry(data)
    return {
        "index": index,
        "kind": str(entry.get("kind", "")),
        "time": str(entry.get("time", "")),
        "actor": str(entry.get("actor", "")),
        "purpose": entry.get("purpose"),
        "subjects": len(entry.get("subject_tags") or []),
    }


# --- privacy officer -----------------------------------------------------------------------


@router.get("/staff/privacy/alerts")
def privacy_alerts(
    request: Request, staff: PrivacyDep, session: SessionDep, keyring: KeyringDep
) -> Response:
    """Break-glass reads and unusual access waiting for a look."""
    context = {"alerts": alerts.open_alerts(session)}
    return staff_page(request, keyring, "staff/privacy_alerts.html", context, principal=staff)


@router.post("/staff/privacy/alerts/{alert_id}/resolve")
async def privacy_resolve(
    request: Request,
    alert_id: int,
    staff: PrivacyDep,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
) -> Response:
    await checked_form(request, keyring)
    alerts.resolve_alert(session, clock, actor=staff.actor, alert_id=alert_id)
    return see_other("/staff/privacy/alerts")
