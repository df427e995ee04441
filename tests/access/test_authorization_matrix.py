"""The authorization matrix: every route of the app by every role (and anonymous), deny by default.

MATRIX names, for every (method, path) the app serves, who gets past the staff gate: PUBLIC
(anyone, signed in or not) or the set of roles. Everyone else must be stopped by the gate: a
staff page sends them to sign in (anonymous) or answers 403 ``role_required``; the API answers
401 ``not_signed_in`` or 403. A route the app serves that MATRIX does not list fails the test,
and so does an entry for a route that no longer exists: adding a route means deciding here who
may use it.

Getting past the gate is all this checks: a request that passes may still fail on its own terms
(a 404 for a made-up id, a 422 for an empty form); scope within a role (office A vs office B)
is tested where the reads are (tests/access/test_scope*.py).

Both engineers of issue 4 extend this one file: access (sign-in, admin) and access-reads (clerk,
manager, auditor, privacy officer pages).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from starlette.routing import Mount

from haven.access import sign_in
from haven.access.models import Role
from haven.access.second_factor import STEP_SECONDS, code_at
from haven.access.sessions import AccessPolicy
from haven.clock import ManualClock
from haven.db import unit_of_work
from haven.vault.keys import Keyring
from tests import factories
from tests.access.support import Staff, add_staff, grant
from tests.web.page_support import read

PUBLIC = "public"
ANY_STAFF = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
CLERK = frozenset({Role.CLERK})
MANAGER = frozenset({Role.MANAGER})
AUDITOR = frozenset({Role.AUDITOR})
PRIVACY_OFFICER = frozenset({Role.PRIVACY_OFFICER})
REVIEWERS = frozenset({Role.PRIVACY_OFFICER, Role.COUNSEL})

Allowed = frozenset[Role] | str

MATRIX: dict[tuple[str, str], Allowed] = {
    # --- the framework's own pages, and static files
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("MOUNT", "/static"): PUBLIC,
    # --- foundation, scheduling API, booking API
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/api/v1/offices"): PUBLIC,
    ("GET", "/api/v1/offices/{office_id}/services"): PUBLIC,
    ("GET", "/api/v1/offices/{office_id}/availability"): PUBLIC,
    ("POST", "/api/v1/holds"): PUBLIC,
    ("POST", "/api/v1/appointments"): PUBLIC,
    ("GET", "/api/v1/appointments/manage/{token}"): PUBLIC,
    ("PATCH", "/api/v1/appointments/manage/{token}"): PUBLIC,
    ("DELETE", "/api/v1/appointments/manage/{token}"): PUBLIC,
    ("GET", "/api/v1/appointments/manage/{token}/calendar.ics"): PUBLIC,
    # --- the public log
    ("GET", "/log/key"): PUBLIC,
    ("GET", "/log/checkpoint"): PUBLIC,
    ("GET", "/log/tile/{path:path}"): PUBLIC,
    ("GET", "/log/proof/{index}"): PUBLIC,
    # --- transparency: what anyone may read about the policies in force
    ("GET", "/transparency/policy"): PUBLIC,
    ("GET", "/transparency/policy/{version_id}"): PUBLIC,
    # --- transparency: the public report and the log in the open (issue 6)
    ("GET", "/transparency"): PUBLIC,
    ("GET", "/transparency/report.json"): PUBLIC,
    ("GET", "/transparency/report.csv"): PUBLIC,
    ("GET", "/transparency/log"): PUBLIC,
    # --- a person's own record: public routes, the manage token or a one-time grant is the key
    ("GET", "/my"): PUBLIC,
    ("POST", "/my/code"): PUBLIC,
    ("POST", "/my/open"): PUBLIC,
    ("GET", "/my/{token}"): PUBLIC,
    ("GET", "/my/{token}/receipt/{index}"): PUBLIC,
    # --- public booking pages (a person's manage token is their key, not a staff role)
    ("GET", "/"): PUBLIC,
    ("GET", "/offices/{office_slug}"): PUBLIC,
    ("GET", "/offices/{office_slug}/services/{service_slug}"): PUBLIC,
    ("POST", "/offices/{office_slug}/services/{service_slug}"): PUBLIC,
    ("GET", "/book/{hold_token}"): PUBLIC,
    ("POST", "/book/{hold_token}"): PUBLIC,
    ("GET", "/appointments/manage/{token}/confirmation"): PUBLIC,
    ("GET", "/appointments/manage/{token}"): PUBLIC,
    ("GET", "/manage/{token}"): PUBLIC,
    ("GET", "/appointments/manage/{token}/reschedule"): PUBLIC,
    ("POST", "/appointments/manage/{token}/reschedule"): PUBLIC,
    ("GET", "/appointments/manage/{token}/cancel"): PUBLIC,
    ("POST", "/appointments/manage/{token}/cancel"): PUBLIC,
    ("GET", "/appointments/manage/{token}/calendar.ics"): PUBLIC,
    # --- access: sign-in and the admin's pages
    ("GET", "/api/v1/staff/me"): ANY_STAFF,
    ("GET", "/staff/sign-in"): PUBLIC,
    ("POST", "/staff/sign-in"): PUBLIC,
    ("GET", "/staff/sign-in/code"): PUBLIC,
    ("POST", "/staff/sign-in/code"): PUBLIC,
    ("POST", "/staff/sign-out"): PUBLIC,
    ("POST", "/staff/sign-out-everywhere"): ANY_STAFF,
    ("GET", "/staff/"): ANY_STAFF,
    ("GET", "/staff/password"): ANY_STAFF,
    ("POST", "/staff/password"): ANY_STAFF,
    ("GET", "/staff/admin/accounts"): ADMIN,
    ("GET", "/staff/admin/accounts/new"): ADMIN,
    ("POST", "/staff/admin/accounts"): ADMIN,
    ("GET", "/staff/admin/accounts/{account_id}"): ADMIN,
    ("POST", "/staff/admin/accounts/{account_id}/roles"): ADMIN,
    ("POST", "/staff/admin/accounts/{account_id}/disable"): ADMIN,
    ("POST", "/staff/admin/accounts/{account_id}/enable"): ADMIN,
    ("POST", "/staff/admin/accounts/{account_id}/unlock"): ADMIN,
    ("POST", "/staff/admin/accounts/{account_id}/second-factor"): ADMIN,
    ("GET", "/staff/admin/offices"): ADMIN,
    # --- access-reads: clerk, manager, auditor and privacy officer pages
    ("GET", "/staff/clerk"): CLERK,
    ("GET", "/staff/clerk/{office_id}"): CLERK,
    ("GET", "/staff/clerk/{office_id}/appointments/{appointment_id}"): CLERK,
    ("POST", "/staff/clerk/{office_id}/appointments/{appointment_id}/{action}"): CLERK,
    ("POST", "/staff/clerk/{office_id}/walk-ins"): CLERK,
    ("GET", "/staff/manager"): MANAGER,
    ("GET", "/staff/manager/{office_id}"): MANAGER,
    ("POST", "/staff/manager/{office_id}/hours"): MANAGER,
    ("POST", "/staff/manager/{office_id}/closures"): MANAGER,
    ("POST", "/staff/manager/{office_id}/closures/{closure_id}/remove"): MANAGER,
    ("POST", "/staff/manager/{office_id}/services/{service_id}/active"): MANAGER,
    ("POST", "/staff/manager/{office_id}/counters"): MANAGER,
    ("POST", "/staff/manager/{office_id}/counters/{resource_id}/active"): MANAGER,
    ("GET", "/staff/manager-record"): MANAGER,
    ("POST", "/staff/manager-record"): MANAGER,
    # --- issue 7: messages (the manager's outbox view), the walk-in queue, the waitlist
    ("GET", "/staff/manager/{office_id}/messages"): MANAGER,
    ("GET", "/staff/clerk/{office_id}/queue"): CLERK,
    ("POST", "/staff/clerk/{office_id}/queue/tickets"): CLERK,
    ("POST", "/staff/clerk/{office_id}/queue/call"): CLERK,
    ("POST", "/staff/clerk/{office_id}/queue/{ticket_id}/{action}"): CLERK,
    ("GET", "/offices/{office_slug}/queue"): PUBLIC,
    ("GET", "/queue/tickets/{token}"): PUBLIC,
    ("GET", "/offices/{office_slug}/services/{service_slug}/waitlist"): PUBLIC,
    ("POST", "/offices/{office_slug}/services/{service_slug}/waitlist"): PUBLIC,
    ("GET", "/waitlist/offers/{token}"): PUBLIC,
    ("POST", "/waitlist/offers/{token}/accept"): PUBLIC,
    ("GET", "/staff/auditor"): AUDITOR,
    ("GET", "/staff/auditor/verify"): AUDITOR,
    ("GET", "/staff/privacy/alerts"): PRIVACY_OFFICER,
    ("POST", "/staff/privacy/alerts/{alert_id}/resolve"): PRIVACY_OFFICER,
    # --- disclosure gateway: agencies' API, gated by RFC 9421 signatures, not staff roles
    # (tests/disclosure/test_signatures*.py show every unsigned or badly signed call refused)
    ("POST", "/api/v1/disclosure-requests"): PUBLIC,
    ("GET", "/api/v1/disclosure-requests/{public_id}"): PUBLIC,
    ("GET", "/api/v1/disclosure-requests/{public_id}/production"): PUBLIC,
    # --- disclosure gateway: the privacy office's pages
    ("GET", "/staff/disclosure/"): REVIEWERS,
    ("GET", "/staff/disclosure/intake"): PRIVACY_OFFICER,
    ("POST", "/staff/disclosure/intake"): PRIVACY_OFFICER,
    ("GET", "/staff/disclosure/requests/{public_id}"): REVIEWERS,
    ("POST", "/staff/disclosure/requests/{public_id}/review"): REVIEWERS,
    ("POST", "/staff/disclosure/requests/{public_id}/produce"): REVIEWERS,
    ("POST", "/staff/disclosure/requests/{public_id}/notice"): REVIEWERS,
    ("POST", "/staff/disclosure/requests/{public_id}/release-notices"): REVIEWERS,
    ("POST", "/staff/disclosure/requests/{public_id}/close"): REVIEWERS,
}

# How the gate says no: the codes of NotSignedIn, RoleRequired and OutOfScope.
GATE_CODES = {"not_signed_in", "role_required", "out_of_scope"}
PRINCIPALS: list[Role | None] = [None, *Role]
STATIC_PROBE = "/static/css/haven.css"
_PARAM = re.compile(r"\{([a-z_]+)(?::[a-z]+)?\}")


def served_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """Every (method, path) the app answers, HEAD aside (it follows GET); mounts as MOUNT."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = context.path or ""
        if isinstance(route, Mount):
            yield ("MOUNT", path)
            continue
        for method in sorted(getattr(route, "methods", None) or ()):
            if method != "HEAD":
                yield (method, path)


