"""The witness's HTTP surface: ``POST /add-checkpoint`` (C2SP tlog-witness) and ``GET /vkey``."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from haven.errors import HavenError
from haven.ledger.witness.protocol import (
    MAX_BODY_BYTES,
    SIZE_CONTENT_TYPE,
    BadWitnessRequest,
    format_size,
)
from haven.ledger.witness.service import OldSizeMismatch, Witness


def _error(exc: HavenError) -> Response:
    if isinstance(exc, OldSizeMismatch):
        # Exactly this type, without the charset Starlette appends to text media types.
        size_body = format_size(exc.latest_size).encode("ascii")
        return Response(size_body, 409, headers={"content-type": SIZE_CONTENT_TYPE})
    error = {"error": exc.code, "message": exc.message, "field": exc.field}
    return JSONResponse(error, status_code=exc.status_code)


def create_witness_app(witness: Witness) -> Starlette:
    """A Starlette app serving one witness."""

    async def add_checkpoint(request: Request) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return _error(BadWitnessRequest("request body is too large"))
        try:
            lines = await run_in_threadpool(witness.add_checkpoint, body)
        except HavenError as exc:
            return _error(exc)
        return PlainTextResponse(lines)

    async def vkey(request: Request) -> Response:
        return PlainTextResponse(witness.cosigner.vkey + "\n")

    return Starlette(
        routes=[
            Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
            Route("/vkey", vkey, methods=["GET"]),
        ]
    )
