"""Auditing: recompute the whole tree from the entries and hold it against what the log claims.

Two sources of the same log: the database (an operator's audit) and the served tlog-tiles over
HTTP (an outsider's audit, needing only the URL and the log's vkey). Either way every entry is
hashed again, every stored or served tile is compared with the recomputed one, and every signed
checkpoint must verify and have the root recomputed at its size, which also proves the
checkpoints consistent with one another. Any edited, removed, reordered or inserted entry shows up
as a leaf that no longer matches its tile or a root that no longer matches its checkpoint, and is
reported by the first index concerned.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import httpx
from sqlalchemy.orm import Session

from haven.errors import HavenError
from haven.ledger.checkpoint import Checkpoint, open_checkpoint
from haven.ledger.hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash
from haven.ledger.merkle import root_from_nodes
from haven.ledger.note import NoteVerifier, split_note
from haven.ledger.proof_bundle import count_witness_quorum
from haven.ledger.service import all_checkpoints
from haven.ledger.store import read_entries
from haven.ledger.tiles import (
    TILE_WIDTH,
    MemoryTiles,
    split_entry_bundle,
    stored_tile,
    tiles_for_size,
)

READ_CHUNK = 50_000


@dataclass(frozen=True)
class Finding:
    """One thing that does not hold. ``index`` is the entry it names, or with ``exact`` False the
    first entry of the range it concerns (a root or a tile only says that something in it broke)."""

    index: int | None
    message: str
    exact: bool = True


@dataclass
class Audit:
    """What a verification saw and found."""

    entries: int = 0
    checkpoints: int = 0
    checkpoint_size: int = 0
    root_hash: bytes = EMPTY_ROOT
    findings: list[Finding] = field(default_factory=list)
    # Trusted witnesses with a valid cosignature on the latest checkpoint (of those given).
    cosigners: int = 0

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first_bad_index(self) -> int | None:
        """The entry a leaf-by-leaf comparison names; else the start of the first broken range."""
        exact = [f.index for f in self.findings if f.index is not None and f.exact]
        bounds = [f.index for f in self.findings if f.index is not None]
        return min(exact, default=min(bounds, default=None))


class LogSource(Protocol):
    """Where an audit reads a log from."""

    def signed_checkpoints(self) -> list[str]:
        """Every signed checkpoint note the source holds, oldest first."""
        ...

    def entry_chunks(self) -> Iterable[list[tuple[int, bytes]]]:
        """The entries with the index they claim, in index order, a chunk at a time."""
        ...

    def tile(self, level: int, index: int) -> bytes | None:
        """The stored or served hashes of a tile (as wide as available), or None."""
        ...


def audit(
    source: LogSource,
    verifier: NoteVerifier,
    *,
    witnesses: Sequence[NoteVerifier] = (),
    quorum: int = 0,
) -> Audit:
    """Verify every checkpoint and recompute the tree from every entry of ``source``; the
    latest checkpoint must also carry cosignatures from ``quorum`` of the ``witnesses``."""
    result = Audit()
    notes = source.signed_checkpoints()
    checkpoints = _open_checkpoints(notes, verifier, result)
    if notes and (witnesses or quorum):
        _check_quorum(notes[-1], witnesses, quorum, result)
    rebuilt = MemoryTiles()
    size = 0
    for chunk in source.entry_chunks():
        if result.first_bad_index is None and not _in_place(chunk, size):
            result.findings.append(_first_out_of_place(chunk, size))
        rebuilt.extend(0, size, [leaf_hash(data) for _, data in chunk])
        size += len(chunk)
    result.entries = size
    result.root_hash = root_from_nodes(size, rebuilt.get_node)
    _compare_tiles(source, rebuilt, result)
    _check_roots(checkpoints, size, rebuilt, result)
    result.findings.sort(key=lambda f: (f.index is None, f.index or 0))
    return result


def _check_quorum(note: str, witnesses: Sequence[NoteVerifier], quorum: int, result: Audit) -> None:
    try:
        result.cosigners = count_witness_quorum(note, witnesses, quorum)
    except HavenError as exc:
        message = f"the latest checkpoint lacks the witness quorum of {quorum}: {exc.message}"
        result.findings.append(Finding(None, message))


def _in_place(chunk: list[tuple[int, bytes]], start: int) -> bool:
    # Indexes are unique and ordered, so the ends pin down every index in between.
    return not chunk or (chunk[0][0] == start and chunk[-1][0] == start + len(chunk) - 1)


def _first_out_of_place(chunk: list[tuple[int, bytes]], start: int) -> Finding:
    for expected, (index, _) in enumerate(chunk, start=start):
        if index > expected:
            return Finding(expected, f"entry {expected} is missing (the next one is {index})")
        if index < expected:
            return Finding(index, f"entry {index} appears again after entry {expected - 1}")
    raise AssertionError("called only for a chunk out of place")


def _compare_tiles(source: LogSource, rebuilt: MemoryTiles, result: Audit) -> None:
    """Every tile must hold what the entries give; a level-0 tile names the entry exactly."""
    for level, index in rebuilt.addresses():
        expected = rebuilt.tile(level, index)
        stored = source.tile(level, index) or b""
        if stored[: len(expected)] == expected:
            continue
        position = next(
            p for p in range(TILE_WIDTH) if _hash_at(stored, p) != _hash_at(expected, p)
        )
        first = (index * TILE_WIDTH + position) * TILE_WIDTH**level
        if level == 0:
            message = f"entry {first} does not hash to the tree's leaf {first}"
        else:
            message = f"tile {level}/{index} does not match the entries from {first} on"
        result.findings.append(Finding(first, message, exact=level == 0))


def _check_roots(
    checkpoints: list[Checkpoint], size: int, rebuilt: MemoryTiles, result: Audit
) -> None:
    """Each signed root must be the root the entries give at its size."""
    last_good = 0
    for checkpoint in sorted(checkpoints, key=lambda c: c.size):
        if checkpoint.size > size:
            result.findings.append(
                Finding(
                    size,
                    f"the log ends at {size} entries but a checkpoint signed size "
                    f"{checkpoint.size}: entries from {size} on were removed",
                )
            )
            return
        if root_from_nodes(checkpoint.size, rebuilt.get_node) == checkpoint.root_hash:
            last_good = checkpoint.size
            continue
        result.findings.append(
            Finding(
                last_good,
                f"the entries do not give the root signed at size {checkpoint.size}: "
                f"an entry in [{last_good}, {checkpoint.size}) was changed",
                exact=False,
            )
        )


def _open_checkpoints(notes: list[str], verifier: NoteVerifier, result: Audit) -> list[Checkpoint]:
    opened: list[Checkpoint] = []
    for number, note in enumerate(notes, start=1):
        try:
            checkpoint = open_checkpoint(note, [verifier], origin=verifier.name).checkpoint
        except HavenError as exc:
            result.findings.append(Finding(None, f"checkpoint #{number}: {exc.message}"))
            continue
        if opened and checkpoint.size < opened[-1].size:
            result.findings.append(
                Finding(
                    checkpoint.size,
                    f"checkpoint #{number} shrinks the log from {opened[-1].size} "
                    f"to {checkpoint.size}",
                )
            )
        opened.append(checkpoint)
    result.checkpoints = len(opened)
    result.checkpoint_size = max((c.size for c in opened), default=0)
    return opened


def _hash_at(tile: bytes, position: int) -> bytes | None:
    if len(tile) < (position + 1) * HASH_SIZE:
        return None
    return tile[position * HASH_SIZE : (position + 1) * HASH_SIZE]


class DatabaseLog:
    """A log as its database holds it."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def signed_checkpoints(self) -> list[str]:
        return [c.served_note for c in all_checkpoints(self._session)]

    def entry_chunks(self) -> Iterator[list[tuple[int, bytes]]]:
        start = 0
        while rows := read_entries(self._session, start, READ_CHUNK):
            yield rows
            start = rows[-1][0] + 1

    def tile(self, level: int, index: int) -> bytes | None:
        return stored_tile(self._session, level, index)


