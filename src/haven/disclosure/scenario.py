"""`haven disclosure scenario`: replay the issue's scenario against a running demo.

The agency's side goes over HTTP exactly as an agency would (signed with the demo agency's key
from HAVEN_HOME); the office's side (the two reviewers' signatures, producing, the notice) runs
here as the demo privacy officer and counsel, since the command runs on the server, with their
demo authenticator secrets. Step 4 proposes a permit-everything pack and tries to activate it
(refused, and the refusal recorded). Step 2 (the clerk) is the access pages' own story and is
printed as where to look, not replayed.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from datetime import timedelta
from types import MappingProxyType
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.access.demo import demo_username
from haven.access.models import Role, StaffAccount
from haven.access.principal import StaffPrincipal
from haven.access.second_factor import code_at, unwrapped_secret
from haven.clock import Clock
from haven.config import Settings
from haven.db import unit_of_work
from haven.disclosure import delivery, review, service
from haven.disclosure.client import AgencySigner, request_body
from haven.disclosure.demo import DEMO_AGENCIES, load_demo_signer
from haven.disclosure.examples import bulk_request, warrant_request
from haven.disclosure.policy import governance
from haven.disclosure.policy.errors import ActivationRefused, PackInvalid
from haven.disclosure.production import load_office_signer
from haven.ledger.note import ed25519_signature_valid
from haven.vault.keys import Keyring

API = "/api/v1/disclosure-requests"
DEMO_WARRANT = b"%PDF-1.4 demo warrant (fiction)\n%%EOF\n"
Say = Callable[[str], None]


PolicyError = (ActivationRefused, PackInvalid)


class ScenarioFailed(Exception):
    """The running demo answered something the scenario cannot go on from."""


def run_scenario(
    http: httpx.Client,
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: Clock,
    settings: Settings,
    say: Say,
) -> None:
    """Run steps 1 to 4, printing each outcome through ``say``."""
    signer = load_demo_signer(settings, DEMO_AGENCIES[0])
    office_id, service_id = _first_office_and_service(http)

    say("step 1: bulk request for next week's appointments, civil immigration enforcement")
    next_week = clock.now().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=7)
    answer = _submit(http, signer, clock, bulk_request(office_id, next_week))
    say(f"  -> {answer['status']}")
    for reason in answer.get("decision", {}).get("reasons", []):
        say(f"     {reason['rule']}: {reason['explanation']}")

    say("step 2: a clerk told to hand the appointments over")
    say("  -> clerks see their own office's day only, every view is a ledger entry with its")
    say("     purpose, there is no export; bulk reads raise an alert at /staff/privacy/alerts")

    say("step 3: a judicial warrant naming one person")
    email = f"scenario.{secrets.token_hex(4)}@example.org"
    _book(http, office_id, service_id, email, clock)
    person = {"name": "Dana Scenario", "email": email}
    answer = _submit(http, signer, clock, warrant_request(office_id, person, DEMO_WARRANT))
    say(f"  -> {answer['status']} ({answer.get('decision', {}).get('outcome')})")
    if answer["status"] != "in-review":
        raise ScenarioFailed("the warrant did not go to review")
    _review_and_produce(sessions, keyring, clock, settings, answer["id"], say)
    package = _fetch(http, signer, clock, answer["id"])
    say(f"  -> production fetched by the agency, signature valid, fields {package['elements']}")

    say("step 4: someone tries to switch the policy off")
    _switch_policy_off(sessions, clock, say)


# What "switching the policy off" would take: a rule that permits every disclosure.
PERMIT_ALL = (
    '@id("switch_off")\n'
    '@explanation("Everything may be disclosed.")\n'
    '@source("nobody")\n'
    'permit (principal, action == Haven::Action::"disclose", resource);\n'
)


def _switch_policy_off(sessions: sessionmaker[Session], clock: Clock, say: Say) -> None:
    """Propose a permit-everything pack and try to activate it at once, as the one tool there
    is; the refusal goes into the ledger like every other attempt."""
    with unit_of_work(sessions) as session:
        running = governance.active_version_ref(session, now=clock.now())
        files = governance.version_files(session, running)
        # A fresh comment each run, so a rerun proposes anew instead of meeting its twin.
        files["99_switch_off.cedar"] = f"// attempt {secrets.token_hex(4)}\n{PERMIT_ALL}"
        try:
            proposed = governance.propose_version(session, clock, files, actor="scenario")
        except PolicyError as exc:
            say(f"  -> the permit-everything pack is refused outright: {exc.message}")
            return
        version_id = proposed.id
    try:
        with unit_of_work(sessions) as session:
            governance.activate_version(session, clock, version_id=version_id, actor="scenario")
    except PolicyError as exc:
        with unit_of_work(sessions) as session:
            governance.record_refused_activation(
                session, clock, version_id=version_id, reason=exc.message, actor="scenario"
            )
        say(f"  -> activation refused (recorded in the ledger): {exc.message}")
        say(f"  -> the policy in force is still version {running.id} ({running.sha256[:12]}...)")
        return
    raise ScenarioFailed("an unsigned policy version was activated")


def _first_office_and_service(http: httpx.Client) -> tuple[int, int]:
    offices = _ok(http.get("/api/v1/offices"))
    office_id = int(offices[0]["id"])
    services = _ok(http.get(f"/api/v1/offices/{office_id}/services"))
    return office_id, int(services[0]["id"])


def _submit(
    http: httpx.Client, signer: AgencySigner, clock: Clock, payload: dict[str, Any]
) -> dict[str, Any]:
    body = request_body(payload)
    headers = {
        "Content-Type": "application/json",
        **signer.sign("POST", API, body, created=clock.now()),
    }
    result: dict[str, Any] = _ok(http.post(API, content=body, headers=headers))
    return result


def _fetch(
    http: httpx.Client, signer: AgencySigner, clock: Clock, public_id: str
) -> dict[str, Any]:
    path = f"{API}/{public_id}/production"
    answer = _ok(http.get(path, headers=signer.sign("GET", path, b"", created=clock.now())))
    if not ed25519_signature_valid(
        base64.b64decode(answer["public_key"]),
        base64.b64decode(answer["signature"]),
        answer["package"].encode(),
    ):
        raise ScenarioFailed("the production's signature does not verify")
    package: dict[str, Any] = json.loads(answer["package"])
    return package


def _book(http: httpx.Client, office_id: int, service_id: int, email: str, clock: Clock) -> None:
    start = (clock.now() + timedelta(days=7)).date()
    slots = _ok(
        http.get(
            f"/api/v1/offices/{office_id}/availability",
            params={
                "service": service_id,
                "start": start.isoformat(),
                "end": (start + timedelta(days=6)).isoformat(),
            },
        )
    )
    free = [slot for slot in slots.get("slots", [])]
    if not free:
        raise ScenarioFailed("no free slot next week to book the scenario's person")
    booking = {
        "office_id": office_id,
        "service_id": service_id,
        "starts_at": free[0]["starts_at"],
        "name": "Dana Scenario",
        "email": email,
        "language": "en",
    }
    _ok(http.post("/api/v1/appointments", json=booking))


def _review_and_produce(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: Clock,
    settings: Settings,
    public_id: str,
    say: Say,
) -> None:
    with unit_of_work(sessions) as session:
        request = service.get_request(session, public_id)
        review.approve(
            session,
            keyring,
            clock,
            request,
            _signature(session, keyring, clock, Role.PRIVACY_OFFICER),
        )
        review.narrow(
            session,
            keyring,
            clock,
            request,
            _signature(session, keyring, clock, Role.COUNSEL),
            elements={"identity", "future_appointments"},
            individuals={"individual:0"},
            note="Contact details are not needed to execute the warrant.",
        )
        say(f"  -> privacy officer approved, counsel narrowed: {request.status}")
        delivery.produce(
            session,
            keyring,
            clock,
            load_office_signer(settings),
            request,
            actor="staff:demo-privacy-officer",
        )
        notices = delivery.handle_notice(session, clock, request, actor="system")
        say(
            f"  -> produced; accounting entry written; notices {[n.status for n in notices]}"
            f" ({request.status})"
        )


def _signature(session: Session, keyring: Keyring, clock: Clock, role: Role) -> review.Signature:
    account = session.scalar(
        sa.select(StaffAccount).where(StaffAccount.username == demo_username(role))
    )
    if account is None:
        raise ScenarioFailed(f"the demo {role} account is missing; run `haven demo` first")
    secret = unwrapped_secret(account, keyring)
    if secret is None:
        raise ScenarioFailed(f"the demo {role} account has no authenticator")
    principal = StaffPrincipal(
        account_id=account.id,
        session_id=0,
        display_name=account.display_name,
        offices_by_role=MappingProxyType({role: frozenset()}),
    )
    return review.Signature(principal, code_at(secret.decode(), clock.now()))


def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise ScenarioFailed(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text[:300]}"
        )
    return response.json()
