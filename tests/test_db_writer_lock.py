"""SQLite writers of one process take turns on an in-process lock (haven.db): still atomic
across threads, and the lock always comes back, whether the transaction commits, fails, or its
connection is closed half-way."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.db import make_engine, make_sessionmaker, unit_of_work

THREADS = 8
INCREMENTS = 25
# Only guards the test run against a hang; nothing here measures time.
HANG_GUARD_S = 60


@pytest.fixture
def counter_sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'counter.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)")
        connection.exec_driver_sql("INSERT INTO counter VALUES (1, 0)")
    return make_sessionmaker(engine)


def _count(sessions: sessionmaker[Session]) -> int:
    with unit_of_work(sessions) as session:
        return int(session.execute(sa.text("SELECT n FROM counter")).scalar_one())


def _increment(sessions: sessionmaker[Session]) -> None:
    # Read, then write what was read: lost updates would show if two ran at once.
    with unit_of_work(sessions) as session:
        n = session.execute(sa.text("SELECT n FROM counter")).scalar_one()
        session.execute(sa.text("UPDATE counter SET n = :n"), {"n": n + 1})


def _run_in_threads(target: object, count: int) -> None:
    threads = [threading.Thread(target=target) for _ in range(count)]  # type: ignore[arg-type]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_GUARD_S)
    assert not any(thread.is_alive() for thread in threads), "a writer never got its turn"


def test_threads_read_modify_write_without_losing_an_update(
    counter_sessions: sessionmaker[Session],
) -> None:
    def writer() -> None:
        for _ in range(INCREMENTS):
            _increment(counter_sessions)

    _run_in_threads(writer, THREADS)
    assert _count(counter_sessions) == THREADS * INCREMENTS


def test_a_failed_transaction_gives_the_lock_back(
    counter_sessions: sessionmaker[Session],
) -> None:
    def update_then_fail() -> None:
        with unit_of_work(counter_sessions) as session:
            session.execute(sa.text("UPDATE counter SET n = 100"))
            raise LookupError("the action failed after writing")

    with pytest.raises(LookupError):
        update_then_fail()
    _run_in_threads(lambda: _increment(counter_sessions), 1)
    assert _count(counter_sessions) == 1  # the failed update was rolled back


def test_a_connection_closed_mid_transaction_gives_the_lock_back(
    counter_sessions: sessionmaker[Session],
) -> None:
    engine = counter_sessions.kw["bind"]
    connection = engine.connect()
    connection.begin()
    connection.exec_driver_sql("UPDATE counter SET n = 50")
    connection.close()  # neither committed nor rolled back by the caller
    _run_in_threads(lambda: _increment(counter_sessions), 1)
    assert _count(counter_sessions) == 1


def test_a_dropped_connection_gives_the_lock_back(
    counter_sessions: sessionmaker[Session],
) -> None:
    engine = counter_sessions.kw["bind"]
    connection = engine.connect()
    connection.begin()
    connection.exec_driver_sql("UPDATE counter SET n = 70")
    connection.invalidate()  # the pool throws the DBAPI connection away
    _run_in_threads(lambda: _increment(counter_sessions), 1)
    assert _count(counter_sessions) == 1


def test_separate_engines_on_one_file_still_take_turns(tmp_path: Path) -> None:
    """Two engines in one process (say the app and a worker thread) share the lock; another
    process would still meet them at SQLite's own lock with busy_timeout."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first = make_engine(url)
    with first.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)")
        connection.exec_driver_sql("INSERT INTO counter VALUES (1, 0)")
    engines = [first, make_engine(url)]

    def writer(sessions: sessionmaker[Session]) -> None:
        for _ in range(INCREMENTS):
            _increment(sessions)

    threads = [
        threading.Thread(target=writer, args=(make_sessionmaker(engines[n % 2]),)) for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_GUARD_S)
    assert not any(thread.is_alive() for thread in threads)
    assert _count(make_sessionmaker(first)) == 4 * INCREMENTS
    for engine in engines:
        engine.dispose()
