"""C2SP tlog-tiles: tile paths, entry bundles, and the tree's tiles as stored in the database.

A tile at tile level ``L`` holds up to 256 hashes of tree level ``8 * L``; a hash at tile level
``L`` is the root of a perfect subtree of ``256**L`` leaves. Any perfect subtree node at a level
between two tile levels is rebuilt by hashing at most 255 hashes of one tile, so a proof touches
O(log n) tiles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from haven.errors import NotFound
from haven.ledger.hashing import HASH_SIZE, node_hash
from haven.ledger.models import LogEntry, TreeTile

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
FULL_TILE_BYTES = TILE_WIDTH * HASH_SIZE
MAX_TILE_LEVEL = 63

_GROUP = re.compile(r"x\d{3}")
_LAST_GROUP = re.compile(r"\d{3}")
_DECIMAL = re.compile(r"0|[1-9]\d*")


class TileNotFound(NotFound):
    """No such tile or entry bundle in the integrated tree (yet)."""

    code = "tile_not_found"


class NodeNotIntegrated(LookupError):
    """A perfect subtree node asked for is not (yet) covered by the stored tiles."""


@dataclass(frozen=True)
class TileAddress:
    """One tlog-tiles resource: ``level`` None means an entry bundle; ``width`` None a full tile."""

    level: int | None
    index: int
    width: int | None = None

    def path(self) -> str:
        """The resource's path below the log prefix, e.g. ``tile/0/x001/234.p/7``."""
        level = "entries" if self.level is None else str(self.level)
        suffix = "" if self.width is None else f".p/{self.width}"
        return f"tile/{level}/{encode_index(self.index)}{suffix}"

    @property
    def hashes_wanted(self) -> int:
        return TILE_WIDTH if self.width is None else self.width


def encode_index(index: int) -> str:
    """A tile index as 3-digit path groups, all but the last prefixed with ``x``."""
    if index < 0:
        raise ValueError("tile index must not be negative")
    digits = str(index)
    digits = digits.zfill(-(-len(digits) // 3) * 3)
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*(f"x{group}" for group in groups[:-1]), groups[-1]])


def parse_tile_path(path: str) -> TileAddress:
    """The address in a path like ``0/x001/234.p/7`` or ``entries/005`` (below ``tile/``)."""
    parts = path.split("/")
    width: int | None = None
    if len(parts) >= 2 and parts[-2].endswith(".p"):
        width = _parse_decimal(parts[-1], path)
        if not 1 <= width < TILE_WIDTH:
            raise TileNotFound(f"partial tile width must be 1 to 255 in '{path}'", field="path")
        parts = [*parts[:-2], parts[-2].removesuffix(".p")]
    if len(parts) < 2:
        raise TileNotFound(f"'{path}' is not a tile path", field="path")
    level: int | None = None
    if parts[0] != "entries":
        level = _parse_decimal(parts[0], path)
        if level > MAX_TILE_LEVEL:
            raise TileNotFound(f"tile level must be 0 to 63 in '{path}'", field="path")
    groups = parts[1:]
    if not all(_GROUP.fullmatch(group) for group in groups[:-1]) or not _LAST_GROUP.fullmatch(
        groups[-1]
    ):
        raise TileNotFound(f"'{path}' does not encode a tile index", field="path")
    index = int("".join(group.removeprefix("x") for group in groups))
    address = TileAddress(level, index, width)
    if address.path() != f"tile/{path}":
        # One path per resource: leading zero groups or other spellings are not served.
        raise TileNotFound(f"'{path}' is not the canonical path of a tile", field="path")
    return address


def _parse_decimal(text: str, path: str) -> int:
    if not _DECIMAL.fullmatch(text):
        raise TileNotFound(f"'{path}' is not a tile path", field="path")
    return int(text)


def entry_bundle(entries: Iterable[bytes]) -> bytes:
    """Entries as a tlog-tiles bundle: each prefixed by its big-endian uint16 length."""
    return b"".join(len(data).to_bytes(2, "big") + data for data in entries)


