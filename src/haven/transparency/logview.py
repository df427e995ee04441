"""What `/transparency/log` shows: the latest checkpoint with its signatures and witness
cosignatures, the log's key, and a page of entries by kind and time (entries hold no personal
data: a person appears in them only as an unlinkable tag, which this page counts, never shows).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from haven.ledger import service as ledger
from haven.ledger.checkpoint import Checkpoint
from haven.ledger.note import split_note

PAGE_SIZE = 50
# A C2SP tlog-cosignature/v1 signature starts with its 8-byte big-endian Unix timestamp.
TIMESTAMP_BYTES = 8


def log_page_context(
    session: Session, vkey: str, base_url: str, start: int | None
) -> dict[str, Any]:
    """The checkpoint, signatures, verification commands and one page of entries."""
    latest = ledger.latest_checkpoint(session)
    context: dict[str, Any] = {
        "vkey": vkey,
        "log_url": base_url.rstrip("/") + "/log/",
        "checkpoint": None,
        "signatures": [],
        "entries": [],
        "kinds": [],
        "previous_from": None,
        "next_from": None,
    }
    if latest is None:
        return context
    # The ledger is gaining a note with witnesses' cosignatures gathered after signing
    # (``served_note``); show that one where it exists, the log's own note otherwise.
    note = str(getattr(latest, "served_note", latest.note))
    body, signatures = split_note(note)
    checkpoint = Checkpoint.parse(body)
    context["checkpoint"] = {
        "note": note,
        "origin": checkpoint.origin,
        "size": checkpoint.size,
        "root": body.splitlines()[2],
        "signed_at": latest.signed_at,
    }
    context["signatures"] = [
        {
            "name": signature.name,
            "key_id": f"{signature.key_id:08x}",
            "role": "log" if signature.name == checkpoint.origin else "witness",
            "cosigned_at": _cosigned_at(signature.signature)
            if signature.name != checkpoint.origin
            else None,
        }
        for signature in signatures
    ]
    size = checkpoint.size
    first = max(0, size - PAGE_SIZE) if start is None else min(start, max(0, size - 1))
    rows = ledger.entries_from(session, first, min(PAGE_SIZE, max(0, size - first)))
    entries = [_summary(index, data) for index, data in rows]
    context["entries"] = entries
    context["kinds"] = sorted(Counter(e["kind"] for e in entries).items())
    context["first"] = first
    context["previous_from"] = max(0, first - PAGE_SIZE) if first > 0 else None
    context["next_from"] = first + PAGE_SIZE if first + PAGE_SIZE < size else None
    return context


def _summary(index: int, data: bytes) -> dict[str, Any]:
    entry = json.loads(data)
    return {
        "index": index,
        "kind": str(entry.get("kind")),
        "time": str(entry.get("time")),
        "actor_kind": str(entry.get("actor", "")).split(":", 1)[0],
        "purpose": entry.get("purpose"),
        "people": len(entry.get("subject_tags") or ()),
    }


def _cosigned_at(signature: bytes) -> datetime | None:
    if len(signature) <= TIMESTAMP_BYTES:
        return None
    seconds = int.from_bytes(signature[:TIMESTAMP_BYTES], "big")
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None
