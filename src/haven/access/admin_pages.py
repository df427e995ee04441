"""The admin's staff pages: accounts (create, roles, disable, enable, unlock, a new TOTP
secret) and the offices with their staff counts. Staff data only, never personal data."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from haven.access import service
from haven.access.deps import AccessPolicyDep, require_role
from haven.access.errors import InvalidAccount, UsernameTaken
from haven.access.models import OFFICE_ROLES, Role, RoleAssignment
from haven.access.pages import (
    StaffPageRoute,
    checked_form,
    form_errors,
    form_text,
    office_names,
    see_other,
    staff_page,
)
from haven.access.principal import StaffPrincipal
from haven.access.second_factor import Enrolment
from haven.access.service import RoleGrant
from haven.clock import Clock
from haven.errors import HavenError
from haven.scheduling.models import Office
from haven.vault.keys import Keyring
from haven.web.deps import ClockDep, KeyringDep, SessionDep

AdminDep = Annotated[StaffPrincipal, Depends(require_role(Role.ADMIN))]

router = APIRouter(include_in_schema=False, route_class=StaffPageRoute)


@router.get("/staff/admin/accounts")
def accounts_page(
    request: Request, session: SessionDep, clock: ClockDep, keyring: KeyringDep, staff: AdminDep
) -> Response:
    context = {
        "accounts": service.list_accounts(session, clock),
        "office_names": office_names(session, None),
    }
    return staff_page(request, keyring, "staff/staff_accounts.html", context, principal=staff)


@router.get("/staff/admin/accounts/new")
def new_account_page(
    request: Request, session: SessionDep, keyring: KeyringDep, staff: AdminDep
) -> Response:
    return _new_account_form(request, session, keyring, staff, {}, None)


@router.post("/staff/admin/accounts")
async def create_account(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    policy: AccessPolicyDep,
    staff: AdminDep,
) -> Response:
    form = await checked_form(request, keyring)
    values = {name: form_text(form, name) for name in ("username", "display_name")}
    try:
        with session.begin_nested():
            created = await run_in_threadpool(
                service.create_account,
                session,
                clock,
                keyring,
                policy.password_cost,
                actor=staff.actor,
                username=values["username"],
                display_name=values["display_name"],
                password=form_text(form, "password"),
                grants=parse_grants(form.getlist("grant")),
                with_second_factor=form_text(form, "second_factor") == "yes",
            )
    except (InvalidAccount, UsernameTaken) as exc:
        return _new_account_form(request, session, keyring, staff, values, exc)
    return _enrolment_page(
        request, session, clock, keyring, staff, created.account_id, created.enrolment
    )


@router.get("/staff/admin/accounts/{account_id}")
def account_page(
    request: Request,
    account_id: int,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    staff: AdminDep,
) -> Response:
    return _account_page(request, session, clock, keyring, staff, account_id)


@router.post("/staff/admin/accounts/{account_id}/roles")
async def change_roles(
    request: Request,
    account_id: int,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    staff: AdminDep,
) -> Response:
    form = await checked_form(request, keyring)
    try:
        with session.begin_nested():
            enrolment = service.set_roles(
                session,
                clock,
                keyring,
                actor=staff.actor,
                account_id=account_id,
                grants=parse_grants(form.getlist("grant")),
            )
    except InvalidAccount as exc:
        return _account_page(request, session, clock, keyring, staff, account_id, error=exc)
    if enrolment is not None:
        return _enrolment_page(request, session, clock, keyring, staff, account_id, enrolment)
    return see_other(f"/staff/admin/accounts/{account_id}?changed=roles")


def _account_action(
    action: Callable[[Session, Clock, str, int], object], done: str
) -> Callable[..., Coroutine[Any, Any, Response]]:
    """A POST route for an account action that takes only the account (disable, unlock...)."""

    async def route(
        request: Request,
        account_id: int,
        session: SessionDep,
        clock: ClockDep,
        keyring: KeyringDep,
        staff: AdminDep,
    ) -> Response:
        await checked_form(request, keyring)
        action(session, clock, staff.actor, account_id)
        return see_other(f"/staff/admin/accounts/{account_id}?changed={done}")

    return route


router.post("/staff/admin/accounts/{account_id}/disable", name="disable_account")(
    _account_action(
        lambda s, c, actor, a: service.disable_account(s, c, actor=actor, account_id=a),
        "disabled",
    )
)
router.post("/staff/admin/accounts/{account_id}/enable", name="enable_account")(
    _account_action(
        lambda s, c, actor, a: service.enable_account(s, c, actor=actor, account_id=a),
        "enabled",
    )
)
router.post("/staff/admin/accounts/{account_id}/unlock", name="unlock_account")(
    _account_action(
        lambda s, c, actor, a: service.unlock_account(s, c, actor=actor, account_id=a),
        "unlocked",
    )
)


@router.post("/staff/admin/accounts/{account_id}/second-factor")
async def reset_second_factor(
    request: Request,
    account_id: int,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    staff: AdminDep,
) -> Response:
    await checked_form(request, keyring)
    enrolment = service.reset_second_factor(
        session, clock, keyring, actor=staff.actor, account_id=account_id
    )
    return _enrolment_page(request, session, clock, keyring, staff, account_id, enrolment)


@router.get("/staff/admin/offices")
def offices_page(
    request: Request, session: SessionDep, keyring: KeyringDep, staff: AdminDep
) -> Response:
    staff_count = sa.func.count(sa.distinct(RoleAssignment.account_id))
    staff_counts = {
        office_id: count
        for office_id, count in session.execute(
            sa.select(RoleAssignment.office_id, staff_count)
            .where(RoleAssignment.office_id.is_not(None))
            .group_by(RoleAssignment.office_id)
        )
    }
    offices = session.scalars(sa.select(Office).order_by(Office.name)).all()
    context = {"offices": offices, "staff_counts": staff_counts}
    return staff_page(request, keyring, "staff/staff_offices.html", context, principal=staff)


# --- helpers for the admin pages ------------------------------------------------------------


def parse_grants(values: Sequence[object]) -> list[RoleGrant]:
    """Form values "role" or "role:office id" as grants; InvalidAccount names a bad one."""
    grants = []
    for value in values:
        if not isinstance(value, str):
            continue
        role_name, _, office = value.partition(":")
        try:
            role = Role(role_name)
            office_id = int(office) if office else None
        except ValueError:
            raise InvalidAccount(
                "one of the chosen roles is not one Haven knows", field="roles"
            ) from None
        grants.append(RoleGrant(role=role, office_id=office_id))
    return grants


def _new_account_form(
    request: Request,
    session: Session,
    keyring: Keyring,
    staff: StaffPrincipal,
    values: Mapping[str, str],
    error: HavenError | None,
) -> Response:
    context = {
        "values": {"username": "", "display_name": "", **values},
        "errors": form_errors(error),
        "office_names": office_names(session, None),
        "office_roles": sorted(OFFICE_ROLES),
        "deployment_roles": [role for role in Role if role not in OFFICE_ROLES],
    }
    status = error.status_code if error is not None else 200
    return staff_page(
        request,
        keyring,
        "staff/staff_account_new.html",
        context,
        principal=staff,
        status_code=status,
    )


def _account_page(
    request: Request,
    session: Session,
    clock: Clock,
    keyring: Keyring,
    staff: StaffPrincipal,
    account_id: int,
    *,
    error: HavenError | None = None,
) -> Response:
    account = service.account_summary(session, clock, account_id)
    context = {
        "account": account,
        "granted": {
            f"{g.role}:{g.office_id}" if g.office_id else str(g.role) for g in account.grants
        },
        "errors": form_errors(error),
        "office_names": office_names(session, None),
        "office_roles": sorted(OFFICE_ROLES),
        "deployment_roles": [role for role in Role if role not in OFFICE_ROLES],
        "changed": request.query_params.get("changed"),
        "is_self": account.id == staff.account_id,
    }
    status = error.status_code if error is not None else 200
    template = "staff/staff_account.html"
    return staff_page(request, keyring, template, context, principal=staff, status_code=status)


def _enrolment_page(
    request: Request,
    session: Session,
    clock: Clock,
    keyring: Keyring,
    staff: StaffPrincipal,
    account_id: int,
    enrolment: Enrolment | None,
) -> Response:
    """The account as it now stands, with its new TOTP secret shown this once."""
    context = {
        "account": service.account_summary(session, clock, account_id),
        "enrolment": enrolment,
        "office_names": office_names(session, None),
    }
    template = "staff/staff_account_created.html"
    return staff_page(request, keyring, template, context, principal=staff)