def split_entry_bundle(bundle: bytes) -> list[bytes]:
    """The entries of a bundle; raises ValueError when it is truncated."""
    entries: list[bytes] = []
    offset = 0
    while offset < len(bundle):
        if offset + 2 > len(bundle):
            raise ValueError("entry bundle ends inside a length prefix")
        length = int.from_bytes(bundle[offset : offset + 2], "big")
        offset += 2
        if offset + length > len(bundle):
            raise ValueError("entry bundle ends inside an entry")
        entries.append(bundle[offset : offset + length])
        offset += length
    return entries


def split_hashes(tile: bytes) -> list[bytes]:
    return [tile[i : i + HASH_SIZE] for i in range(0, len(tile), HASH_SIZE)]


def node_from_tile(tile: bytes, level: int, index: int) -> bytes:
    """Node ``(level, index)`` rebuilt from the tile (at tile level ``level // 8``) holding it."""
    height = level % TILE_HEIGHT
    first = (index << height) % TILE_WIDTH
    count = 1 << height
    chunk = tile[first * HASH_SIZE : (first + count) * HASH_SIZE]
    if len(chunk) < count * HASH_SIZE:
        raise NodeNotIntegrated(f"node ({level}, {index}) is not integrated yet")
    return perfect_root(split_hashes(chunk))


def perfect_root(nodes: list[bytes]) -> bytes:
    """The root over a power-of-two count of sibling hashes, paired level by level (cheaper
    than the general RFC 9162 fold, which it equals for such counts)."""
    while len(nodes) > 1:
        nodes = [node_hash(nodes[i], nodes[i + 1]) for i in range(0, len(nodes), 2)]
    return nodes[0]


def tile_of_node(level: int, index: int) -> tuple[int, int]:
    """The (tile level, tile index) of the tile that holds node ``(level, index)``."""
    height = level % TILE_HEIGHT
    return level // TILE_HEIGHT, (index << height) >> TILE_HEIGHT


