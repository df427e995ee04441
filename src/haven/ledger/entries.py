"""Ledger entries: declared kinds, canonical JSON bytes, and subject tags.

An entry is one JSON object, canonical (sorted keys, no insignificant whitespace, UTF-8, at most
65,535 bytes so it fits a tlog-tiles entry bundle), with the common fields ``kind``, ``time``,
``actor``, ``purpose``, ``refs``, ``subject_tags`` and ``nonce`` plus the extra fields its kind
declares. Kinds are declared by the domains that record them, at import time; the ledger itself
imports no other domain::

    class SchedulingEvent(StrEnum):
        APPOINTMENT_BOOKED = "scheduling:appointment:booked"

    declare_kind(SchedulingEvent.APPOINTMENT_BOOKED, fields={"office", "service"})

An entry of an undeclared kind, or with a field its kind did not declare, is refused: a field
nobody declared is how personal data would slip in. Values are strings, integers, booleans, null,
and lists or objects of those (no floats: their JSON spelling is not canonical).

A person appears only as a subject tag, ``HMAC-SHA256(person tag key, entry nonce)``, with one
fresh nonce per entry, so the person can recognise their entries and nobody can link them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from haven.errors import Invalid

MAX_ENTRY_BYTES = 65_535
NONCE_BYTES = 16
COMMON_FIELDS = frozenset({"kind", "time", "actor", "purpose", "refs", "subject_tags", "nonce"})
KIND_SHAPE = re.compile(r"[a-z][a-z0-9_-]*:[a-z][a-z0-9_-]*:[a-z][a-z0-9_-]*")
FIELD_SHAPE = re.compile(r"[a-z][a-z0-9_]*")
# Integers beyond 2**53 lose precision in many JSON readers; an auditor must read what we wrote.
MAX_SAFE_INTEGER = 2**53 - 1

_declared: dict[str, frozenset[str]] = {}
_declared_lock = threading.Lock()


class EntryRefused(Invalid):
    """The entry cannot go into the log as given (undeclared kind or field, bad value, too big)."""

    code = "ledger_entry_refused"


def declare_kind(kind: StrEnum, *, fields: Iterable[str] = ()) -> None:
    """Allow entries of ``kind`` carrying exactly these extra fields (besides the common ones).

    Declaring the same kind again with the same fields is harmless; with different ones it is a
    programming error and raises ValueError.
    """
    name = str(kind)
    if not KIND_SHAPE.fullmatch(name):
        raise ValueError(f"ledger kind {name!r} is not shaped domain:subject:action")
    allowed = frozenset(fields)
    for field in allowed:
        if not FIELD_SHAPE.fullmatch(field):
            raise ValueError(f"ledger field {field!r} of {name} is not a lower_snake_case name")
        if field in COMMON_FIELDS:
            raise ValueError(f"ledger field {field!r} of {name} is a common field already")
    with _declared_lock:
        previous = _declared.setdefault(name, allowed)
    if previous != allowed:
        raise ValueError(f"ledger kind {name} is already declared with other fields")


def declared_fields(kind: str) -> frozenset[str]:
    """The extra fields ``kind`` may carry; refuses a kind nobody declared."""
    try:
        return _declared[kind]
    except KeyError:
        raise EntryRefused(f"ledger kind '{kind}' is not declared", field="kind") from None


def subject_tag(tag_key: bytes, nonce: bytes) -> str:
    """The tag a person's entry carries: hex HMAC-SHA256(their tag key, the entry's nonce)."""
    return hmac.new(tag_key, nonce, hashlib.sha256).hexdigest()


def format_time(instant: datetime) -> str:
    """An aware instant as RFC 3339 UTC with milliseconds, one spelling per instant."""
    if instant.tzinfo is None:
        raise EntryRefused("entry time must be an aware UTC datetime", field="time")
    text = instant.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def canonical_json(value: Mapping[str, Any]) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8; refuses what JSON cannot say exactly."""
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError) as exc:
        raise EntryRefused(f"entry is not representable as canonical JSON: {exc}") from None


def build_entry(
    kind: StrEnum,
    *,
    actor: str,
    time: datetime,
    purpose: str | None = None,
    refs: Sequence[str] = (),
    subject_tag_keys: Sequence[bytes] = (),
    fields: Mapping[str, Any] | None = None,
    nonce: bytes | None = None,
) -> bytes:
    """The canonical bytes of one entry, checked against its kind's declaration."""
    name = str(kind)
    extra = dict(fields or {})
    undeclared = sorted(set(extra) - declared_fields(name))
    if undeclared:
        raise EntryRefused(
            f"field '{undeclared[0]}' is not declared for ledger kind '{name}'",
            field=undeclared[0],
        )
    for field, value in extra.items():
        _check_value(value, field)
    if not isinstance(actor, str) or not actor:
        raise EntryRefused("actor must be a non-empty string", field="actor")
    if purpose is not None and not isinstance(purpose, str):
        raise EntryRefused("purpose must be a string or absent", field="purpose")
    if isinstance(refs, str) or not all(isinstance(ref, str) for ref in refs):
        raise EntryRefused("refs must be a list of strings", field="refs")
    nonce = secrets.token_bytes(NONCE_BYTES) if nonce is None else nonce
    entry: dict[str, Any] = {
        **extra,
        "kind": name,
        "time": format_time(time),
        "actor": actor,
        "purpose": purpose,
        "refs": list(refs),
        # Sorted so the order of the keys given says nothing about who is who.
        "subject_tags": sorted(subject_tag(key, nonce) for key in subject_tag_keys),
        "nonce": nonce.hex(),
    }
    data = canonical_json(entry)
    if len(data) > MAX_ENTRY_BYTES:
        raise EntryRefused(f"entry is {len(data)} bytes; the limit is {MAX_ENTRY_BYTES}")
    return data


def parse_entry(data: bytes) -> dict[str, Any]:
    """An entry's JSON object (for auditors' tools); no checks beyond being a JSON object."""
    value = json.loads(data.decode("utf-8"))
    if not isinstance(value, dict):
        raise EntryRefused("a ledger entry is a JSON object")
    return value


def _check_value(value: Any, field: str) -> None:
    if value is None or isinstance(value, str | bool):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise EntryRefused(f"'{field}' is outside the exact JSON integer range", field=field)
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check_value(item, field)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise EntryRefused(f"'{field}' has a non-string key", field=field)
            _check_value(item, field)
        return
    raise EntryRefused(
        f"'{field}' is a {type(value).__name__}; entries hold strings, integers, booleans, "
        "null, lists and objects",
        field=field,
    )
