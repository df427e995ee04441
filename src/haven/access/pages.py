"""Staff pages: sign-in (password, then a TOTP code where needed), sign-out, the staff home and
the password page, and what every staff page shares (the admin's pages are in admin_pages).

Every staff page uses StaffPageRoute: without a live session the browser is sent to the
sign-in page (and back afterwards); other errors become a staff error page with their 4xx
status. Every form carries the CSRF token of haven.web.csrf, checked before anything is read.
Pages are never cached (Cache-Control: no-store).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from haven.access import service, sign_in
from haven.access.deps import AccessPolicyDep, CurrentStaff, OptionalStaff
from haven.access.errors import InvalidAccount, NotSignedIn
from haven.access.events import FailureReason
from haven.access.models import OFFICE_ROLES, Role
from haven.access.principal import StaffPrincipal
from haven.access.sessions import AccessPolicy
from haven.access.sign_in import SignInOutcome, SignInStatus
from haven.clock import Clock
from haven.errors import HavenError
from haven.scheduling.models import Office
from haven.vault.keys import Keyring
from haven.web import csrf
from haven.web.deps import ClockDep, KeyringDep, SessionDep
from haven.web.templating import render

SIGN_IN_PATH = "/staff/sign-in"
CODE_PATH = "/staff/sign-in/code"
HOME_PATH = "/staff/"
ROLE_NAMES = {
    Role.CLERK: "Clerk",
    Role.MANAGER: "Manager",
    Role.PRIVACY_OFFICER: "Privacy officer",
    Role.COUNSEL: "Counsel",
    Role.AUDITOR: "Auditor",
    Role.ADMIN: "Administrator",
}


class StaffPageRoute(APIRoute):
    """A staff page: NotSignedIn sends the browser to sign in; other errors get a staff page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def staff_page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except NotSignedIn:
                return sign_in_first(request)
            except HavenError as exc:
                return staff_error_page(request, exc.status_code, exc.message, exc.code)
            except RequestValidationError:
                return staff_error_page(request, 422, "this address is not one Haven knows")

        return staff_page_handler


def sign_in_first(request: Request) -> Response:
    """Send the browser to sign in, and back here afterwards. An htmx request (a fragment whose
    session ended) gets a 401 with HX-Redirect, so the whole page goes, not just the fragment."""
    url = f"{SIGN_IN_PATH}?next={quote(_local_path(request), safe='/')}"
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=401, headers={"HX-Redirect": url, "Cache-Control": "no-store"})
    return see_other(url)


router = APIRouter(include_in_schema=False, route_class=StaffPageRoute)


