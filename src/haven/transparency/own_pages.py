"""`/my`: a person's own record, reached with their manage link (`/my/<token>`), and the
receipts for their ledger entries. Every page here is private (never cached, no referrer).
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Response

from haven.ledger.api import ledger_integrator
from haven.scheduling import booking
from haven.transparency import own_record
from haven.web.deps import StateDep
from haven.web.page_route import Call, PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}


@router.get("/my/{token}")
def my_record(token: str, call: Call, state: StateDep) -> Response:
    """The person's appointments, visible disclosures and ledger entries with receipts."""
    appointment = booking.appointment_by_manage_token(call.session, token)
    record = own_record.own_record(call.session, call.keyring, call.clock, appointment.person_id)
    context = {
        "token": token,
        "record": record,
        "vkey": ledger_integrator(state).signer.vkey,
    }
    return call.render("transparency/my.html", context, private=True)


@router.get("/my/{token}/receipt/{index}")
def my_receipt(token: str, index: Annotated[int, Path(ge=0)], call: Call) -> Response:
    """One entry's receipt as a JSON file (haven.receipt/v1)."""
    appointment = booking.appointment_by_manage_token(call.session, token)
    receipt = own_record.own_receipt(
        call.session, call.keyring, call.clock, appointment.person_id, index
    )
    return Response(
        json.dumps(receipt, indent=2) + "\n",
        media_type="application/json",
        headers={
            **NO_STORE,
            "Content-Disposition": f'attachment; filename="haven-receipt-{index}.json"',
        },
    )
