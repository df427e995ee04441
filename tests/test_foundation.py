"""The foundation: migrations on both databases, aware datetimes only, the health check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient

from haven import migrate
from haven.models import metadata


def test_models_and_migrations_agree(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == [], f"models differ from migrations: {diff}"


def test_migrations_downgrade_to_base_and_back(database_url: str) -> None:
    migrate.downgrade(database_url, "base")
    assert not migrate.is_current(database_url)
    migrate.upgrade(database_url)
    assert migrate.is_current(database_url)


def test_timestamps_round_trip_as_aware_utc(engine: sa.Engine) -> None:
    from haven.db import TZDateTime

    table = sa.Table("tz_probe", sa.MetaData(), sa.Column("at", TZDateTime))
    table.create(engine)
    eastern = timezone(timedelta(hours=-5))
    with engine.begin() as conn:
        conn.execute(table.insert().values(at=datetime(2026, 3, 8, 1, 30, tzinfo=eastern)))
        stored = conn.execute(sa.select(table.c.at)).scalar_one()
    assert stored == datetime(2026, 3, 8, 6, 30, tzinfo=UTC)
    assert stored.tzinfo is not None


def test_naive_datetimes_are_refused(engine: sa.Engine) -> None:
    from haven.db import TZDateTime

    table = sa.Table("tz_probe2", sa.MetaData(), sa.Column("at", TZDateTime))
    table.create(engine)
    with pytest.raises(sa.exc.StatementError, match="naive datetime refused"), engine.begin() as c:
        c.execute(table.insert().values(at=datetime(2026, 3, 8, 1, 30)))


def test_healthz_answers(app_client: TestClient) -> None:
    response = app_client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
