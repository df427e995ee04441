"""The privacy office's pages under /staff/disclosure/: the review queue with deadlines and
the overdue queue, paper intake with the scanned document (its SHA-256 kept), a request's page
with the decision's explanations, and the sign (approve / narrow / deny), produce, notice and
close forms. Thin: each form calls one action of service, review or delivery.

The pages show no personal data: a named individual appears as "matched exactly one record"
or not. Reviewers who need the record open it through the production's purpose-bound read.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.datastructures import FormData, UploadFile

from haven.access.deps import require_role
from haven.access.models import Role
from haven.access.pages import StaffPageRoute, checked_form, see_other, staff_page
from haven.access.principal import StaffPrincipal
from haven.disclosure import delivery, review, service
from haven.disclosure.errors import RequestInvalid
from haven.disclosure.intake import take_in
from haven.disclosure.models import (
    Agency,
    Channel,
    DataElement,
    DocumentKind,
    LegalBasis,
    OfficialLevel,
    PurposeCategory,
    RequestStatus,
)
from haven.disclosure.schemas import MAX_DOCUMENT_BYTES, parse_request_object
from haven.web.deps import ClockDep, KeyringDep, SessionDep, StateDep

router = APIRouter(include_in_schema=False, route_class=StaffPageRoute)
PREFIX = "/staff/disclosure"

ReviewerDep = Annotated[StaffPrincipal, Depends(require_role(Role.PRIVACY_OFFICER, Role.COUNSEL))]
IntakeDep = Annotated[StaffPrincipal, Depends(require_role(Role.PRIVACY_OFFICER))]
_TEXT_FIELDS = (
    "official_name",
    "official_title",
    "official_level",
    "legal_basis",
    "basis_citation",
    "purpose",
    "records_named",
    "activity",
    "imminent_harm",
)
_DOCUMENT_FIELDS = ("signed_by", "signer_title", "issued_by")


@router.get(f"{PREFIX}/")
def queue_page(
    request: Request, staff: ReviewerDep, session: SessionDep, clock: ClockDep, keyring: KeyringDep
) -> Response:
    """Open requests by deadline, and those past it."""
    context = {
        "open": service.queue(session),
        "overdue": service.overdue(session, clock.now()),
        "now": clock.now(),
    }
    return staff_page(request, keyring, "staff/disclosure_queue.html", context, principal=staff)


@router.get(f"{PREFIX}/intake")
def intake_page(
    request: Request, staff: IntakeDep, session: SessionDep, keyring: KeyringDep
) -> Response:
    """The form for a request that came on paper."""
    return _intake_form(request, staff, session, keyring, {}, None)


@router.post(f"{PREFIX}/intake")
async def intake_submit(
    request: Request, staff: IntakeDep, session: SessionDep, state: StateDep
) -> Response:
    form = await checked_form(request, state.keyring)
    scan = await _scan(form)
    try:
        if scan is None:
            raise RequestInvalid("attach the scanned letter, warrant or order", field="document")
        body = parse_request_object(_request_object(form, scan))
    except RequestInvalid as exc:
        return _intake_form(request, staff, session, state.keyring, form, exc, status_code=422)
    intake = service.Intake(
        agency_id=_int(form, "agency_id"),
        channel=Channel.PAPER,
        actor=staff.actor,
        intake_account_id=staff.account_id,
    )
    if session.get(Agency, intake.agency_id) is None:
        error = RequestInvalid("choose the agency the letter came from", field="agency_id")
        return _intake_form(request, staff, session, state.keyring, form, error, status_code=422)
    taken = take_in(session, state.keyring, state.clock, intake, body, scan)
    return see_other(f"{PREFIX}/requests/{taken.public_id}")


@router.get(f"{PREFIX}/requests/{{public_id}}")
def request_page(
    request: Request, public_id: str, staff: ReviewerDep, session: SessionDep, keyring: KeyringDep
) -> Response:
    """One request: what it asks, the policy's explanations, the signatures, what is next."""
    found = service.get_request(session, public_id)
    decision = service.latest_decision(found)
    context = {
        "item": found,
        "agency": session.get(Agency, found.agency_id),
        "decision": decision,
        "reasons": json.loads(decision.reasons_json) if decision else [],
        "allowed_elements": json.loads(decision.allowed_elements_json) if decision else [],
        "individuals": [
            (service.individual_ref(p), p.matched_person_id is not None, p.candidates)
            for p in found.individuals
        ],
        "reviews": found.reviews,
        "may_sign": found.status == RequestStatus.IN_REVIEW,
        "may_produce": found.status in (RequestStatus.APPROVED, RequestStatus.NARROWED),
        "may_notice": found.status == RequestStatus.PRODUCED,
        "may_release": found.status == RequestStatus.NOTICE_DELAYED,
        "may_close": RequestStatus(found.status) in service.CLOSABLE,
    }
    return staff_page(request, keyring, "staff/disclosure_request.html", context, principal=staff)


@router.post(f"{PREFIX}/requests/{{public_id}}/review")
async def review_submit(
    request: Request, public_id: str, staff: ReviewerDep, session: SessionDep, state: StateDep
) -> Response:
    """Sign a verdict: approve, narrow (chosen elements and people) or deny, with a TOTP code."""
    form = await checked_form(request, state.keyring)
    found = service.get_request(session, public_id, for_update=True)
    signature = review.Signature(staff, _text(form, "totp_code"))
    note = _text(form, "note")
    verdict = _text(form, "verdict")
    args = (session, state.keyring, state.clock, found, signature)
    if verdict == "approve":
        review.approve(*args, note=note)
    elif verdict == "narrow":
        review.narrow(
            *args,
            elements=_all(form, "elements"),
            individuals=_all(form, "individuals"),
            note=note,
        )
    elif verdict == "deny":
        review.deny(*args, note=note)
    else:
        raise RequestInvalid("choose approve, narrow or deny", field="verdict")
    return see_other(f"{PREFIX}/requests/{public_id}")


