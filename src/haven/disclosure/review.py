"""Review: two distinct reviewers, a privacy officer and counsel, neither the person who
entered the request nor each other, each re-authenticating with a TOTP code to sign.

``assign_review`` opens the review (and confirms each person's single candidate record by
name in one purpose-bound read). ``approve``, ``narrow`` and ``deny`` each sign one verdict;
after the second signature the request is approved, narrowed (the reviewers' intersection
is smaller than what the policy allowed) or denied (either reviewer denied).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.orm import Session

from haven.access.models import Role, StaffAccount
from haven.access.principal import StaffPrincipal
from haven.access.second_factor import accept_code
from haven.clock import Clock
from haven.disclosure import matching
from haven.disclosure.errors import ReviewRefused, WrongState
from haven.disclosure.events import DisclosureEvent
from haven.disclosure.models import DisclosureRequest, RequestStatus, Review, Verdict
from haven.disclosure.policy import Outcome
from haven.disclosure.service import (
    individual_ref,
    latest_decision,
    record_event,
    request_ref,
    require_status,
)
from haven.ledger.store import append
from haven.vault.keys import Keyring

REVIEWER_ROLES = (Role.PRIVACY_OFFICER, Role.COUNSEL)
MAX_NOTE = 2000


@dataclass(frozen=True)
class Signature:
    """A reviewer's sign-off: who, and the TOTP code they re-authenticated with."""

    principal: StaffPrincipal
    totp_code: str


def assign_review(
    session: Session, keyring: Keyring, clock: Clock, request: DisclosureRequest
) -> int:
    """Send an evaluated request to the two reviewers; returns how many people matched."""
    require_status(request, RequestStatus.POLICY_EVALUATED)
    decision = latest_decision(request)
    if decision is None or decision.outcome not in {Outcome.REVIEW, Outcome.NARROWED}:
        raise WrongState("only requests the policy allows go to review", field="status")
    allowed = set(json.loads(decision.allowed_individuals_json))
    kept = [p for p in request.individuals if individual_ref(p) in allowed]
    matched = matching.confirm_matches(
        session, keyring, clock, kept, actor="system", request_ref=request_ref(request)
    )
    request.status = str(RequestStatus.IN_REVIEW)
    request.updated_at = clock.now()
    record_event(
        session,
        clock,
        request,
        DisclosureEvent.REVIEW_ASSIGNED,
        due_at=request.due_at.isoformat(),
        matched=matched,
    )
    return matched


def approve(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    request: DisclosureRequest,
    signature: Signature,
    *,
    note: str = "",
) -> Review:
    """Approve what the policy allowed, as it stands."""
    elements, people = _allowed(request)
    return _sign(
        session, keyring, clock, request, signature, Verdict.APPROVE, elements, people, note
    )


def narrow(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    request: DisclosureRequest,
    signature: Signature,
    *,
    elements: Collection[str],
    individuals: Collection[str],
    note: str = "",
) -> Review:
    """Approve only some of the allowed elements and people."""
    allowed_elements, allowed_people = _allowed(request)
    chosen_elements, chosen_people = set(elements), set(individuals)
    if not chosen_elements or not chosen_elements <= allowed_elements:
        raise ReviewRefused("narrow to some of the elements the policy allowed", field="elements")
    if not chosen_people or not chosen_people <= allowed_people:
        raise ReviewRefused(
            "narrow to some of the individuals the policy allowed", field="individuals"
        )
    return _sign(
        session,
        keyring,
        clock,
        request,
        signature,
        Verdict.NARROW,
        chosen_elements,
        chosen_people,
        note,
    )


def deny(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    request: DisclosureRequest,
    signature: Signature,
    *,
    note: str = "",
) -> Review:
    """Refuse the request; one denial is enough."""
    return _sign(session, keyring, clock, request, signature, Verdict.DENY, set(), set(), note)


def _allowed(request: DisclosureRequest) -> tuple[set[str], set[str]]:
    decision = latest_decision(request)
    if decision is None:
        raise WrongState("the request has not been evaluated", field="status")
    allowed_people = set(json.loads(decision.allowed_individuals_json))
    matched = {individual_ref(p) for p in request.individuals if p.matched_person_id is not None}
    return set(json.loads(decision.allowed_elements_json)), allowed_people & matched