class ServedLog:
    """A log as it is served over HTTP (tlog-tiles), read as an outside auditor reads it."""

    def __init__(self, client: httpx.Client, prefix: str) -> None:
        self._client = client
        self._prefix = prefix if prefix.endswith("/") else prefix + "/"
        self._note = self._get("checkpoint")
        if self._note is None:
            raise HavenError(f"no checkpoint at {self._prefix}checkpoint")
        self.size = Checkpoint.parse(split_note(self._note)[0]).size
        self._tiles = {(a.level, a.index): a for a in tiles_for_size(self.size)}

    def signed_checkpoints(self) -> list[str]:
        assert self._note is not None
        return [self._note.decode("utf-8")]

    def entry_chunks(self) -> Iterator[list[tuple[int, bytes]]]:
        position = 0
        for bundle_index in range(-(-self.size // TILE_WIDTH)):
            address = self._tiles[(None, bundle_index)]
            entries = _bundle_entries(self._get(address.path()))[: address.hashes_wanted]
            yield [(position + offset, data) for offset, data in enumerate(entries)]
            position += len(entries)
            if len(entries) < address.hashes_wanted:
                return  # the rest is missing; the audit reports where the entries end

    def tile(self, level: int, index: int) -> bytes | None:
        address = self._tiles.get((level, index))
        return None if address is None else self._get(address.path())

    def _get(self, path: str) -> bytes | None:
        response = self._client.get(self._prefix + path)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.content


def _bundle_entries(bundle: bytes | None) -> list[bytes]:
    if bundle is None:
        return []
    try:
        return split_entry_bundle(bundle)
    except ValueError:
        return []  # a cut-off bundle: the audit reports the entries as missing from its start