@router.post(f"{PREFIX}/requests/{{public_id}}/produce")
async def produce_submit(
    request: Request, public_id: str, staff: ReviewerDep, session: SessionDep, state: StateDep
) -> Response:
    await checked_form(request, state.keyring)
    found = service.get_request(session, public_id, for_update=True)
    delivery.produce(
        session, state.keyring, state.clock, state.office_signer, found, actor=staff.actor
    )
    return see_other(f"{PREFIX}/requests/{public_id}")


@router.post(f"{PREFIX}/requests/{{public_id}}/notice")
async def notice_submit(
    request: Request, public_id: str, staff: ReviewerDep, session: SessionDep, state: StateDep
) -> Response:
    """Queue the notices the basis needs; a written delayed-notice order gives an end date."""
    form = await checked_form(request, state.keyring)
    found = service.get_request(session, public_id, for_update=True)
    delayed = _text(form, "delayed_until")
    until = None
    if delayed:
        try:
            until = datetime.combine(datetime.fromisoformat(delayed).date(), time(), tzinfo=UTC)
        except ValueError:
            raise RequestInvalid("give the order's end date", field="delayed_until") from None
    delivery.handle_notice(session, state.clock, found, actor=staff.actor, delayed_until=until)
    return see_other(f"{PREFIX}/requests/{public_id}")


@router.post(f"{PREFIX}/requests/{{public_id}}/release-notices")
async def release_submit(
    request: Request, public_id: str, staff: ReviewerDep, session: SessionDep, state: StateDep
) -> Response:
    """The process became public (or the order ended): tell the person now."""
    await checked_form(request, state.keyring)
    found = service.get_request(session, public_id, for_update=True)
    delivery.release_notices(session, state.clock, found, actor=staff.actor)
    return see_other(f"{PREFIX}/requests/{public_id}")


@router.post(f"{PREFIX}/requests/{{public_id}}/close")
async def close_submit(
    request: Request, public_id: str, staff: ReviewerDep, session: SessionDep, state: StateDep
) -> Response:
    await checked_form(request, state.keyring)
    found = service.get_request(session, public_id, for_update=True)
    service.close(session, state.clock, found, actor=staff.actor)
    return see_other(f"{PREFIX}/requests/{public_id}")


def _intake_form(
    request: Request,
    staff: StaffPrincipal,
    session: Any,
    keyring: Any,
    form: Any,
    error: RequestInvalid | None,
    *,
    status_code: int = 200,
) -> Response:
    context = {
        "agencies": session.query(Agency).order_by(Agency.name).all(),
        "levels": list(OfficialLevel),
        "bases": list(LegalBasis),
        "purposes": list(PurposeCategory),
        "elements": list(DataElement),
        "document_kinds": [kind for kind in DocumentKind if kind != DocumentKind.NONE],
        "values": _form_values(form),
        "error": error,
    }
    return staff_page(
        request,
        keyring,
        "staff/disclosure_intake.html",
        context,
        principal=staff,
        status_code=status_code,
    )


def _form_values(form: Any) -> dict[str, str]:
    """What the clerk typed, to show again next to an error (empty fields as "")."""
    names = (*_TEXT_FIELDS, *_DOCUMENT_FIELDS, "agency_id", "office_id")
    return {name: _text(form, name) if form else "" for name in names}


async def _scan(form: FormData) -> bytes | None:
    upload = form.get("document")
    if not isinstance(upload, UploadFile):
        return None
    try:
        content = await upload.read(MAX_DOCUMENT_BYTES + 1)
    finally:
        await upload.close()
    if len(content) > MAX_DOCUMENT_BYTES:
        raise RequestInvalid(
            f"the scan is larger than {MAX_DOCUMENT_BYTES} bytes", field="document"
        )
    return content or None


def _request_object(form: FormData, scan: bytes | None) -> dict[str, Any]:
    data: dict[str, Any] = {name: _text(form, name) for name in _TEXT_FIELDS}
    data["crime_serious_or_violent"] = form.get("crime_serious_or_violent") == "yes"
    data["subject_indicted_or_convicted"] = form.get("subject_indicted_or_convicted") == "yes"
    data["office_id"] = _int(form, "office_id") or None
    data["data_elements"] = _all(form, "data_elements")
    name = _text(form, "individual_name")
    data["individuals"] = (
        [
            {
                "name": name,
                "phone": _text(form, "individual_phone") or None,
                "email": _text(form, "individual_email") or None,
            }
        ]
        if name
        else []
    )
    if scan is not None:
        document: dict[str, Any] = {name: _text(form, name) for name in _DOCUMENT_FIELDS}
        document["kind"] = _text(form, "document_kind")
        document["content_base64"] = base64.b64encode(scan).decode()
        data["document"] = document
    return data


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _all(form: FormData, name: str) -> list[str]:
    return [value for value in form.getlist(name) if isinstance(value, str)]


def _int(form: FormData, name: str) -> int:
    text = _text(form, name)
    return int(text) if text.isdigit() else 0