def test_every_route_is_in_the_matrix_and_every_entry_is_a_route(app_client: TestClient) -> None:
    served = set(served_routes(app_client.app))  # type: ignore[arg-type]
    unlisted = sorted(served - MATRIX.keys())
    stale = sorted(MATRIX.keys() - served)
    assert unlisted == [], f"routes with no entry in MATRIX (decide who may use them): {unlisted}"
    assert stale == [], f"MATRIX entries for routes that no longer exist: {stale}"


@dataclass
class Fixture:
    office_id: int
    target_account_id: int
    staff: dict[Role, Staff]


@pytest.fixture
def arranged(
    sessions: sessionmaker[Session], clock: ManualClock, keyring: Keyring, policy: AccessPolicy
) -> Fixture:
    with unit_of_work(sessions) as session:
        office_id = factories.office(session, slug="downtown").id
    staff = {
        role: add_staff(
            sessions,
            clock,
            keyring,
            policy,
            f"matrix-{role}".replace("_", "-"),
            grant(role, office_id if role in (Role.CLERK, Role.MANAGER) else None),
        )
        for role in Role
    }
    target = add_staff(sessions, clock, keyring, policy, "matrix-target", grant(Role.AUDITOR))
    return Fixture(office_id=office_id, target_account_id=target.account_id, staff=staff)


