"""Sequencing entries inside the caller's transaction, and integrating them into the tree.

Recording something in the ledger is one call, made by a service action inside its own unit of
work, next to the rows it writes::

    index = append(
        session,
        SchedulingEvent.APPOINTMENT_BOOKED,   # declared: haven.ledger.entries.declare_kind
        actor="staff:12",                     # who did it (an account id, "public", "system")
        time=clock.now(),                     # aware UTC
        purpose="booking",                    # optional
        refs=["appointment:3f2a"],            # ids of what it concerns, never personal data
        subject_tag_keys=[person_tag_key],    # each person concerned, as their tag key
        office="downtown", service="benefits",  # the fields the kind declared
    )

``append`` returns the entry's index. The entry commits with the caller's transaction or not at
all. One sequencer serialises appends: a PostgreSQL transaction-scoped advisory lock (held until
the caller commits), or SQLite's writer lock, which every Haven transaction takes at BEGIN.
Indexes are therefore dense: committed entries are always exactly 0..n-1. Append as the last
write of an action: from the append until the commit, every other writer waits. Refused entries
(undeclared kind or field, over 65,535 bytes) raise ``EntryRefused``, a 422.

``integrate`` then folds committed entries into the stored tiles in batches; the app runs it in a
background thread woken after each commit that appended (``haven.ledger.service``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import (
    Connection,
    LargeBinary,
    Table,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from haven.ledger.entries import build_entry
from haven.ledger.hashing import leaf_hash
from haven.ledger.merkle import root_from_nodes
from haven.ledger.models import LogEntry, TreeState, entry_bytes
from haven.ledger.tiles import TileSet

# pg_advisory_xact_lock key of the log's one sequencer ("HavenLog" as 8 ASCII bytes, as int64).
SEQUENCER_LOCK_KEY = int.from_bytes(b"HavenLog", "big") & 0x7FFF_FFFF_FFFF_FFFF
# Session.info flag: this transaction appended, so wake the integrator after it commits.
APPENDED = "haven.ledger.appended"
INTEGRATION_BATCH = 16_384
TREE_STATE_ID = 1

# Built once: appending sits inside the sequencer lock, so it must cost as little as possible.
_ENTRIES = cast(Table, LogEntry.__table__)
_NEXT_INDEX = select(func.coalesce(func.max(_ENTRIES.c.index) + 1, 0))
_SEQUENCE = (
    insert(_ENTRIES)
    .from_select(
        ["index", "data"],
        select(_NEXT_INDEX.scalar_subquery(), bindparam("data", type_=LargeBinary)),
    )
    .returning(_ENTRIES.c.index)
)
_STATE = cast(Table, TreeState.__table__)
_LOCK_TREE_STATE = select(_STATE.c.size).where(_STATE.c.id == TREE_STATE_ID).with_for_update()
_SET_TREE_STATE = (
    update(_STATE)
    .where(_STATE.c.id == TREE_STATE_ID)
    .values(size=bindparam("new_size"), root_hash=bindparam("new_root"))
)
_SEQUENCER_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_PG_APPEND = text("SELECT ledger_append(:key, :data)").bindparams(
    bindparam("data", type_=LargeBinary)
)


def append(
    session: Session,
    kind: StrEnum,
    *,
    actor: str,
    time: datetime,
    purpose: str | None = None,
    refs: Sequence[str] = (),
    subject_tag_keys: Sequence[bytes] = (),
    **fields: Any,
) -> int:
    """Sequence one entry in the caller's transaction and return its index (see module doc)."""
    data = build_entry(
        kind,
        actor=actor,
        time=time,
        purpose=purpose,
        refs=refs,
        subject_tag_keys=subject_tag_keys,
        fields=fields,
    )
    return append_data(session, data)


def append_data(session: Session, data: bytes) -> int:
    """Sequence already-built entry bytes (``build_entry``) in the caller's transaction."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Lock and insert in one round trip (migration 0002's function): the lock is held until
        # the caller commits, so every round trip inside it caps the log's rate.
        parameters = {"key": SEQUENCER_LOCK_KEY, "data": data}
        index: int = connection.execute(_PG_APPEND, parameters).scalar_one()
    else:
        index = connection.execute(_SEQUENCE, {"data": data}).scalar_one()
    session.info[APPENDED] = True
    return index


def append_batch(session: Session, entries: Sequence[bytes]) -> range:
    """Sequence many built entries at once in the caller's transaction (one lock, one multi-row
    insert), for bulk imports and benchmarks; returns their indexes."""
    connection = session.connection()
    _take_sequencer(connection)
    first = sequenced_size(session)
    rows = [(first + offset, data) for offset, data in enumerate(entries)]
    if rows:
        # Straight to the driver's executemany: per-row parameter processing would cost more
        # than the insert itself.
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        statement = f'INSERT INTO ledger_entries ("index", data) VALUES ({mark}, {mark})'  # noqa: S608
        connection.exec_driver_sql(statement, rows)
        session.info[APPENDED] = True
    return range(first, first + len(rows))


def _take_sequencer(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Held until the caller's transaction ends, so the next writer reads our rows' indexes.
        # SQLite needs nothing: every Haven transaction holds the writer lock from BEGIN.
        connection.execute(_SEQUENCER_LOCK, {"key": SEQUENCER_LOCK_KEY})


def sequenced_size(session: Session) -> int:
    """How many entries are sequenced, as this transaction sees them (the next index)."""
    size: int = session.connection().execute(_NEXT_INDEX).scalar_one()
    return size


def tree_state(session: Session) -> TreeState:
    """The integrated tree's size and root, as stored now (``integrate`` writes it in Core)."""
    query = (
        select(TreeState)
        .where(TreeState.id == TREE_STATE_ID)
        .execution_options(populate_existing=True)
    )
    return session.execute(query).scalar_one()


def read_entries(session: Session, start: int, limit: int) -> list[tuple[int, bytes]]:
    """Up to ``limit`` stored entries from index ``start`` on, in index order, as stored.

    Straight from the driver: integration and audits read every entry, and building a result
    row per entry would cost more than hashing it.
    """
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    query = (
        f'SELECT "index", data FROM ledger_entries WHERE "index" >= {mark} '  # noqa: S608
        f'ORDER BY "index" LIMIT {mark}'
    )
    rows = connection.exec_driver_sql(query, (start, limit)).all()
    return [(index, entry_bytes(data)) for index, data in rows]


def lock_tree_state(session: Session) -> int:
    """Take the tree state row for this transaction (integrators and checkpoint signers take
    turns on it; SQLite: the writer lock already does) and return the integrated size."""
    size: int = session.connection().execute(_LOCK_TREE_STATE).scalar_one()
    return size


def integrate(session: Session, *, batch: int = INTEGRATION_BATCH) -> int:
    """Fold every committed, not yet integrated entry into the tiles; returns the new tree size.

    Integrators on several processes take turns on the tree state row (SQLite: the writer lock).
    """
    size = lock_tree_state(session)
    tiles = TileSet(session)
    while True:
        rows = read_entries(session, size, batch)
        if not rows:
            return size
        if rows[-1][0] != size + len(rows) - 1:
            raise RuntimeError(f"a ledger entry after {size} is missing; not integrating")
        tiles.extend(0, size, [leaf_hash(data) for _, data in rows])
        tiles.flush()
        size += len(rows)
        root = root_from_nodes(size, tiles.get_node)
        session.connection().execute(_SET_TREE_STATE, {"new_size": size, "new_root": root})
