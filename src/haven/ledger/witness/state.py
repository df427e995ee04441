"""The witness's own SQLite file: for each log origin, the latest checkpoint it cosigned.

Checking the old size and recording the new checkpoint happen in one ``BEGIN IMMEDIATE``
transaction, so two concurrent submissions can never roll the recorded size back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS witnessed_checkpoints (
    origin TEXT PRIMARY KEY,
    tree_size INTEGER NOT NULL CHECK (tree_size >= 0),
    root_hash BLOB NOT NULL,
    checkpoint_note TEXT NOT NULL,
    cosigned_at TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class WitnessedCheckpoint:
    """The latest checkpoint the witness cosigned for one origin."""

    origin: str
    size: int
    root_hash: bytes
    checkpoint_note: str
    cosigned_at: datetime


class StateTransaction:
    """Reads and writes inside one immediate transaction."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def latest(self, origin: str) -> WitnessedCheckpoint | None:
        row = self._connection.execute(
            "SELECT origin, tree_size, root_hash, checkpoint_note, cosigned_at "
            "FROM witnessed_checkpoints WHERE origin = ?",
            (origin,),
        ).fetchone()
        if row is None:
            return None
        return WitnessedCheckpoint(row[0], row[1], row[2], row[3], datetime.fromisoformat(row[4]))

    def record(self, checkpoint: WitnessedCheckpoint) -> None:
        if checkpoint.cosigned_at.tzinfo is None:
            raise ValueError("cosigned_at must be an aware UTC datetime")
        self._connection.execute(
            "INSERT INTO witnessed_checkpoints "
            "(origin, tree_size, root_hash, checkpoint_note, cosigned_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (origin) DO UPDATE SET tree_size = excluded.tree_size, "
            "root_hash = excluded.root_hash, checkpoint_note = excluded.checkpoint_note, "
            "cosigned_at = excluded.cosigned_at",
            (
                checkpoint.origin,
                checkpoint.size,
                checkpoint.root_hash,
                checkpoint.checkpoint_note,
                checkpoint.cosigned_at.isoformat(),
            ),
        )


class WitnessState:
    """The state file; each :meth:`transaction` opens its own connection (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            connection.execute(_SCHEMA)
        finally:
            connection.close()

    @contextmanager
    def transaction(self) -> Iterator[StateTransaction]:
        """One ``BEGIN IMMEDIATE`` transaction, committed when the block ends without error."""
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield StateTransaction(connection)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()

    def latest(self, origin: str) -> WitnessedCheckpoint | None:
        """The latest cosigned checkpoint for ``origin``, if any."""
        with self.transaction() as tx:
            return tx.latest(origin)
