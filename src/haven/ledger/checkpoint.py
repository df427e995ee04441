"""C2SP tlog-checkpoint: the note text that states a log's origin, tree size and root hash.

    <origin>\\n<size in decimal>\\n<base64 root hash>\\n[<extension line>\\n ...]

Signing and opening the note around it is :mod:`haven.ledger.note`'s job; :func:`open_checkpoint`
does both steps for a signed checkpoint.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from haven.ledger.hashing import HASH_SIZE
from haven.ledger.note import (
    MalformedNote,
    Note,
    NoteSigner,
    NoteVerifier,
    check_text,
    decode_base64,
    open_note,
    sign_note,
)

_DECIMAL = re.compile(r"0|[1-9][0-9]*")
MAX_TREE_SIZE = (1 << 63) - 1


class MalformedCheckpoint(MalformedNote):
    """The note text is not a valid tlog-checkpoint body."""

    code = "malformed_checkpoint"


def parse_decimal(text: str, what: str) -> int:
    """An ASCII decimal with no leading zeroes (``0`` for zero), as the C2SP formats require."""
    if not _DECIMAL.fullmatch(text) or len(text) > 19 or int(text) > MAX_TREE_SIZE:
        raise MalformedCheckpoint(f"{what} must be a decimal with no leading zeroes", field=what)
    return int(text)


@dataclass(frozen=True)
class Checkpoint:
    """A log's signed statement of its tree: origin, size, root hash and optional extensions."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise MalformedCheckpoint("origin must be one non-empty line", field="origin")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise MalformedCheckpoint("size is out of range", field="size")
        if len(self.root_hash) != HASH_SIZE:
            raise MalformedCheckpoint(f"root hash must be {HASH_SIZE} bytes", field="root_hash")
        if any(not line or "\n" in line for line in self.extensions):
            raise MalformedCheckpoint("extension lines must be non-empty", field="extensions")

    def text(self) -> str:
        """The checkpoint body, every line ending in a newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode()]
        return "".join(line + "\n" for line in [*lines, *self.extensions])

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body strictly (the text of a note, final newline included)."""
        check_text(text)
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise MalformedCheckpoint("a checkpoint needs origin, size and root hash lines")
        origin, size_text, root_text, *extensions = lines
        size = parse_decimal(size_text, "size")
        root_hash = decode_base64(root_text, "root_hash")
        if len(root_hash) != HASH_SIZE:
            raise MalformedCheckpoint(f"root hash must be {HASH_SIZE} bytes", field="root_hash")
        return cls(origin, size, root_hash, tuple(extensions))

    def sign(self, signers: Sequence[NoteSigner]) -> str:
        """The signed note of this checkpoint."""
        return sign_note(self.text(), signers)


@dataclass(frozen=True)
class SignedCheckpoint:
    """An opened, verified checkpoint note."""

    checkpoint: Checkpoint
    note: Note


def open_checkpoint(
    note: bytes | str, verifiers: Sequence[NoteVerifier], origin: str | None = None
) -> SignedCheckpoint:
    """Verify a signed checkpoint and parse its body; when ``origin`` is given it must match."""
    opened = open_note(note, verifiers)
    checkpoint = Checkpoint.parse(opened.text)
    if origin is not None and checkpoint.origin != origin:
        raise MalformedCheckpoint(
            f"checkpoint origin {checkpoint.origin!r} is not {origin!r}", field="origin"
        )
    return SignedCheckpoint(checkpoint, opened)
