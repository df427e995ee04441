"""`/my`: a person's own record, reached with their manage link (`/my/<token>`) or with their
confirmation code plus a one-time code (`/my`, see one_time.py), and the receipts for their
ledger entries. Every page here is private (never cached, no referrer).
"""

from __future__ import annotations

import json
import pathlib
from typing import Annotated

from fastapi import APIRouter, Path, Response

from haven.config import Settings
from haven.notify.senders import email_sender_from_settings, sms_sender_from_settings
from haven.runtime import Runtime
from haven.scheduling import booking
from haven.transparency import own_record
from haven.transparency.labels import STATUS_LABELS
from haven.transparency.one_time import (
    GRANT_PREFIX,
    CodeSender,
    FileCodeOutbox,
    MessageCodeSender,
    NoSender,
)
from haven.web.deps import StateDep
from haven.web.page_route import Call, PageCall, PageRoute, form_text, see_other

router = APIRouter(include_in_schema=False, route_class=PageRoute)
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}


def code_sender(settings: Settings) -> CodeSender:
    """Email or SMS as configured; in dev mode without either, files under home."""
    email, sms = email_sender_from_settings(settings), sms_sender_from_settings(settings)
    if email is not None or sms is not None:
        return MessageCodeSender(email=email, sms=sms)
    if settings.dev_mode:
        return FileCodeOutbox(outbox_dir(settings))
    raise NoSender("codes cannot be sent yet here; please use the link in your confirmation")


def outbox_dir(settings: Settings) -> pathlib.Path:
    return settings.ensure_home() / "outbox" / "one-time-codes"


def _person(call: PageCall, state: Runtime, token: str) -> int:
    """The person behind a manage token or a one-time grant; AppointmentNotFound otherwise."""
    if token.startswith(GRANT_PREFIX):
        person_id = state.code_desk.person_of_grant(token, call.clock.now())
        if person_id is None:
            raise booking.AppointmentNotFound()
        return person_id
    return booking.appointment_by_manage_token(call.session, token).person_id


@router.get("/my")
def my_start(call: Call) -> Response:
    """Ask for the confirmation code (the manage link leads straight to the record)."""
    return call.render("transparency/my_start.html", {"asked": False, "error": None}, private=True)


@router.post("/my/code")
async def my_send_code(call: Call, state: StateDep) -> Response:
    """Send a one-time code to the contact on file; the same answer whether or not it exists."""
    form = await call.checked_form()
    typed = form_text(form, "confirmation_code")[:40]
    address = call.request.client.host if call.request.client else "unknown"
    sender = code_sender(state.settings)
    desk = state.code_desk
    found = own_record.send_one_time_code(
        call.session, call.keyring, call.clock, desk, sender, typed, address, call.locale
    )
    context = {"asked": True, "error": None, "confirmation_code": found}
    return call.render("transparency/my_start.html", context, private=True)


@router.post("/my/open")
async def my_open(call: Call, state: StateDep) -> Response:
    """Trade the confirmation code and the one-time code for a private link to the record."""
    form = await call.checked_form()
    confirmation = own_record.code_key(form_text(form, "confirmation_code")[:40])
    grant = state.code_desk.redeem(
        confirmation, form_text(form, "one_time_code")[:12], call.clock.now()
    )
    if grant is None:
        context = {
            "asked": True,
            "error": "That code is not right, or it has expired. Ask for a new one.",
            "confirmation_code": confirmation,
        }
        return call.render("transparency/my_start.html", context, status_code=422, private=True)
    return see_other(f"/my/{grant}")


@router.get("/my/{token}")
def my_record(token: str, call: Call, state: StateDep) -> Response:
    """The person's appointments, visible disclosures and ledger entries with receipts."""
    person_id = _person(call, state, token)
    record = own_record.own_record(call.session, call.keyring, call.clock, person_id)
    context = {
        "token": token,
        "record": record,
        "status_labels": STATUS_LABELS,
        "vkey": state.integrator.signer.vkey,
    }
    return call.render("transparency/my.html", context, private=True)


@router.get("/my/{token}/receipt/{index}")
def my_receipt(
    token: str, index: Annotated[int, Path(ge=0)], call: Call, state: StateDep
) -> Response:
    """One entry's receipt as a JSON file (haven.receipt/v1)."""
    person_id = _person(call, state, token)
    receipt = own_record.own_receipt(call.session, call.keyring, call.clock, person_id, index)
    return Response(
        json.dumps(receipt, indent=2) + "\n",
        media_type="application/json",
        headers={
            **NO_STORE,
            "Content-Disposition": f'attachment; filename="haven-receipt-{index}.json"',
        },
    )
