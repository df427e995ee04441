"""The add-checkpoint request body: `old <N>`, proof lines, an empty line, a checkpoint."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

from haven.errors import HavenError
from haven.ledger.checkpoint import parse_decimal
from haven.ledger.hashing import HASH_SIZE
from haven.ledger.note import MalformedNote, decode_base64

MAX_PROOF_LINES = 63
MAX_BODY_BYTES = 64 * 1024
SIZE_CONTENT_TYPE = "text/x.tlog.size"


class BadWitnessRequest(HavenError):
    """The add-checkpoint body is malformed or self-contradictory (400)."""

    status_code = 400
    code = "bad_request"


@dataclass(frozen=True)
class AddCheckpointRequest:
    old_size: int
    consistency_proof: tuple[bytes, ...]
    checkpoint_note: str

    def body(self) -> bytes:
        """The request body as the client sends it."""
        lines = [f"old {self.old_size}"]
        lines.extend(base64.b64encode(h).decode() for h in self.consistency_proof)
        return ("".join(line + "\n" for line in lines) + "\n" + self.checkpoint_note).encode()


def build_request(
    old_size: int, consistency_proof: Sequence[bytes], checkpoint_note: str
) -> AddCheckpointRequest:
    """An add-checkpoint request (the proof must be empty when ``old_size`` is 0)."""
    return AddCheckpointRequest(old_size, tuple(consistency_proof), checkpoint_note)


def parse_request(body: bytes) -> AddCheckpointRequest:
    """Parse an add-checkpoint body; anything malformed is a :class:`BadWitnessRequest`."""
    if len(body) > MAX_BODY_BYTES:
        raise BadWitnessRequest("request body is too large")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadWitnessRequest("request body is not UTF-8") from None
    head, separator, checkpoint_note = text.partition("\n\n")
    if not separator or not checkpoint_note:
        raise BadWitnessRequest("request needs an empty line before the checkpoint")
    old_line, *proof_lines = head.split("\n")
    if not old_line.startswith("old "):
        raise BadWitnessRequest("request must start with an 'old <size>' line", field="old")
    if len(proof_lines) > MAX_PROOF_LINES:
        raise BadWitnessRequest("more than 63 consistency proof lines", field="proof")
    try:
        old_size = parse_decimal(old_line[len("old ") :], "old")
        proof = tuple(decode_base64(line, "proof") for line in proof_lines)
    except MalformedNote as exc:
        raise BadWitnessRequest(exc.message, field=exc.field) from None
    if any(len(h) != HASH_SIZE for h in proof):
        raise BadWitnessRequest("consistency proof lines must be SHA-256 hashes", field="proof")
    return AddCheckpointRequest(old_size, proof, checkpoint_note)


def format_size(size: int) -> str:
    """The 409 body: the witness's latest cosigned size and a newline."""
    return f"{size}\n"


def parse_size(body: str) -> int:
    """Read a 409 body; a malformed one is a :class:`BadWitnessRequest`."""
    if not body.endswith("\n"):
        raise BadWitnessRequest("size body must end with a newline")
    try:
        return parse_decimal(body[:-1], "size")
    except MalformedNote as exc:
        raise BadWitnessRequest(exc.message, field="size") from None
