"""C2SP tlog-proof (``c2sp.org/tlog-proof@v1``): an offline-verifiable receipt for one entry.

    c2sp.org/tlog-proof@v1
    [extra <base64>]
    index <N>
    <base64 inclusion proof hash, leaf's sibling first>
    ...
    <empty line>
    <signed checkpoint, verbatim, with any cosignatures>

:func:`verify_receipt` checks the log's signature, an optional witness quorum, and the inclusion of
the entry in the checkpointed tree.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

from haven.ledger.checkpoint import Checkpoint, open_checkpoint, parse_decimal
from haven.ledger.hashing import HASH_SIZE, leaf_hash
from haven.ledger.merkle import GetNode, inclusion_proof, verify_inclusion
from haven.ledger.note import (
    MalformedNote,
    NoteVerifier,
    UnverifiedNote,
    decode_base64,
    open_note,
    split_note,
)

HEADER = "c2sp.org/tlog-proof@v1"
MAX_PROOF_HASHES = 63
CONTENT_TYPE = "text/plain; charset=utf-8"


class MalformedProof(MalformedNote):
    """The text is not a well-formed tlog-proof."""

    code = "malformed_proof"


@dataclass(frozen=True)
class TlogProof:
    """A parsed receipt: entry index, inclusion proof, the signed checkpoint, optional extra."""

    index: int
    inclusion_proof: tuple[bytes, ...]
    checkpoint_note: str
    extra: bytes | None = None

    def text(self) -> str:
        """The receipt in its textual form."""
        lines = [HEADER]
        if self.extra is not None:
            lines.append(f"extra {base64.b64encode(self.extra).decode()}")
        lines.append(f"index {self.index}")
        lines.extend(base64.b64encode(h).decode() for h in self.inclusion_proof)
        return "".join(line + "\n" for line in lines) + "\n" + self.checkpoint_note


def build_receipt(
    index: int, checkpoint_note: str, get_node: GetNode, extra: bytes | None = None
) -> TlogProof:
    """A receipt for entry ``index`` against a signed checkpoint, proof read via ``get_node``."""
    checkpoint = Checkpoint.parse(split_note(checkpoint_note)[0])
    proof = inclusion_proof(index, checkpoint.size, get_node)
    return TlogProof(index, tuple(proof), checkpoint_note, extra)


def parse_proof(text: str | bytes) -> TlogProof:
    """Parse a tlog-proof strictly; the checkpoint note is kept verbatim for verification."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedProof("proof is not valid UTF-8") from exc
    head, separator, checkpoint_note = text.partition("\n\n")
    if not separator or not checkpoint_note:
        raise MalformedProof("proof needs an empty line before its checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise MalformedProof(f"proof must start with {HEADER}")
    position = 1
    extra = None
    if position < len(lines) and lines[position].startswith("extra "):
        extra = decode_base64(lines[position][len("extra ") :], "extra")
        position += 1
    if position >= len(lines) or not lines[position].startswith("index "):
        raise MalformedProof("proof needs an index line", field="index")
    index = parse_decimal(lines[position][len("index ") :], "index")
    hashes = tuple(decode_base64(line, "inclusion_proof") for line in lines[position + 1 :])
    if len(hashes) > MAX_PROOF_HASHES or any(len(h) != HASH_SIZE for h in hashes):
        raise MalformedProof("inclusion proof lines must be SHA-256 hashes", field="proof")
    return TlogProof(index, hashes, checkpoint_note, extra)


def verify_receipt(
    proof: TlogProof | str | bytes,
    entry: bytes,
    log_verifier: NoteVerifier,
    *,
    origin: str | None = None,
    witnesses: Sequence[NoteVerifier] = (),
    quorum: int = 0,
) -> Checkpoint:
    """Verify that ``entry`` is in the log at the receipt's index; return the checkpoint.

    The checkpoint must carry a valid signature from ``log_verifier`` (its origin defaults to the
    key name) and valid cosignatures from at least ``quorum`` distinct ``witnesses``. Raises a
    :class:`MalformedNote`, :class:`UnverifiedNote` or ``InvalidProof``.
    """
    bundle = proof if isinstance(proof, TlogProof) else parse_proof(proof)
    signed = open_checkpoint(
        bundle.checkpoint_note, [log_verifier], origin=origin or log_verifier.name
    )
    if quorum:
        count_witness_quorum(bundle.checkpoint_note, witnesses, quorum)
    checkpoint = signed.checkpoint
    verify_inclusion(
        leaf_hash(entry),
        bundle.index,
        checkpoint.size,
        bundle.inclusion_proof,
        checkpoint.root_hash,
    )
    return checkpoint


def count_witness_quorum(
    checkpoint_note: str, witnesses: Sequence[NoteVerifier], quorum: int
) -> int:
    """The number of distinct trusted witnesses that cosigned; raises below ``quorum``."""
    try:
        opened = open_note(checkpoint_note, witnesses)
    except UnverifiedNote:
        if quorum > 0:
            raise
        return 0
    cosigners = {(s.name, s.key_id) for s in opened.verified}
    if len(cosigners) < quorum:
        raise UnverifiedNote(
            f"checkpoint has {len(cosigners)} trusted cosignatures, policy needs {quorum}"
        )
    return len(cosigners)
