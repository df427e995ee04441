"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL, a manual
clock, settings and an app built the way production builds it.

Every database test runs twice, `[sqlite]` and `[postgresql]`. A test gets its own database,
copied from a template that `alembic upgrade head` built once per run, so migrations are what is
tested and tests that commit (concurrency, durability) share nothing. Locally a missing
PostgreSQL skips its half with a line saying so; under CI=true it fails.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven import migrate
from haven.clock import ManualClock
from haven.config import Settings
from haven.db import make_engine, make_sessionmaker, unit_of_work
from haven.web.app import create_app

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_ADMIN_URL = os.environ.get(
    "HAVEN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# A Monday afternoon in UTC; tests move the clock, never sleep.
TEST_NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def require_service(what: str, why: str) -> None:
    """A test that needs a missing service fails under CI and skips, saying so, elsewhere."""
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but is not available: {why}")
    pytest.skip(f"{what} not available here ({why}); .ci/run starts it")


def _postgres_admin() -> sa.Engine:
    return sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _postgres_url(database: str) -> str:
    return (
        sa.make_url(POSTGRES_ADMIN_URL).set(database=database).render_as_string(hide_password=False)
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    admin = _postgres_admin()
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as exc:
        admin.dispose()
        require_service("PostgreSQL", f"{POSTGRES_ADMIN_URL}: {type(exc.orig).__name__}")
    name = f"haven_tpl_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    migrate.upgrade(_postgres_url(name))
    yield name
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the newest migration, of the kind the test id names."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "haven.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"haven_t_{uuid.uuid4().hex[:12]}"
    admin = _postgres_admin()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    try:
        yield _postgres_url(name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: sa.Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work for arranging data; it commits when the test body ends."""
    with unit_of_work(sessions) as session:
        yield session


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(TEST_NOW)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(home=tmp_path / "home", database_url=database_url, dev_mode=True)


@pytest.fixture
def app_client(settings: Settings, clock: ManualClock) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock)
    with TestClient(app) as client:
        yield client
