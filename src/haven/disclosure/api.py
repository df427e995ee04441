"""The agencies' API: submit a signed request, ask its status, fetch its production.

Every call is signed (RFC 9421, see signatures.py), GETs included. The body is read with a hard
size limit before anything else. Verification runs in its own transaction (it remembers the
signature, so a replay fails even if the action after it fails); any refusal is then recorded
in the ledger in a transaction of its own, because the refused call's own work is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from haven.db import unit_of_work
from haven.disclosure import delivery, service
from haven.disclosure.errors import BodyTooLarge
from haven.disclosure.intake import take_in
from haven.disclosure.models import Channel
from haven.disclosure.schemas import MAX_BODY_BYTES, parse_request
from haven.disclosure.signatures import (
    SignedMessage,
    VerifiedSignature,
    key_id_of,
    verify_message,
)
from haven.errors import HavenError
from haven.runtime import Runtime
from haven.web.deps import StateDep

router = APIRouter(prefix="/api/v1/disclosure-requests", tags=["disclosure"])

T = TypeVar("T")


@router.post("", status_code=201)
async def submit_request(request: Request, state: StateDep) -> JSONResponse:
    """Submit a signed disclosure request; answers with its id, status and decision."""
    message = await _read_message(request, state)
    view = await run_in_threadpool(_submit, state, message)
    return JSONResponse(
        view, status_code=201, headers={"Location": f"{router.prefix}/{view['id']}"}
    )


@router.get("/{public_id}")
async def request_status(public_id: str, request: Request, state: StateDep) -> dict[str, Any]:
    """The request's status and decision, for the agency that made it."""
    message = await _read_message(request, state)
    return await run_in_threadpool(_status, state, message, public_id)


@router.get("/{public_id}/production")
async def fetch_production(public_id: str, request: Request, state: StateDep) -> dict[str, Any]:
    """The signed production, only once produced and only for the agency that asked."""
    message = await _read_message(request, state)
    return await run_in_threadpool(_production, state, message, public_id)


def _submit(state: Runtime, message: SignedMessage) -> dict[str, Any]:
    verified = _verified(state, message)
    body = _refusing(state, message, "content", lambda: parse_request(message.body))
    document = _refusing(
        state, message, "content", lambda: body.document.content() if body.document else None
    )
    intake = service.Intake(
        agency_id=verified.agency_id,
        channel=Channel.API,
        actor=f"agency-key:{verified.key_id}",
        key_id=verified.key_id,
    )
    with unit_of_work(state.sessions) as session:
        taken = take_in(session, state.keyring, state.clock, intake, body, document)
        return service.status_view(taken)


def _status(state: Runtime, message: SignedMessage, public_id: str) -> dict[str, Any]:
    verified = _verified(state, message)
    with unit_of_work(state.sessions) as session:
        return service.status_view(
            service.get_agency_request(session, verified.agency_id, public_id)
        )


def _production(state: Runtime, message: SignedMessage, public_id: str) -> dict[str, Any]:
    verified = _verified(state, message)

    def fetch() -> dict[str, Any]:
        with unit_of_work(state.sessions) as session:
            return delivery.fetch_production(
                session,
                state.keyring,
                state.clock,
                state.office_signer,
                agency_id=verified.agency_id,
                key_id=verified.key_id,
                public_id=public_id,
            )

    return _refusing(state, message, "production", fetch)


def _verified(state: Runtime, message: SignedMessage) -> VerifiedSignature:
    def verify() -> VerifiedSignature:
        with unit_of_work(state.sessions) as session:
            return verify_message(session, message, state.clock.now())

    return _refusing(state, message, "signature", verify)


def _refusing(state: Runtime, message: SignedMessage, stage: str, step: Callable[[], T]) -> T:
    """Run ``step``; if it refuses the call, record the refusal and refuse it."""
    try:
        return step()
    except HavenError as exc:
        _record(state, message, stage, exc)
        raise


def _record(state: Runtime, message: SignedMessage, stage: str, exc: HavenError) -> None:
    refusal = service.Refusal(
        stage=stage,
        error=exc.code,
        field=exc.field,
        message=exc.message,
        key_id=key_id_of(message.headers),
        method=message.method,
        path=message.path,
        body=message.body,
    )
    with unit_of_work(state.sessions) as session:
        service.record_refusal(session, state.clock, refusal)


async def _read_message(request: Request, state: Runtime) -> SignedMessage:
    """The method, path, headers and body, the body cut off (and refused) past the limit."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    chunks: list[bytes] = []
    size = 0
    too_large = False
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        too_large = True
    else:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                too_large = True
                break
            chunks.append(chunk)
    message = SignedMessage(
        method=request.method, path=request.url.path, headers=headers, body=b"".join(chunks)
    )
    if too_large:
        error = BodyTooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes", field="request")
        await run_in_threadpool(_record, state, message, "size", error)
        raise error
    return message
