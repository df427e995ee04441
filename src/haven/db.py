"""Engine, sessions, the unit of work and the column types every domain uses."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TZDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime in storage; refuses naive values so local time never leaks in.

    SQLite keeps it as naive UTC text in one fixed format (so text order is time order, which
    the double-booking trigger relies on); PostgreSQL as timestamptz.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC datetimes only")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# How long a SQLite transaction waits for the writer lock (in-process lock, then busy_timeout).
SQLITE_LOCK_TIMEOUT_S = 30
# Per SQLite database file, the process's writer lock (see `_configure_sqlite`).
_sqlite_writer_locks: dict[str, threading.Lock] = {}
_sqlite_writer_locks_guard = threading.Lock()
_HOLDS_WRITER_LOCK = "haven.sqlite_writer_lock"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for SQLite (WAL, foreign keys, writers serialised) or PostgreSQL."""
    if url.startswith("sqlite"):
        connect_args = {"check_same_thread": False, "timeout": SQLITE_LOCK_TIMEOUT_S}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_writer_lock(engine: Engine) -> threading.Lock | None:
    """The lock shared by every engine of this process on the same database file (None for
    an in-memory database, which no other connection shares)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    path = os.path.realpath(database)
    with _sqlite_writer_locks_guard:
        return _sqlite_writer_locks.setdefault(path, threading.Lock())


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own handling is lazy).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # Threads of this process queue on a lock for their turn as the writer, instead of
    # polling SQLite's writer lock (its busy handler sleeps up to 100 ms between tries, which
    # made the slowest of many concurrent bookings wait seconds). Other processes still meet
    # at SQLite's own lock, with busy_timeout.
    writer_lock = _sqlite_writer_lock(engine)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if writer_lock is not None:
            if not writer_lock.acquire(timeout=SQLITE_LOCK_TIMEOUT_S):
                raise sqlite3.OperationalError("database is locked")
            connection.info[_HOLDS_WRITER_LOCK] = True
        try:
            # IMMEDIATE takes the writer lock up front: a transaction that reads then writes
            # can never fail half-way with SQLITE_BUSY, and the double-booking trigger's check
            # and the insert it guards are one atomic step.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release_writer_lock(connection)
            raise

    def _release_writer_lock(connection: Any) -> None:
        # Released as the transaction ends (the events come just before COMMIT or ROLLBACK):
        # the next writer's BEGIN IMMEDIATE may wait a millisecond in SQLite's busy handler.
        if writer_lock is not None and connection.info.pop(_HOLDS_WRITER_LOCK, False):
            writer_lock.release()

    event.listen(engine, "commit", _release_writer_lock)
    event.listen(engine, "rollback", _release_writer_lock)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        # A connection dropped mid-transaction (never committed or rolled back through
        # SQLAlchemy) still gives the lock back when it returns to the pool.
        if writer_lock is not None and record.info.pop(_HOLDS_WRITER_LOCK, False):
            writer_lock.release()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def unit_of_work(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commits once at the end, rolls back on any error. Services never commit."""
    with sessions() as session, session.begin():
        yield session


def is_postgresql(session_or_engine: Session | Engine) -> bool:
    if isinstance(session_or_engine, Session):
        return session_or_engine.get_bind().dialect.name == "postgresql"
    return session_or_engine.dialect.name == "postgresql"
