"""Sequencing inside the caller's transaction and integration into C2SP tiles, on both databases."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.db import make_engine, make_sessionmaker, unit_of_work
from haven.ledger.entries import EntryRefused, parse_entry
from haven.ledger.hashing import EMPTY_ROOT, leaf_hash
from haven.ledger.merkle import root_from_hashes
from haven.ledger.models import LogEntry, TreeTile
from haven.ledger.store import append, integrate, tree_state
from haven.ledger.tiles import TILE_WIDTH, TileAddress, read_tile, split_hashes, tiles_for_size
from tests.ledger.sample_kinds import SampleEvent

AT = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def record(session: Session, office: str = "nord") -> int:
    return append(session, SampleEvent.RECORD_READ, actor="staff:1", time=AT, office=office)


def stored_entries(sessions: sessionmaker[Session]) -> list[tuple[int, bytes]]:
    with unit_of_work(sessions) as session:
        rows = session.execute(sa.select(LogEntry.index, LogEntry.data).order_by(LogEntry.index))
        return [(index, data) for index, data in rows]


def test_append_returns_dense_indexes_and_stores_the_entry(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        assert [record(session, f"office-{i}") for i in range(3)] == [0, 1, 2]
    with unit_of_work(sessions) as session:
        assert record(session) == 3
    entries = stored_entries(sessions)
    assert [index for index, _ in entries] == [0, 1, 2, 3]
    assert parse_entry(entries[1][1])["office"] == "office-1"


def test_append_rolls_back_with_the_callers_transaction(sessions: sessionmaker[Session]) -> None:
    class ActionFailed(Exception):
        pass

    def record_then_fail() -> None:
        with unit_of_work(sessions) as session:
            assert record(session) == 0
            raise ActionFailed

    with pytest.raises(ActionFailed):
        record_then_fail()
    assert stored_entries(sessions) == []
    with unit_of_work(sessions) as session:
        assert record(session) == 0  # no gap left by the rolled-back entry


def test_undeclared_field_is_refused_and_nothing_is_written(
    sessions: sessionmaker[Session],
) -> None:
    with pytest.raises(EntryRefused, match="'phone'"), unit_of_work(sessions) as session:
        append(session, SampleEvent.RECORD_READ, actor="a", time=AT, phone="+15550100")
    assert stored_entries(sessions) == []


def test_integrate_builds_the_rfc9162_root_across_batches(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        assert tree_state(session).root_hash == EMPTY_ROOT
        for i in range(600):
            record(session, f"o{i}")
    with unit_of_work(sessions) as session:
        assert integrate(session, batch=37) == 600
    leaves = [leaf_hash(data) for _, data in stored_entries(sessions)]
    with unit_of_work(sessions) as session:
        state = tree_state(session)
        assert (state.size, state.root_hash) == (600, root_from_hashes(leaves))
        level0 = read_tile(session, TileAddress(0, 1), 600)
        assert split_hashes(level0) == leaves[256:512]
        level1 = read_tile(session, TileAddress(1, 0, 2), 600)
        assert split_hashes(level1) == [
            root_from_hashes(leaves[0:256]),
            root_from_hashes(leaves[256:512]),
        ]


def test_a_restart_resumes_the_same_tree(database_url: str) -> None:
    for _restart in range(3):
        engine = make_engine(database_url)
        sessions = make_sessionmaker(engine)
        with unit_of_work(sessions) as session:
            for _ in range(100):
                record(session)
        with unit_of_work(sessions) as session:
            integrate(session)
        engine.dispose()
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    leaves = [leaf_hash(data) for _, data in stored_entries(sessions)]
    with unit_of_work(sessions) as session:
        state = tree_state(session)
    engine.dispose()
    assert (state.size, state.root_hash) == (300, root_from_hashes(leaves))


def test_tiles_of_a_70000_entry_tree_are_those_the_spec_lists(
    sessions: sessionmaker[Session],
) -> None:
    size = 70_000
    with unit_of_work(sessions) as session:
        session.execute(
            sa.insert(LogEntry), [{"index": i, "data": b"entry %d" % i} for i in range(size)]
        )
    with unit_of_work(sessions) as session:
        integrate(session)
        widths = {
            (tile.level, tile.index): len(tile.hashes) // 32
            for tile in session.execute(sa.select(TreeTile)).scalars()
        }
        state = tree_state(session)
    # tlog-tiles: 273 full level-0 tiles, one of width 112; one full level-1 tile and one of
    # width 17; one level-2 tile of width 1.
    assert sum(1 for (level, _), w in widths.items() if level == 0 and w == TILE_WIDTH) == 273
    assert widths[(0, 273)] == 112
    assert widths[(1, 0)] == TILE_WIDTH
    assert widths[(1, 1)] == 17
    assert widths[(2, 0)] == 1
    assert len(widths) == 273 + 1 + 2 + 1
    hash_tiles = [a for a in tiles_for_size(size) if a.level is not None]
    assert {(a.level, a.index) for a in hash_tiles} == set(widths)
    assert state.root_hash == root_from_hashes([leaf_hash(b"entry %d" % i) for i in range(size)])


def test_concurrent_writers_get_every_index_exactly_once(sessions: sessionmaker[Session]) -> None:
    writers, per_writer = 8, 25
    returned: list[int] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(writers)

    def write(writer: int) -> None:
        try:
            start.wait()
            for n in range(per_writer):
                with unit_of_work(sessions) as session:
                    index = record(session, f"w{writer}-{n}")
                with lock:
                    returned.append(index)
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    total = writers * per_writer
    assert sorted(returned) == list(range(total))
    entries = stored_entries(sessions)
    assert [index for index, _ in entries] == list(range(total))
    # Each returned index holds the entry its writer wrote: no two writers shared a row.
    offices = {parse_entry(data)["office"] for _, data in entries}
    assert len(offices) == total
    with unit_of_work(sessions) as session:
        assert integrate(session) == total
