"""Hot pages run a fixed handful of statements, however many offices, services, bookings or
days there are (no N+1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import time
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.db import unit_of_work
from tests import factories
from tests.web.page_support import arrange_office, read

SLOTS = "/offices/downtown/services/benefits-interview"


@contextmanager
def _counting(client: TestClient) -> Iterator[list[str]]:
    engine: sa.Engine = client.app.state.haven.engine  # type: ignore[attr-defined]
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The ledger integrates entries after commits, on its own schedule; only the page's
        # own statements count here.
        if "ledger_" in statement:
            return
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def _statements(client: TestClient, url: str) -> int:
    with _counting(client) as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def _book_some(client: TestClient, how_many: int) -> None:
    for _ in range(how_many):
        slots = read(client.get(f"{SLOTS}?week=2026-12-07"))
        form = slots.form()
        button = next(b for b in form.buttons if b.name == "start")
        held = form.submit(client, button)
        details = read(client.get(held.headers["location"]))
        booked = details.form("/book/").submit(
            client, name="Ana Example", phone="202-555-0143", language="es"
        )
        assert booked.status_code == 303


def test_the_week_of_times_does_not_grow_with_bookings_or_offices(
    app_client: TestClient, sessions: sessionmaker[Session]
) -> None:
    arrange_office(sessions)
    before = _statements(app_client, f"{SLOTS}?week=2026-12-07")
    home_before = _statements(app_client, "/")
    _book_some(app_client, 3)
    with unit_of_work(sessions) as session:
        for n in range(5):
            office = factories.office(session, slug=f"branch-{n}", opens=time(8))
            factories.service(session, office)
    assert _statements(app_client, f"{SLOTS}?week=2026-12-07") == before
    assert _statements(app_client, "/") == home_before
    assert before <= 12
    assert home_before <= 4