def test_every_route_lets_through_exactly_the_roles_the_matrix_names(
    app_client: TestClient,
    arranged: Fixture,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
) -> None:
    browsers = _Browsers(app_client, arranged, sessions, clock, keyring, policy)
    wrong: list[str] = []
    for (method, path), allowed in sorted(MATRIX.items()):
        url = _probe_url(method, path, arranged)
        for principal in PRINCIPALS:
            client = browsers.client(principal)
            response = client.request(
                "GET" if method == "MOUNT" else method,
                url,
                data={"csrf_token": browsers.csrf_token} if method == "POST" else None,
                follow_redirects=False,
            )
            who = principal or "anonymous"
            if response.status_code >= 500:
                wrong.append(f"{method} {path} as {who}: {response.status_code}")
                continue
            stopped = _stopped_by_gate(response)
            expected_through = allowed == PUBLIC or (principal is not None and principal in allowed)
            if stopped == expected_through:
                verdict = "stopped" if stopped else "let through"
                wrong.append(f"{method} {path} as {who}: {verdict} ({response.status_code})")
    assert wrong == [], "\n".join(wrong)


def _probe_url(method: str, path: str, arranged: Fixture) -> str:
    if method == "MOUNT":
        return STATIC_PROBE
    values = {
        "office_id": str(arranged.office_id),
        "account_id": str(arranged.target_account_id),
        "path": "0/000",
        "index": "0",
        "office_slug": "downtown",
        "action": "check-in",
    }
    return _PARAM.sub(lambda m: values.get(m.group(1), "1"), path)