def staff_page(
    request: Request,
    keyring: Keyring,
    template: str,
    context: Mapping[str, Any],
    *,
    principal: StaffPrincipal | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Render a staff page with the CSRF token for its forms; never stored by caches."""
    guard = csrf.CsrfGuard(request, keyring)
    response = render(
        request,
        template,
        {**context, "csrf_token": guard.token, "staff": principal, "role_names": ROLE_NAMES},
        status_code=status_code,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )
    guard.set_cookie(response)
    return response


def staff_error_page(
    request: Request, status_code: int, message: str, code: str = "invalid"
) -> Response:
    """A staff page that says what went wrong, with the error's code for whoever helps them
    (it carries no form, so it needs no CSRF token)."""
    context = {
        "status_code": status_code,
        "message": message,
        "code": code,
        "staff": None,
        "role_names": ROLE_NAMES,
    }
    return render(
        request,
        "staff/staff_error.html",
        context,
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


async def checked_form(request: Request, keyring: Keyring) -> FormData:
    """The posted form, once its CSRF token checks out (CsrfRefused, a 403, otherwise)."""
    form = await request.form()
    csrf.verify(request, form, keyring)
    return form


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a staff path on this site, never anywhere else."""
    if value and value.startswith(HOME_PATH) and not value.startswith("//") and "\\" not in value:
        return value
    return HOME_PATH


def _local_path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def form_text(form: FormData, name: str) -> str:
    """A text field of a form, or "" when it is missing or a file."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


# --- sign in, the code step, sign out -------------------------------------------------------


@router.get(SIGN_IN_PATH)
def sign_in_page(
    request: Request, keyring: KeyringDep, staff: OptionalStaff, next: str | None = None
) -> Response:
    if staff is not None:
        return see_other(safe_next(next))
    return staff_page(request, keyring, "staff/sign_in.html", _sign_in_context(next))


@router.post(SIGN_IN_PATH)
async def sign_in_submit(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    policy: AccessPolicyDep,
) -> Response:
    form = await checked_form(request, keyring)
    target = safe_next(form_text(form, "next"))
    # argon2 takes a good part of a second on purpose: off the event loop, in a worker thread.
    outcome = await run_in_threadpool(
        sign_in.sign_in,
        session,
        clock,
        policy,
        username=form_text(form, "username"),
        password=form_text(form, "password"),
    )
    if outcome.status is SignInStatus.CODE_NEEDED and outcome.token is not None:
        response = see_other(f"{CODE_PATH}?next={quote(target, safe='/')}")
        policy.set_pending_cookie(response, outcome.token)
        return response
    if outcome.status is SignInStatus.SIGNED_IN and outcome.token is not None:
        return _signed_in(policy, outcome.token, target)
    context = {**_sign_in_context(target), "username": form_text(form, "username")}
    return _refused_page(request, keyring, clock, "staff/sign_in.html", context, outcome)


@router.get(CODE_PATH)
def code_page(
    request: Request, keyring: KeyringDep, policy: AccessPolicyDep, next: str | None = None
) -> Response:
    if policy.pending_token(request) is None:
        return see_other(SIGN_IN_PATH)
    return staff_page(request, keyring, "staff/sign_in_code.html", _sign_in_context(next))


@router.post(CODE_PATH)
async def code_submit(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    policy: AccessPolicyDep,
) -> Response:
    form = await checked_form(request, keyring)
    target = safe_next(form_text(form, "next"))
    outcome = sign_in.verify_code(
        session,
        clock,
        keyring,
        policy,
        pending_token=policy.pending_token(request),
        code=form_text(form, "code"),
    )
    if outcome.status is SignInStatus.SIGNED_IN and outcome.token is not None:
        return _signed_in(policy, outcome.token, target)
    if outcome.status is SignInStatus.START_AGAIN:
        response = see_other(SIGN_IN_PATH)
        policy.clear_pending_cookie(response)
        return response
    return _refused_page(
        request, keyring, clock, "staff/sign_in_code.html", _sign_in_context(target), outcome
    )


@router.post("/staff/sign-out")
async def sign_out(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    policy: AccessPolicyDep,
    staff: OptionalStaff,
) -> Response:
    await checked_form(request, keyring)
    if staff is not None:
        sign_in.sign_out(session, clock, staff)
    response = see_other(f"{SIGN_IN_PATH}?signed_out=1")
    policy.clear_session_cookie(response)
    return response


@router.post("/staff/sign-out-everywhere")
async def sign_out_everywhere(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    policy: AccessPolicyDep,
    staff: CurrentStaff,
) -> Response:
    await checked_form(request, keyring)
    sign_in.sign_out_everywhere(session, clock, staff)
    response = see_other(f"{SIGN_IN_PATH}?signed_out=1")
    policy.clear_session_cookie(response)
    return response


def _signed_in(policy: AccessPolicy, token: str, target: str) -> Response:
    """On to where the member of staff was going, with the new session's cookie."""
    response = see_other(target)
    policy.set_session_cookie(response, token)
    return response


def _sign_in_context(next_path: str | None) -> dict[str, Any]:
    return {"next": safe_next(next_path), "username": "", "error": None}


def _refused_page(
    request: Request,
    keyring: Keyring,
    clock: Clock,
    template: str,
    context: Mapping[str, Any],
    outcome: SignInOutcome,
) -> Response:
    if outcome.status is SignInStatus.WAIT and outcome.retry_at is not None:
        seconds = max(1, int((outcome.retry_at - clock.now()).total_seconds() + 0.999))
        return staff_page(
            request,
            keyring,
            template,
            {**context, "error": _wait_message(seconds)},
            status_code=429,
            headers={"Retry-After": str(seconds)},
        )
    error = _refusal_message(outcome)
    status = 403 if outcome.reason is FailureReason.NO_SECOND_FACTOR else 401
    return staff_page(request, keyring, template, {**context, "error": error}, status_code=status)


def _wait_message(seconds: int) -> str:
    if seconds < 120:
        return f"Too many attempts went wrong. Please wait {seconds} seconds and try again."
    return (
        f"Too many attempts went wrong. Please wait {seconds // 60 + 1} minutes and try again, "
        "or ask an administrator to unlock your account."
    )


def _refusal_message(outcome: SignInOutcome) -> str:
    reason = outcome.reason
    if reason is FailureReason.WRONG_CODE:
        return "That code is not right. Enter the 6 digits your authenticator app shows now."
    if reason is FailureReason.NO_SECOND_FACTOR:
        return (
            "Your account needs a sign-in code, but none is set up. "
            "Ask an administrator to set one up."
        )
    return "The username or password is not right."


# --- staff home ---------------------------------------------------------------------------


@router.get(HOME_PATH)
def staff_home(
    request: Request,
    session: SessionDep,
    keyring: KeyringDep,
    staff: CurrentStaff,
) -> Response:
    names = office_names(session, staff.offices_for(*OFFICE_ROLES))
    context = {"office_names": names, "signed_out": False}
    return staff_page(request, keyring, "staff/staff_home.html", context, principal=staff)


@router.get("/staff/password")
def password_page(request: Request, keyring: KeyringDep, staff: CurrentStaff) -> Response:
    context: dict[str, Any] = {"errors": {}}
    return staff_page(request, keyring, "staff/staff_password.html", context, principal=staff)


@router.post("/staff/password")
async def change_password(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    policy: AccessPolicyDep,
    staff: CurrentStaff,
) -> Response:
    form = await checked_form(request, keyring)
    new_password = form_text(form, "new_password")
    try:
        if new_password != form_text(form, "confirm_password"):
            raise InvalidAccount("the two new passwords differ", field="confirm_password")
        await run_in_threadpool(
            service.change_own_password,
            session,
            clock,
            policy.password_cost,
            account_id=staff.account_id,
            current_password=form_text(form, "current_password"),
            new_password=new_password,
        )
    except InvalidAccount as exc:
        context = {"errors": form_errors(exc)}
        return staff_page(
            request,
            keyring,
            "staff/staff_password.html",
            context,
            principal=staff,
            status_code=exc.status_code,
        )
    response = see_other(f"{SIGN_IN_PATH}?password_changed=1")
    policy.clear_session_cookie(response)
    return response


# --- helpers shared with the admin pages (haven.access.admin_pages) ------------------------


def office_names(session: Session, office_ids: frozenset[int] | None) -> dict[int, str]:
    """Office id to name, by name; only `office_ids` unless None."""
    query = sa.select(Office.id, Office.name).order_by(Office.name)
    if office_ids is not None:
        query = query.where(Office.id.in_(office_ids))
    return {office_id: name for office_id, name in session.execute(query)}


def form_errors(error: HavenError | None) -> dict[str, str]:
    """A page's error messages by field ("form" when none is named), as sentences."""
    if error is None:
        return {}
    message = error.message[:1].upper() + error.message[1:]
    return {error.field or "form": message if message.endswith(".") else message + "."}
