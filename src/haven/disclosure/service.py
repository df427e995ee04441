"""The gateway's intake actions: register agencies and keys, record refusals, receive,
validate and evaluate requests, report status, close. Each writes its rows and its ledger
entry in the caller's transaction and never commits.

Review (assign, approve, deny, narrow) lives in ``review.py``; production, notice and fetching
in ``delivery.py``. ``intake`` runs receive → validate → evaluate → assign in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.disclosure import matching
from haven.disclosure.errors import RequestInvalid, RequestNotFound, WrongState
from haven.disclosure.events import DisclosureEvent
from haven.disclosure.models import (
    Agency,
    AgencyCategory,
    AgencyKey,
    Channel,
    DisclosureRequest,
    LegalBasis,
    NamedIndividual,
    PolicyDecision,
    RequestDocument,
    RequestedElement,
    RequestStatus,
)
from haven.disclosure.policy import (
    DataElement,
    Decision,
    DocumentKind,
    OfficialLevel,
    Outcome,
    PurposeCategory,
    RequestedIndividual,
    RequestFacts,
)
from haven.disclosure.policy import evaluate as evaluate_policy
from haven.disclosure.schemas import DisclosureRequestIn
from haven.disclosure.sealing import seal
from haven.ledger.store import append
from haven.vault.keys import Keyring

# Days the reviewers have, by basis: an emergency is answered the same day; court orders carry
# their own return dates; everything else gets the 30 days 20 CFR 401 practice allows.
REVIEW_DAYS: dict[LegalBasis, int] = {
    LegalBasis.HEALTH_SAFETY_EMERGENCY: 1,
    LegalBasis.COURT_ORDER: 10,
    LegalBasis.LAW_ENFORCEMENT: 20,
}
DEFAULT_REVIEW_DAYS = 30
OPEN_STATUSES = frozenset(
    {
        RequestStatus.RECEIVED,
        RequestStatus.VALIDATED,
        RequestStatus.POLICY_EVALUATED,
        RequestStatus.IN_REVIEW,
        RequestStatus.APPROVED,
        RequestStatus.NARROWED,
    }
)
CLOSABLE = frozenset(
    {
        RequestStatus.REJECTED,
        RequestStatus.DENIED,
        RequestStatus.ROUTED,
        RequestStatus.NOTICED,
        RequestStatus.NOTICE_DELAYED,
    }
)
DOCUMENT_CONTEXT = "disclosure:document"
# A refused call's path is the caller's text: only these characters reach the ledger.
_UNSAFE_PATH = re.compile(r"[^A-Za-z0-9/_.-]")
_JUDGE = re.compile(r"\b(judge|justice|magistrate)\b", re.IGNORECASE)
_STATUS_FOR_OUTCOME = {
    Outcome.REJECTED_INVALID: RequestStatus.REJECTED,
    Outcome.DENIED: RequestStatus.DENIED,
    Outcome.ROUTED_TO_CENTRAL_OFFICE: RequestStatus.ROUTED,
    Outcome.NARROWED: RequestStatus.POLICY_EVALUATED,
    Outcome.REVIEW: RequestStatus.POLICY_EVALUATED,
}


@dataclass(frozen=True)
class Intake:
    """Who and how: the agency, the channel, and who entered it."""

    agency_id: int
    channel: Channel
    actor: str  # "agency-key:<key id>" for the API, "staff:<id>" for paper intake
    intake_account_id: int | None = None
    key_id: str = ""


def request_ref(request: DisclosureRequest) -> str:
    return f"disclosure-request:{request.public_id}"


def register_agency(
    session: Session,
    clock: Clock,
    *,
    actor: str,
    name: str,
    category: AgencyCategory,
    address: str,
    contact: str,
) -> Agency:
    """Add an agency to the registry."""
    agency = Agency(
        name=name,
        category=str(AgencyCategory(category)),
        address=address,
        contact=contact,
        created_at=clock.now(),
    )
    session.add(agency)
    session.flush()
    append(
        session,
        DisclosureEvent.AGENCY_REGISTERED,
        actor=actor,
        time=clock.now(),
        refs=[f"agency:{agency.id}"],
        agency=agency.id,
        category=agency.category,
    )
    return agency


def add_agency_key(
    session: Session,
    clock: Clock,
    *,
    actor: str,
    agency_id: int,
    key_id: str,
    public_key: bytes,
    valid_from: datetime,
    valid_until: datetime | None,
) -> AgencyKey:
    """Put an agency's Ed25519 public key on file for the given validity period."""
    if len(public_key) != 32:
        raise RequestInvalid("an Ed25519 public key is 32 bytes", field="public_key")
    if valid_until is not None and valid_until <= valid_from:
        raise RequestInvalid("a key must be valid for some time", field="valid_until")
    key = AgencyKey(
        agency_id=agency_id,
        key_id=key_id,
        public_key=public_key,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    session.add(key)
    session.flush()
    append(
        session,
        DisclosureEvent.AGENCY_KEY_ADDED,
        actor=actor,
        time=clock.now(),
        refs=[f"agency:{agency_id}"],
        agency=agency_id,
        key_id=key_id,
        valid_from=valid_from.isoformat(),
        valid_until=valid_until.isoformat() if valid_until else None,
    )
    return key


@dataclass(frozen=True)
class Refusal:
    """A request refused before it became a request (signature, size, content)."""

    stage: str
    error: str
    field: str | None
    message: str
    key_id: str
    method: str
    path: str
    body: bytes


def record_refusal(session: Session, clock: Clock, refusal: Refusal) -> int:
    """Record a refused API call in the ledger (its body only as a hash and a size)."""
    return append(
        session,
        DisclosureEvent.REQUEST_REFUSED,
        actor=f"agency-key:{refusal.key_id}" if refusal.key_id else "unauthenticated",
        time=clock.now(),
        stage=refusal.stage,
        error=refusal.error,
        field=refusal.field,
        message=refusal.message,
        key_id=refusal.key_id,
        method=refusal.method,
        path=_UNSAFE_PATH.sub("?", refusal.path[:200]),
        body_sha256=hashlib.sha256(refusal.body).hexdigest(),
        body_bytes=len(refusal.body),
    )


def receive_request(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    intake: Intake,
    body: DisclosureRequestIn,
    document: bytes | None,
) -> DisclosureRequest:
    """Store a request as received: identifiers sealed, document hashed (and sealed)."""
    now = clock.now()
    basis = LegalBasis(body.legal_basis)
    request = DisclosureRequest(
        public_id=secrets.token_hex(16),
        agency_id=intake.agency_id,
        channel=str(intake.channel),
        status=str(RequestStatus.RECEIVED),
        received_by=intake.actor,
        intake_account_id=intake.intake_account_id,
        official_name=body.official_name,
        official_title=body.official_title,
        official_level=str(body.official_level),
        legal_basis=str(basis),
        basis_citation=body.basis_citation,
        purpose=str(body.purpose),
        records_named=body.records_named,
        activity=body.activity,
        crime_serious_or_violent=body.crime_serious_or_violent,
        subject_indicted_or_convicted=body.subject_indicted_or_convicted,
        imminent_harm=body.imminent_harm,
        matching_agreement_id=body.matching_agreement_id,
        office_id=body.office_id or (body.bulk.office_id if body.bulk else None),
        bulk_office_id=body.bulk.office_id if body.bulk else None,
        bulk_from=body.bulk.starts_from if body.bulk else None,
        bulk_until=body.bulk.ends_before if body.bulk else None,
        received_at=now,
        due_at=now + timedelta(days=REVIEW_DAYS.get(basis, DEFAULT_REVIEW_DAYS)),
        updated_at=now,
    )
    session.add(request)
    session.flush()
    for element in body.data_elements:
        request.elements.append(RequestedElement(element=str(element)))
    for position, person in enumerate(body.individuals):
        _add_individual(session, keyring, request, position, person)
    document_row = _add_document(session, keyring, request, body, document)
    session.flush()
    append(
        session,
        DisclosureEvent.REQUEST_RECEIVED,
        actor=intake.actor,
        time=now,
        refs=[request_ref(request), f"agency:{intake.agency_id}"],
        agency=intake.agency_id,
        channel=request.channel,
        basis=request.legal_basis,
        purpose_category=request.purpose,
        elements=sorted(str(e) for e in body.data_elements),
        individuals=len(body.individuals),
        bulk=body.bulk is not None,
        document_kind=document_row.kind if document_row else None,
        document_sha256=document_row.sha256 if document_row else None,
        key_id=intake.key_id,
    )
    return request


def validate(session: Session, clock: Clock, request: DisclosureRequest) -> list[str]:
    """Check what must hold before the policy looks at it; returns the reasons it fails."""
    require_status(request, RequestStatus.RECEIVED)
    reasons: list[str] = []
    if request.channel == Channel.PAPER and not request.documents:
        reasons.append("a paper request needs its scanned document")
    if request.bulk_office_id is not None and request.individuals:
        reasons.append("a request names individuals or a scope, not both")
    if request.bulk_from and request.bulk_until and request.bulk_from >= request.bulk_until:
        reasons.append("the scope's start is not before its end")
    ok = not reasons
    request.status = str(RequestStatus.VALIDATED if ok else RequestStatus.REJECTED)
    request.updated_at = clock.now()
    if ok:
        record_event(session, clock, request, DisclosureEvent.REQUEST_VALIDATED, checks=3)
    else:
        record_event(session, clock, request, DisclosureEvent.REQUEST_REJECTED, reasons=reasons)
    return reasons


def evaluate(session: Session, clock: Clock, request: DisclosureRequest) -> PolicyDecision:
    """Decide the request under the active policy pack; nothing is decrypted here (matching
    counts blind-index candidates only)."""
    require_status(request, RequestStatus.VALIDATED)
    agency = session.get_one(Agency, request.agency_id)
    decision = evaluate_policy(session, facts_for(agency, request), now=clock.now())
    row = PolicyDecision(
        outcome=str(decision.outcome),
        reasons_json=json.dumps(explain(decision)),
        allowed_elements_json=json.dumps(sorted(str(e) for e in decision.allowed_elements)),
        allowed_individuals_json=json.dumps(list(decision.allowed_individuals)),
        notice_due=decision.notice_due,
        policy_version=str(decision.policy_version),
        policy_hash=decision.policy_hash,
        decided_at=clock.now(),
        ledger_index=-1,
    )
    request.status = str(_STATUS_FOR_OUTCOME[decision.outcome])
    request.updated_at = clock.now()
    request.decisions.append(row)
    session.flush()
    row.ledger_index = record_event(
        session,
        clock,
        request,
        DisclosureEvent.REQUEST_EVALUATED,
        outcome=str(decision.outcome),
        rules=list(decision.rule_ids),
        allowed_elements=sorted(str(e) for e in decision.allowed_elements),
        policy_version=str(decision.policy_version),
        policy_hash=decision.policy_hash,
        records_decrypted=0,
    )
    return row


def facts_for(agency: Agency, request: DisclosureRequest) -> RequestFacts:
    """The policy's view of a request: no identifiers, only counts and categories."""
    document = request.documents[0] if request.documents else None
    basis = LegalBasis(request.legal_basis)
    if document is not None:
        document_kind = DocumentKind(document.kind)
    elif request.channel == Channel.API:
        document_kind = DocumentKind.WRITTEN_REQUEST  # the signed API call is itself written
    else:
        document_kind = DocumentKind.NONE
    judge_signed = (
        document is not None
        and document_kind in {DocumentKind.JUDICIAL_WARRANT, DocumentKind.COURT_ORDER}
        and bool(_JUDGE.search(document.signer_title))
    )
    return RequestFacts(
        agency_category=AgencyCategory(agency.category),
        legal_basis=basis,
        purpose=PurposeCategory(request.purpose),
        official_title=request.official_title,
        official_level=OfficialLevel(request.official_level),
        document_kind=document_kind,
        in_writing=request.channel == Channel.API or document is not None,
        signed_by_judge=judge_signed,
        data_elements=frozenset(DataElement(e) for e in request.element_names),
        individuals=tuple(
            RequestedIndividual(ref=individual_ref(person), matched_records=person.candidates)
            for person in request.individuals
        ),
        bulk=request.bulk_office_id is not None,
        names_records=bool(request.records_named.strip()),
        names_activity=bool(request.activity.strip()),
        crime_serious_or_violent=request.crime_serious_or_violent,
        subject_indicted_or_convicted=request.subject_indicted_or_convicted,
        imminent_harm_stated=bool(request.imminent_harm.strip()),
        statute=request.basis_citation if basis is LegalBasis.REQUIRED_BY_LAW else None,
        routine_use_citation=request.basis_citation if basis is LegalBasis.ROUTINE_USE else None,
        matching_agreement_id=request.matching_agreement_id,
        agency_id=agency.id,
        office_id=request.office_id,
    )


def individual_ref(person: NamedIndividual) -> str:
    return f"individual:{person.position}"


def explain(decision: Decision) -> list[dict[str, Any]]:
    """The decision's findings as plain data: rule, effect, explanation, legal source."""
    return [
        {
            "rule": finding.rule_id,
            "effect": str(finding.effect),
            "explanation": finding.explanation,
            "source": finding.source,
            "elements": sorted(str(e) for e in finding.data_elements),
        }
        for finding in decision.findings
    ]


def get_request(session: Session, public_id: str, *, for_update: bool = False) -> DisclosureRequest:
    query = sa.select(DisclosureRequest).where(DisclosureRequest.public_id == public_id)
    if for_update:
        query = query.with_for_update()
    request = session.scalars(query).first()
    if request is None:
        raise RequestNotFound("there is no such disclosure request", field="id")
    return request


def get_agency_request(session: Session, agency_id: int, public_id: str) -> DisclosureRequest:
    """The request, only when this agency made it (others get the same 404 as a wrong id)."""
    request = get_request(session, public_id)
    if request.agency_id != agency_id:
        raise RequestNotFound("there is no such disclosure request", field="id")
    return request


def latest_decision(request: DisclosureRequest) -> PolicyDecision | None:
    return request.decisions[-1] if request.decisions else None


def status_view(request: DisclosureRequest) -> dict[str, Any]:
    """What the agency may know about its request: status, decision and its reasons."""
    decision = latest_decision(request)
    view: dict[str, Any] = {
        "id": request.public_id,
        "status": request.status,
        "received_at": request.received_at.isoformat(),
        "due_at": request.due_at.isoformat(),
    }
    if decision is not None:
        view["decision"] = {
            "outcome": decision.outcome,
            "reasons": json.loads(decision.reasons_json),
            "allowed_elements": json.loads(decision.allowed_elements_json),
            "policy_version": decision.policy_version,
            "policy_hash": decision.policy_hash,
        }
    return view


def close(session: Session, clock: Clock, request: DisclosureRequest, *, actor: str) -> None:
    """Close a finished request (refused, denied, routed, or produced and noticed)."""
    if RequestStatus(request.status) not in CLOSABLE:
        raise WrongState(f"a request that is {request.status} cannot be closed yet", field="id")
    previous = request.status
    request.status = str(RequestStatus.CLOSED)
    request.updated_at = clock.now()
    record_event(
        session, clock, request, DisclosureEvent.REQUEST_CLOSED, actor, from_status=previous
    )


def overdue(session: Session, now: datetime) -> Sequence[DisclosureRequest]:
    """Open requests past their deadline, oldest deadline first."""
    return session.scalars(
        sa.select(DisclosureRequest)
        .where(
            DisclosureRequest.status.in_([str(s) for s in OPEN_STATUSES]),
            DisclosureRequest.due_at < now,
        )
        .order_by(DisclosureRequest.due_at)
    ).all()


def queue(session: Session) -> Sequence[DisclosureRequest]:
    """Open requests by deadline, soonest first."""
    return session.scalars(
        sa.select(DisclosureRequest)
        .where(DisclosureRequest.status.in_([str(s) for s in OPEN_STATUSES]))
        .order_by(DisclosureRequest.due_at)
    ).all()


def _add_individual(
    session: Session,
    keyring: Keyring,
    request: DisclosureRequest,
    position: int,
    person: Any,
) -> None:
    identifiers = matching.Identifiers(name=person.name, phone=person.phone, email=person.email)
    indexes = matching.contact_indexes(keyring, identifiers)
    candidates = matching.count_candidates(session, indexes)
    sealed = seal(keyring, identifiers.to_bytes(), matching.IDENTIFIERS_CONTEXT)
    request.individuals.append(
        NamedIndividual(
            position=position,
            contact_index=indexes[0] if indexes else "",
            identifiers_wrapped=sealed.blob,
            kek_id=sealed.kek_id,
            identifier_count=identifiers.count,
            matched_person_id=candidates[0] if len(candidates) == 1 else None,
            candidates=len(candidates),
        )
    )


def _add_document(
    session: Session,
    keyring: Keyring,
    request: DisclosureRequest,
    body: DisclosureRequestIn,
    content: bytes | None,
) -> RequestDocument | None:
    if body.document is None or content is None:
        return None
    sealed = seal(keyring, content, DOCUMENT_CONTEXT)
    row = RequestDocument(
        kind=str(body.document.kind),
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        media_type=body.document.media_type,
        signed_by=body.document.signed_by,
        signer_title=body.document.signer_title,
        issued_by=body.document.issued_by,
        content_wrapped=sealed.blob,
        kek_id=sealed.kek_id,
    )
    request.documents.append(row)
    return row


def require_status(request: DisclosureRequest, *statuses: RequestStatus) -> None:
    if RequestStatus(request.status) not in statuses:
        wanted = " or ".join(str(s) for s in statuses)
        raise WrongState(f"the request is {request.status}, not {wanted}", field="status")


def record_event(
    session: Session,
    clock: Clock,
    request: DisclosureRequest,
    kind: DisclosureEvent,
    actor: str = "system",
    **fields: Any,
) -> int:
    return append(
        session, kind, actor=actor, time=clock.now(), refs=[request_ref(request)], **fields
    )
