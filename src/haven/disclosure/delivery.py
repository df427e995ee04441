"""After approval: produce the signed package, handle notices, and hand the package to the
agency that asked (and nobody else) over the API. Nothing is ever sent by email: there is no
code path here, or anywhere in the gateway, that mails a production.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.disclosure import accounting
from haven.disclosure.errors import NotProduced, WrongState
from haven.disclosure.events import DisclosureEvent
from haven.disclosure.models import (
    Agency,
    DisclosureRequest,
    LegalBasis,
    Notice,
    NoticeStatus,
    Production,
    RequestStatus,
)
from haven.disclosure.production import person_section, public_key_b64, sign_package
from haven.disclosure.review import approved_scope
from haven.disclosure.sealing import seal, unseal
from haven.disclosure.service import (
    get_agency_request,
    individual_ref,
    latest_decision,
    record_event,
    request_ref,
    require_status,
)
from haven.ledger.note import Signer
from haven.ledger.store import append
from haven.vault.keys import Keyring
from haven.vault.reads import ReadPurpose, read_people
from haven.vault.service import person_tag_key

PRODUCTION_CONTEXT = "disclosure:production"
NOTICE_DAYS_IF_UNSTATED = 14  # 10 working days
_CHANNEL = {"phone": "sms", "email": "email"}


def produce(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    signer: Signer,
    request: DisclosureRequest,
    *,
    actor: str,
) -> Production:
    """Build, sign and keep the package of the approved people and fields; one purpose-bound
    read opens their records, and each person gets an accounting entry."""
    require_status(request, RequestStatus.APPROVED, RequestStatus.NARROWED)
    elements, refs = approved_scope(request)
    people = {
        individual_ref(p): p.matched_person_id
        for p in request.individuals
        if individual_ref(p) in refs and p.matched_person_id is not None
    }
    if not people or not elements:
        raise WrongState("nothing was approved to produce", field="status")
    now = clock.now()
    agency = session.get_one(Agency, request.agency_id)
    read = read_people(
        session,
        keyring,
        clock,
        actor=actor,
        purpose=ReadPurpose.DISCLOSURE_REVIEW,
        person_ids=list(people.values()),
        context="disclosure production",
        refs=[request_ref(request)],
    )
    sections: list[dict[str, Any]] = []
    channels: dict[str, str] = {}
    for ref, person_id in sorted(people.items()):
        person = read.person(person_id)
        sections.append({"ref": ref, **person_section(session, person_id, person, elements, now)})
        channels[str(person_id)] = (
            _CHANNEL[person.contact_kind] if (person.phone or person.email) else "none"
        )
        accounting.record_disclosure(
            session,
            keyring,
            person_id=person_id,
            lookup=accounting.contact_lookup(keyring, person.contact_kind, person.contact)
            if person.phone or person.email
            else "",
            disclosure=accounting.Disclosure(
                disclosed_at=now,
                nature=tuple(sorted(elements)),
                purpose=request.purpose,
                basis=request.legal_basis,
                recipient_name=agency.name,
                recipient_address=agency.address,
                request=request.public_id,
            ),
        )
    decision = latest_decision(request)
    signed = sign_package(
        signer,
        {
            "request": request.public_id,
            "agency": agency.name,
            "produced_at": now.isoformat(),
            "elements": sorted(elements),
            "policy_hash": decision.policy_hash if decision else "",
        },
        sections,
    )
    sealed = seal(keyring, signed.package.encode(), PRODUCTION_CONTEXT)
    package_sha256 = hashlib.sha256(signed.package.encode()).hexdigest()
    production = Production(
        request_id=request.id,
        package_wrapped=sealed.blob,
        kek_id=sealed.kek_id,
        package_sha256=package_sha256,
        signature=signed.signature,
        key_id=signer.name,
        produced_at=now,
        channels_json=json.dumps(channels),
    )
    session.add(production)
    request.status = str(RequestStatus.PRODUCED)
    request.updated_at = now
    session.flush()
    append(
        session,
        DisclosureEvent.PRODUCTION_MADE,
        actor=actor,
        time=now,
        refs=[request_ref(request)],
        subject_tag_keys=[person_tag_key(session, keyring, pid) for pid in people.values()],
        agency=agency.id,
        elements=sorted(elements),
        individuals=len(people),
        package_sha256=package_sha256,
        signing_key=signer.vkey,
        policy_hash=decision.policy_hash if decision else "",
    )
    return production


def handle_notice(
    session: Session,
    clock: Clock,
    request: DisclosureRequest,
    *,
    actor: str,
    delayed_until: datetime | None = None,
) -> list[Notice]:
    """Decide and queue the notices the disclosure owes, per its basis:

    - (b)(8) health or safety: notice queued to the person, due within 10 working days;
    - (b)(11) court order (compulsory legal process): notice once the process is public
      (552a(e)(8)), so it waits (delayed) until counsel records that it is;
    - (b)(7) law enforcement: no notice, and the accounting stays hidden from the person;
    - anything else: the accounting entry is the record; no separate notice.

    A written delayed-notice order (``delayed_until``) holds every notice and hides the
    accounting from the person until it ends.
    """
    require_status(request, RequestStatus.PRODUCED)
    production = _production(session, request)
    channels: dict[str, str] = json.loads(production.channels_json)
    basis = LegalBasis(request.legal_basis)
    decision = latest_decision(request)
    now = clock.now()
    notices: list[Notice] = []
    for person_id, channel in sorted(channels.items()):
        status, reason, due = _notice_rule(basis, now, decision.notice_due if decision else None)
        if delayed_until is not None and status is not NoticeStatus.NOT_REQUIRED:
            status = NoticeStatus.DELAYED
        notice = Notice(
            request_id=request.id,
            person_id=int(person_id),
            reason=reason,
            channel=channel,
            status=str(status),
            due_by=due,
            delayed_until=delayed_until,
            created_at=now,
        )
        session.add(notice)
        notices.append(notice)
    if delayed_until is not None:
        accounting.delay_for_request(session, request.public_id, delayed_until)
    delayed = sum(n.status == NoticeStatus.DELAYED for n in notices)
    request.status = str(RequestStatus.NOTICE_DELAYED if delayed else RequestStatus.NOTICED)
    request.updated_at = now
    session.flush()
    record_event(
        session,
        clock,
        request,
        DisclosureEvent.NOTICE_HANDLED,
        actor,
        notices=sum(n.status == NoticeStatus.QUEUED for n in notices),
        delayed=delayed,
        not_required=sum(n.status == NoticeStatus.NOT_REQUIRED for n in notices),
        delayed_until=delayed_until.isoformat() if delayed_until else None,
    )
    return notices


def release_notices(
    session: Session, clock: Clock, request: DisclosureRequest, *, actor: str
) -> int:
    """The compulsory process is now public record (or the delayed-notice order was lifted):
    queue the notices held back, so the person is told; returns how many."""
    require_status(request, RequestStatus.NOTICE_DELAYED)
    held = session.scalars(
        select(Notice).where(
            Notice.request_id == request.id, Notice.status == str(NoticeStatus.DELAYED)
        )
    ).all()
    for notice in held:
        notice.status = str(NoticeStatus.QUEUED)
        notice.delayed_until = None
    accounting.delay_for_request(session, request.public_id, None)
    request.status = str(RequestStatus.NOTICED)
    request.updated_at = clock.now()
    record_event(
        session,
        clock,
        request,
        DisclosureEvent.NOTICE_RELEASED,
        actor,
        notices=len(held),
        reason="process public or order ended",
    )
    return len(held)


def _notice_rule(
    basis: LegalBasis, now: datetime, notice_due: Any
) -> tuple[NoticeStatus, str, datetime | None]:
    if basis is LegalBasis.HEALTH_SAFETY_EMERGENCY:
        due = now + timedelta(days=NOTICE_DAYS_IF_UNSTATED)
        if notice_due is not None:
            due = datetime.combine(notice_due, datetime.min.time(), tzinfo=now.tzinfo)
        return NoticeStatus.QUEUED, "health_or_safety_disclosure", due
    if basis is LegalBasis.COURT_ORDER:
        return NoticeStatus.DELAYED, "compulsory_legal_process_once_public", None
    if basis is LegalBasis.LAW_ENFORCEMENT:
        return NoticeStatus.NOT_REQUIRED, "law_enforcement_exempt", None
    return NoticeStatus.NOT_REQUIRED, "accounting_only", None


def fetch_production(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    signer: Signer,
    *,
    agency_id: int,
    key_id: str,
    public_id: str,
) -> dict[str, Any]:
    """The package for the agency that asked, once produced; recorded each time it is fetched.
    Another agency gets the same 404 as an unknown id (the API records refusals)."""
    request = get_agency_request(session, agency_id, public_id)
    produced = {
        RequestStatus.PRODUCED,
        RequestStatus.NOTICED,
        RequestStatus.NOTICE_DELAYED,
        RequestStatus.CLOSED,
    }
    production = _production_or_none(session, request)
    if RequestStatus(request.status) not in produced or production is None:
        raise NotProduced(
            f"there is no production for this request (it is {request.status})", field="id"
        )
    package = unseal(keyring, production.kek_id, production.package_wrapped, PRODUCTION_CONTEXT)
    production.fetch_count += 1
    append(
        session,
        DisclosureEvent.PRODUCTION_FETCHED,
        actor=f"agency-key:{key_id}",
        time=clock.now(),
        refs=[request_ref(request)],
        agency=agency_id,
        package_sha256=production.package_sha256,
    )
    return {
        "id": request.public_id,
        "package": package.decode(),
        "package_sha256": production.package_sha256,
        "signature": production.signature,
        "signed_by": production.key_id,
        "public_key": public_key_b64(signer),
        "signature_algorithm": "ed25519",
    }


def _production_or_none(session: Session, request: DisclosureRequest) -> Production | None:
    return session.scalars(select(Production).where(Production.request_id == request.id)).first()


def _production(session: Session, request: DisclosureRequest) -> Production:
    production = _production_or_none(session, request)
    if production is None:
        raise NotProduced("the request has no production", field="id")
    return production