def _sign(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    request: DisclosureRequest,
    signature: Signature,
    verdict: Verdict,
    elements: set[str],
    people: set[str],
    note: str,
) -> Review:
    require_status(request, RequestStatus.IN_REVIEW)
    principal = signature.principal
    role = _reviewer_role(request, principal)
    account = session.get_one(StaffAccount, principal.account_id)
    if not accept_code(account, keyring, signature.totp_code.strip(), clock.now()):
        raise ReviewRefused(
            "the authenticator code is wrong or already used; signing needs a fresh code",
            field="totp_code",
        )
    if verdict is not Verdict.DENY and not people:
        raise ReviewRefused(
            "no named individual matched exactly one record; deny or narrow instead",
            field="individuals",
        )
    if len(note) > MAX_NOTE:
        raise ReviewRefused(f"keep the note under {MAX_NOTE} characters", field="note")
    statement = json.dumps(
        {
            "request": request.public_id,
            "reviewer": principal.actor,
            "role": str(role),
            "verdict": str(verdict),
            "elements": sorted(elements),
            "individuals": sorted(people),
            "at": clock.now().isoformat(),
        },
        sort_keys=True,
    )
    review = Review(
        reviewer_account_id=principal.account_id,
        role=str(role),
        verdict=str(verdict),
        elements_json=json.dumps(sorted(elements)),
        positions_json=json.dumps(sorted(people)),
        note=note.strip(),
        signed_at=clock.now(),
        ledger_index=-1,
    )
    request.reviews.append(review)
    session.flush()
    review.ledger_index = append(
        session,
        DisclosureEvent.REVIEW_SIGNED,
        actor=principal.actor,
        time=clock.now(),
        refs=[request_ref(request)],
        role=str(role),
        verdict=str(verdict),
        elements=sorted(elements),
        individuals=sorted(people),
        statement_sha256=hashlib.sha256(statement.encode()).hexdigest(),
    )
    _decide_when_both_signed(session, clock, request)
    return review


def _reviewer_role(request: DisclosureRequest, principal: StaffPrincipal) -> Role:
    """The role this person signs in: one the request still needs, never twice, never as the
    person who entered it."""
    if request.intake_account_id == principal.account_id:
        raise ReviewRefused("the person who entered a request cannot review it", field="reviewer")
    if any(r.reviewer_account_id == principal.account_id for r in request.reviews):
        raise ReviewRefused(
            "you have already signed this request; the second signature must be someone else's",
            field="reviewer",
        )
    signed_roles = {r.role for r in request.reviews}
    for role in REVIEWER_ROLES:
        if principal.has_role(role) and role not in signed_roles:
            return role
    if not principal.has_role(*REVIEWER_ROLES):
        raise ReviewRefused("only a privacy officer or counsel reviews requests", field="reviewer")
    raise ReviewRefused("your role has already signed this request", field="reviewer")


def _decide_when_both_signed(session: Session, clock: Clock, request: DisclosureRequest) -> None:
    if len(request.reviews) < len(REVIEWER_ROLES):
        return
    if any(r.verdict == Verdict.DENY for r in request.reviews):
        status, elements, people = RequestStatus.DENIED, set[str](), set[str]()
    else:
        elements = set.intersection(*(set(json.loads(r.elements_json)) for r in request.reviews))
        people = set.intersection(*(set(json.loads(r.positions_json)) for r in request.reviews))
        full_elements, full_people = _allowed(request)
        if not elements or not people:
            status = RequestStatus.DENIED
        elif elements == full_elements and people == full_people:
            status = RequestStatus.APPROVED
        else:
            status = RequestStatus.NARROWED
    request.status = str(status)
    request.updated_at = clock.now()
    record_event(
        session,
        clock,
        request,
        DisclosureEvent.REQUEST_DECIDED,
        outcome=str(status),
        elements=sorted(elements),
        individuals=sorted(people),
    )


def approved_scope(request: DisclosureRequest) -> tuple[set[str], set[str]]:
    """The elements and individual refs both reviewers signed (empty unless approved)."""
    if RequestStatus(request.status) not in {RequestStatus.APPROVED, RequestStatus.NARROWED}:
        return set(), set()
    elements = set.intersection(*(set(json.loads(r.elements_json)) for r in request.reviews))
    people = set.intersection(*(set(json.loads(r.positions_json)) for r in request.reviews))
    return elements, people