class MemoryTiles:
    """Tiles held in memory, grown by ``extend``; ``get_node`` is the ``get_node(level, index)``
    merkle.py expects. An audit rebuilds a whole tree this way; ``TileSet`` adds the database."""

    def __init__(self) -> None:
        self._tiles: dict[tuple[int, int], bytearray] = {}
        self._dirty: set[tuple[int, int]] = set()

    def tile(self, level: int, index: int) -> bytes:
        return bytes(self._load(level, index))

    def addresses(self) -> list[tuple[int, int]]:
        """Every (tile level, tile index) held, in order."""
        return sorted(key for key, tile in self._tiles.items() if tile)

    def get_node(self, level: int, index: int) -> bytes:
        tile = self._load(*tile_of_node(level, index))
        return node_from_tile(bytes(tile), level, index)

    def extend(self, tile_level: int, position: int, hashes: Sequence[bytes]) -> None:
        """Add ``hashes`` to tile level ``tile_level`` from ``position`` on (the current end).

        Each tile this fills becomes one hash at the level above: the root of its 256 hashes.
        """
        filled: list[bytes] = []
        first_filled = None
        done = 0
        while done < len(hashes):
            key = (tile_level, position // TILE_WIDTH)
            tile = self._load(*key)
            if len(tile) != (position % TILE_WIDTH) * HASH_SIZE:
                raise RuntimeError(f"tile {key} does not end at position {position}")
            chunk = hashes[done : done + TILE_WIDTH - position % TILE_WIDTH]
            tile += b"".join(chunk)
            self._dirty.add(key)
            done += len(chunk)
            position += len(chunk)
            if len(tile) == FULL_TILE_BYTES:
                first_filled = key[1] if first_filled is None else first_filled
                filled.append(perfect_root(split_hashes(bytes(tile))))
        if first_filled is not None:
            self.extend(tile_level + 1, first_filled, filled)

    def _fetch(self, level: int, index: int) -> bytes | None:
        return None

    def _load(self, level: int, index: int) -> bytearray:
        key = (level, index)
        if key not in self._tiles:
            self._tiles[key] = bytearray(self._fetch(level, index) or b"")
        return self._tiles[key]


class TileSet(MemoryTiles):
    """The stored tiles, read on demand and cached for one unit of work; growth is buffered
    and written by ``flush``."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self._session = session
        self._stored: set[tuple[int, int]] = set()

    def flush(self) -> None:
        """Write the tiles changed since the last flush (new ones inserted, others updated)."""
        inserts, updates = [], []
        for level, index in sorted(self._dirty):
            hashes = bytes(self._tiles[(level, index)])
            if (level, index) in self._stored:
                updates.append({"tile_level": level, "tile_index": index, "tile_hashes": hashes})
            else:
                inserts.append({"level": level, "index": index, "hashes": hashes})
        connection = self._session.connection()
        if inserts:
            connection.execute(_INSERT_TILE, inserts)
        if updates:
            connection.execute(_UPDATE_TILE, updates)
        self._stored |= self._dirty
        self._dirty.clear()

    def _fetch(self, level: int, index: int) -> bytes | None:
        hashes = stored_tile(self._session, level, index)
        if hashes is not None:
            self._stored.add((level, index))
        return hashes


_TILES = cast(Table, TreeTile.__table__)
# Built once: proofs read a handful of tiles each, and statement building would dominate.
_READ_TILE = select(_TILES.c.hashes).where(
    _TILES.c.level == bindparam("level"), _TILES.c.index == bindparam("index")
)


_INSERT_TILE = insert(_TILES)
_UPDATE_TILE = (
    update(_TILES)
    .where(_TILES.c.level == bindparam("tile_level"), _TILES.c.index == bindparam("tile_index"))
    .values(hashes=bindparam("tile_hashes"))
)


def stored_tile(session: Session, level: int, index: int) -> bytes | None:
    """The hashes stored for tile ``(level, index)``, or None when it has none yet."""
    hashes: bytes | None = (
        session.connection()
        .execute(_READ_TILE, {"level": level, "index": index})
        .scalar_one_or_none()
    )
    return hashes


def read_tile(session: Session, address: TileAddress, tree_size: int) -> bytes:
    """The bytes of a hash tile within a tree of ``tree_size`` (a prefix when partial)."""
    assert address.level is not None
    available = (tree_size >> (TILE_HEIGHT * address.level)) - address.index * TILE_WIDTH
    if available < address.hashes_wanted:
        raise TileNotFound(f"tile {address.path()} is not in the tree", field="path")
    hashes = stored_tile(session, address.level, address.index)
    if hashes is None or len(hashes) < address.hashes_wanted * HASH_SIZE:
        raise TileNotFound(f"tile {address.path()} is not in the tree", field="path")
    return bytes(hashes[: address.hashes_wanted * HASH_SIZE])


def read_entry_bundle(session: Session, address: TileAddress, tree_size: int) -> bytes:
    """The entry bundle at ``address`` within a tree of ``tree_size`` entries."""
    first = address.index * TILE_WIDTH
    end = first + address.hashes_wanted
    if end > tree_size:
        raise TileNotFound(f"entry bundle {address.path()} is not in the tree", field="path")
    # Served as stored, even if rows went missing: an outside audit then names the entry
    # that no longer matches its leaf hash, where a bare 404 would hide which one it is.
    data = session.execute(
        select(LogEntry.data)
        .where(LogEntry.index >= first, LogEntry.index < end)
        .order_by(LogEntry.index)
    ).scalars()
    return entry_bundle(data)


def tiles_for_size(tree_size: int) -> list[TileAddress]:
    """Every hash tile and entry bundle (full, and the partial ones) of a tree of ``tree_size``."""
    addresses: list[TileAddress] = []
    level = 0
    while True:
        count = tree_size >> (TILE_HEIGHT * level)
        if count == 0:
            break
        full, partial = divmod(count, TILE_WIDTH)
        levels: list[int | None] = [level, None] if level == 0 else [level]
        for tile_level in levels:
            addresses.extend(TileAddress(tile_level, n) for n in range(full))
            if partial:
                addresses.append(TileAddress(tile_level, full, partial))
        level += 1
    return addresses
