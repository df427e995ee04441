"""The log over HTTP, as C2SP tlog-tiles under ``/log/``, plus the log's key and receipts.

Everything here is public and holds no personal data: entries carry only unlinkable tags.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from haven.errors import NotFound
from haven.ledger import service
from haven.web.deps import SessionDep, StateDep

router = APIRouter(prefix="/log", tags=["ledger"])

TEXT = "text/plain; charset=utf-8"
BINARY = "application/octet-stream"
IMMUTABLE = "public, max-age=31536000, immutable"
# The checkpoint moves every few seconds; partial tiles are superseded by full ones.
SHORT = "public, max-age=5"


@router.get("/key")
def log_key(state: StateDep) -> Response:
    """The log's public key (C2SP signed-note vkey) that verifies every checkpoint."""
    return Response(state.integrator.signer.vkey + "\n", media_type=TEXT)


@router.get("/checkpoint")
def checkpoint(session: SessionDep) -> Response:
    """The latest signed checkpoint (C2SP tlog-checkpoint in a signed note), with the log's
    signature line followed by the witnesses' cosignature lines gathered so far."""
    latest = service.latest_checkpoint(session)
    if latest is None:
        raise NotFound("the log has not signed a checkpoint yet; try again shortly")
    return Response(latest.served_note, media_type=TEXT, headers={"Cache-Control": SHORT})


@router.get("/tile/{path:path}")
def tile(path: str, session: SessionDep) -> Response:
    """A hash tile ``<L>/<N>[.p/<W>]`` or an entry bundle ``entries/<N>[.p/<W>]``."""
    address, data = service.tile_resource(session, path)
    cache = IMMUTABLE if address.width is None else SHORT
    return Response(data, media_type=BINARY, headers={"Cache-Control": cache})


@router.get("/proof/{index}")
def proof(index: Annotated[int, Path(ge=0)], session: SessionDep) -> Response:
    """A C2SP tlog-proof receipt for entry ``index`` against the latest checkpoint."""
    return Response(
        service.receipt(session, index), media_type=TEXT, headers={"Cache-Control": SHORT}
    )
