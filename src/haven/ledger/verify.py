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

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from haven.errors import HavenError
from haven.ledger.checkpoint import Checkpoint, open_checkpoint
from haven.ledger.hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from haven.ledger.merkle import fold_right
from haven.ledger.models import LogEntry
from haven.ledger.note import NoteVerifier, split_note
from haven.ledger.service import all_checkpoints
from haven.ledger.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
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

    def entries(self) -> Iterable[tuple[int, bytes]]:
        """The entries with the index they claim, in index order."""
        ...

    def tile(self, level: int, index: int) -> bytes | None:
        """The stored or served hashes of a tile (as wide as available), or None."""
        ...


class RightEdge:
    """The perfect subtrees on the right edge of a growing tree: one hash per leaf, amortised,
    and the root at any size on the way. Reports every perfect node at a tile level it builds."""

    def __init__(self) -> None:
        self.size = 0
        self._levels: list[int] = []
        self._hashes: list[bytes] = []
        self.tile_hashes: dict[int, list[bytes]] = {}

    def add(self, leaf: bytes) -> None:
        level, current = 0, leaf
        while self._levels and self._levels[-1] == level:
            self._levels.pop()
            current = node_hash(self._hashes.pop(), current)
            level += 1
            if level % TILE_HEIGHT == 0:
                self.tile_hashes.setdefault(level // TILE_HEIGHT, []).append(current)
        self._levels.append(level)
        self._hashes.append(current)
        self.size += 1

    def root(self) -> bytes:
        return fold_right(self._hashes) if self._hashes else EMPTY_ROOT


def audit(source: LogSource, verifier: NoteVerifier) -> Audit:
    """Verify every checkpoint and recompute the tree from every entry of ``source``."""
    result = Audit()
    checkpoints = _open_checkpoints(source.signed_checkpoints(), verifier, result)
    pending = sorted({c.size: c for c in checkpoints}.values(), key=lambda c: c.size)
    last_good_size = 0
    edge = RightEdge()
    leaf_tile: tuple[int, bytes | None] = (-1, None)

    def check_checkpoints() -> None:
        nonlocal last_good_size
        while pending and pending[0].size == edge.size:
            checkpoint = pending.pop(0)
            if edge.root() == checkpoint.root_hash:
                last_good_size = checkpoint.size
            else:
                result.findings.append(
                    Finding(
                        last_good_size,
                        f"the entries do not give the root signed at size {checkpoint.size}: "
                        f"an entry in [{last_good_size}, {checkpoint.size}) was changed",
                        exact=False,
                    )
                )

    check_checkpoints()
    for index, data in source.entries():
        if index != edge.size:
            result.findings.append(_out_of_place(edge.size, index))
        position = edge.size
        if position // TILE_WIDTH != leaf_tile[0]:
            leaf_tile = (position // TILE_WIDTH, source.tile(0, position // TILE_WIDTH))
        leaf = leaf_hash(data)
        stored = _hash_at(leaf_tile[1], position % TILE_WIDTH)
        if stored is not None and stored != leaf:
            result.findings.append(
                Finding(position, f"entry {position} does not hash to the tree's leaf {position}")
            )
        edge.add(leaf)
        check_checkpoints()
    result.entries = edge.size
    result.root_hash = edge.root()
    for checkpoint in pending:
        result.findings.append(
            Finding(
                edge.size,
                f"the log ends at {edge.size} entries but a checkpoint signed size "
                f"{checkpoint.size}: entries from {edge.size} on were removed",
            )
        )
    _compare_upper_tiles(source, edge, result)
    result.findings.sort(key=lambda f: (f.index is None, f.index or 0))
    return result


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


def _out_of_place(expected: int, index: int) -> Finding:
    if index > expected:
        return Finding(expected, f"entry {expected} is missing (the next one is {index})")
    return Finding(index, f"entry {index} appears again after entry {expected - 1}")


def _hash_at(tile: bytes | None, position: int) -> bytes | None:
    if tile is None or len(tile) < (position + 1) * HASH_SIZE:
        return None
    return tile[position * HASH_SIZE : (position + 1) * HASH_SIZE]


def _compare_upper_tiles(source: LogSource, edge: RightEdge, result: Audit) -> None:
    """Tiles above level 0 must hold the perfect subtree roots the entries give."""
    for level, hashes in sorted(edge.tile_hashes.items()):
        for tile_index in range(-(-len(hashes) // TILE_WIDTH)):
            expected = b"".join(hashes[tile_index * TILE_WIDTH : (tile_index + 1) * TILE_WIDTH])
            stored = source.tile(level, tile_index) or b""
            if stored[: len(expected)] != expected:
                position = next(
                    p
                    for p in range(len(expected) // HASH_SIZE)
                    if _hash_at(stored, p) != _hash_at(expected, p)
                )
                first = (tile_index * TILE_WIDTH + position) * TILE_WIDTH**level
                result.findings.append(
                    Finding(
                        first,
                        f"tile {level}/{tile_index} does not match the entries from {first} on",
                        exact=False,
                    )
                )


class DatabaseLog:
    """A log as its database holds it."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def signed_checkpoints(self) -> list[str]:
        return [c.note for c in all_checkpoints(self._session)]

    def entries(self) -> Iterator[tuple[int, bytes]]:
        after = -1
        while True:
            rows = self._session.execute(
                select(LogEntry.index, LogEntry.data)
                .where(LogEntry.index > after)
                .order_by(LogEntry.index)
                .limit(READ_CHUNK)
            ).all()
            if not rows:
                return
            yield from ((index, data) for index, data in rows)
            after = rows[-1][0]

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

    def entries(self) -> Iterator[tuple[int, bytes]]:
        position = 0
        for bundle_index in range(-(-self.size // TILE_WIDTH)):
            address = self._tiles[(None, bundle_index)]
            entries = _bundle_entries(self._get(address.path()))
            for data in entries[: address.hashes_wanted]:
                yield position, data
                position += 1
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
