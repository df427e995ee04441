"""Checking a person's receipt (`haven.receipt/v1`, made by ``own_record.own_receipt``) with
nothing but the log's public key: the entry carries the stated nonce and tag, and the C2SP
tlog-proof shows that exact entry is in the tree the log signed."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from haven.errors import HavenError, Invalid
from haven.ledger.checkpoint import Checkpoint
from haven.ledger.note import NoteVerifier, split_note
from haven.ledger.proof_bundle import parse_proof, verify_receipt

RECEIPT_FORMAT = "haven.receipt/v1"


class ReceiptInvalid(Invalid):
    code = "receipt_invalid"


def check_receipt(document: bytes, verifier: NoteVerifier) -> Checkpoint:
    """The checkpoint the receipt's entry is proved in; ReceiptInvalid (or the ledger's own
    MalformedNote, UnverifiedNote, InvalidProof) says why not."""
    receipt = _load(document)
    try:
        entry_data = base64.b64decode(receipt["entry"], validate=True)
        entry = json.loads(entry_data)
    except (binascii.Error, ValueError, TypeError):
        raise ReceiptInvalid("the entry is not base64 of a JSON object", field="entry") from None
    if not isinstance(entry, dict) or entry.get("nonce") != receipt["nonce"]:
        raise ReceiptInvalid("the entry does not carry the receipt's nonce", field="nonce")
    if receipt["tag"] not in (entry.get("subject_tags") or ()):
        raise ReceiptInvalid("the entry does not carry the receipt's tag", field="tag")
    if base64.b64encode(entry_data).decode() != receipt["entry"]:
        raise ReceiptInvalid("the entry is not in canonical base64", field="entry")
    proof = parse_proof(receipt["proof"])
    if proof.text() != receipt["proof"] or not _canonical_note(proof.checkpoint_note):
        raise ReceiptInvalid("the proof is not in its canonical form", field="proof")
    if proof.index != receipt["index"]:
        raise ReceiptInvalid("the proof is for another entry than the receipt", field="index")
    return verify_receipt(proof, entry_data, verifier)


def _canonical_note(note: str) -> bool:
    """Base64 can spell the same bytes several ways; a receipt must use the one spelling, so
    that changing any byte of it is noticed."""
    text, signatures = split_note(note)
    return text + "\n" + "".join(s.line() for s in signatures) == note


def _load(document: bytes) -> dict[str, Any]:
    try:
        receipt = json.loads(document)
    except (UnicodeDecodeError, ValueError):
        raise ReceiptInvalid("the receipt is not JSON") from None
    if not isinstance(receipt, dict) or receipt.get("format") != RECEIPT_FORMAT:
        raise ReceiptInvalid(f"the receipt is not a {RECEIPT_FORMAT} document", field="format")
    for name, kind in (
        ("index", int),
        ("entry", str),
        ("nonce", str),
        ("tag", str),
        ("proof", str),
    ):
        if not isinstance(receipt.get(name), kind) or isinstance(receipt.get(name), bool):
            raise ReceiptInvalid(f"the receipt's {name} is missing or malformed", field=name)
    return receipt


def why(error: HavenError) -> str:
    """One line for a failed check."""
    return f"{error.field + ': ' if error.field else ''}{error.message}"