def _stopped_by_gate(response: httpx.Response) -> bool:
    """Whether the staff gate refused the request (not the route, on its own terms)."""
    if response.status_code in (302, 303, 307):
        return response.headers["location"].startswith("/staff/sign-in?next=")
    if response.status_code not in (401, 403):
        return False
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json().get("error") in GATE_CODES
    page = read(response)
    return any(f"error code: {code}" in page.text for code in GATE_CODES)


class _Browsers:
    """One browser per principal, re-signed in whenever a request ended its session."""

    def __init__(
        self,
        app_client: TestClient,
        arranged: Fixture,
        sessions: sessionmaker[Session],
        clock: ManualClock,
        keyring: Keyring,
        policy: AccessPolicy,
    ) -> None:
        self._app_client = app_client
        self._arranged = arranged
        self._sessions = sessions
        self._clock = clock
        self._keyring = keyring
        self._policy = policy
        self._clients: dict[Role | None, TestClient] = {}
        form = read(app_client.get("/staff/sign-in")).form("/staff/sign-in")
        self.csrf_token = form.fields["csrf_token"][0]
        self._csrf_cookie = app_client.cookies.get("haven_csrf") or ""

    def client(self, principal: Role | None) -> TestClient:
        client = self._clients.get(principal)
        if client is None:
            client = TestClient(self._app_client.app)
            self._clients[principal] = client
        client.cookies.set("haven_csrf", self._csrf_cookie)
        if principal is None:
            client.cookies.delete(self._policy.cookie_name)
        elif client.get("/api/v1/staff/me").status_code != 200:
            client.cookies.set(self._policy.cookie_name, self._signed_in_token(principal))
        return client

    def _signed_in_token(self, role: Role) -> str:
        staff = self._arranged.staff[role]
        # A TOTP code is good once: each sign-in happens in a step of its own.
        self._clock.advance(timedelta(seconds=STEP_SECONDS))
        with unit_of_work(self._sessions) as session:
            outcome = sign_in.sign_in(
                session, self._clock, self._policy, username=staff.username, password=staff.password
            )
            if outcome.status is sign_in.SignInStatus.CODE_NEEDED:
                assert staff.enrolment is not None
                outcome = sign_in.verify_code(
                    session,
                    self._clock,
                    self._keyring,
                    self._policy,
                    pending_token=outcome.token,
                    code=code_at(staff.enrolment.secret, self._clock.now()),
                )
        assert outcome.status is sign_in.SignInStatus.SIGNED_IN, outcome
        assert outcome.token is not None
        return outcome.token
