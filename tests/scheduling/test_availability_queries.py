"""Availability reads an office's claims in one query, whatever the length of the range."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.db import unit_of_work
from haven.scheduling.availability import find_slots
from haven.scheduling.models import ResourceKind
from tests import factories
from tests.scheduling.claims import live_hold

# Office configuration (office + service, hours, closures, resources, resource hours) and claims.
QUERIES_PER_AVAILABILITY = 2  # the schedule, the claims


@contextmanager
def counted(engine: sa.Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_query_count_does_not_grow_with_the_range(
    engine: sa.Engine, sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    with unit_of_work(sessions) as session:
        office = factories.office(session, opens=time(9), closes=time(17))
        counters = [
            factories.resource(session, office, hours=[(d, time(9), time(13)) for d in range(5)])
            for _ in range(4)
        ]
        factories.resource(session, office, kind=ResourceKind.INTERPRETER, languages=["es"])
        service = factories.service(session, office, resources=counters)
        factories.closure(session, office, date(2026, 12, 24), date(2026, 12, 25))
        for day in range(1, 31):
            start = datetime(2026, 12, day, 15, tzinfo=UTC)
            for counter in counters:
                live_hold(session, service, counter, start, 30)
        office_id, service_id = office.id, service.id

    counts = []
    for days in (1, 31):
        with unit_of_work(sessions) as session:
            session.execute(sa.text("SELECT 1"))  # begin outside the count
            with counted(engine) as statements:
                slots = find_slots(
                    session,
                    office_id=office_id,
                    service_id=service_id,
                    start=date(2026, 12, 1),
                    end=date(2026, 12, days),
                    now=clock.now(),
                    interpreter_language="es",
                )
            assert slots
            counts.append(len(statements))
            claim_queries = [s for s in statements if "slot_claims" in s]
            assert len(claim_queries) == 1
    assert counts == [QUERIES_PER_AVAILABILITY, QUERIES_PER_AVAILABILITY]


def test_no_claims_query_when_nothing_is_bookable(
    engine: sa.Engine, session: Session, clock: ManualClock
) -> None:
    office = factories.office(session)
    service = factories.service(session, office, max_days_ahead=5)
    session.flush()
    with counted(engine) as statements:
        slots = find_slots(
            session,
            office_id=office.id,
            service_id=service.id,
            start=date(2027, 1, 4),
            end=date(2027, 1, 8),
            now=clock.now(),
        )
    assert slots == []
    assert not [s for s in statements if "slot_claims" in s]
