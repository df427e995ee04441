"""The ledger's tables: sequenced entries, the integrated tree as C2SP tiles, signed checkpoints.

The tree is stored the way it is served (tlog-tiles): one row per tile of 256 hashes at tree
levels 0, 8, 16, ..., rewritten while it is partial and immutable once full. Every perfect
subtree hash can be rebuilt from one tile, so a proof reads O(log n) rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from haven.db import Base, TZDateTime

# SQLite makes an INTEGER PRIMARY KEY the rowid (no second index); PostgreSQL needs 64 bits.
LedgerIndex = BigInteger().with_variant(Integer(), "sqlite")


class EntryBytes(TypeDecorator[bytes]):
    """An entry's bytes. SQLite lets a hand edit (``replace()`` on the blob) leave text in the
    column; it is read back as its UTF-8 bytes so an audit hashes it and names the entry,
    instead of failing on the type."""

    impl = LargeBinary
    cache_ok = True

    def process_result_value(self, value: bytes | str | None, dialect: Dialect) -> bytes | None:
        return None if value is None else entry_bytes(value)


def entry_bytes(value: bytes | str) -> bytes:
    """An entry column's value as bytes, whatever a hand edit left there (see ``EntryBytes``)."""
    return value.encode("utf-8") if isinstance(value, str) else value


class LogEntry(Base):
    """One sequenced entry: its canonical JSON bytes at its position in the log."""

    __tablename__ = "ledger_entries"

    index: Mapped[int] = mapped_column(LedgerIndex, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(EntryBytes)


class TreeTile(Base):
    """A tlog-tiles tile: up to 256 concatenated 32-byte hashes at tree level 8 * `level`."""

    __tablename__ = "ledger_tiles"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(LedgerIndex, primary_key=True, autoincrement=False)
    hashes: Mapped[bytes] = mapped_column(LargeBinary)


class TreeState(Base):
    """The integrated tree (one row): how many entries the tiles cover, and its root."""

    __tablename__ = "ledger_tree_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary)


class PublishedCheckpoint(Base):
    """A signed checkpoint (C2SP signed note over a tlog-checkpoint body), kept for auditors."""

    __tablename__ = "ledger_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary)
    origin: Mapped[str] = mapped_column(String(255))
    note: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(TZDateTime)
    # The note with the witnesses' cosignature lines added as they come in; None until one has.
    cosigned_note: Mapped[str | None] = mapped_column(Text, default=None)

    @property
    def served_note(self) -> str:
        """The note as served and put in receipts: with every cosignature gathered so far."""
        return self.cosigned_note or self.note


class WitnessStatus(Base):
    """What the log knows of one configured witness: the size it last cosigned (saves a 409
    round trip) and how the last submission went, for operators (``haven log witnesses``)."""

    __tablename__ = "ledger_witnesses"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    vkey: Mapped[str] = mapped_column(String(1024))
    cosigned_size: Mapped[int] = mapped_column(BigInteger, default=0)
    cosigned_checkpoint_id: Mapped[int | None] = mapped_column(Integer, default=None)
    last_success_at: Mapped[datetime | None] = mapped_column(TZDateTime, default=None)
    last_failure_at: Mapped[datetime | None] = mapped_column(TZDateTime, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    failures: Mapped[int] = mapped_column(Integer, default=0)
