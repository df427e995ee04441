"""Scratch databases for benchmarks: created migrated, dropped afterwards."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from haven import migrate


@contextmanager
def scratch_database(server_url: str | None) -> Iterator[str]:
    """A migrated, empty database: a temporary SQLite file, or one on the given PostgreSQL."""
    if server_url is None:
        with tempfile.TemporaryDirectory(prefix="haven-bench-") as workdir:
            url = f"sqlite:///{Path(workdir) / 'bench.db'}"
            migrate.upgrade(url)
            yield url
        return
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"haven_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
