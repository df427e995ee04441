"""No double booking, ever: the database's own guard, then many threads and several processes
booking the same few slots at once, on SQLite (a file) and PostgreSQL.

After every race the database itself is asked: no two claims on a resource overlap, every
success is a committed row, and every other attempt was told 409.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.db import make_engine, make_sessionmaker, unit_of_work
from haven.scheduling import booking
from haven.scheduling.claiming import count_overlapping_claims
from haven.scheduling.models import Appointment, Hold, SlotClaim
from haven.vault.keys import Keyring
from tests.conftest import TEST_NOW
from tests.scheduling.booking_support import (
    Desk,
    Outcome,
    arrange_desk,
    attempt_every_slot,
    booking_request,
    new_keyring,
    process_client,
    tuesday,
)

SLOTS = [tuesday(9), tuesday(9, 30), tuesday(10)]
COUNTERS = 2
THREADS = 16
PROCESSES = 4


def _claim(resource_id: int, starts: datetime, ends: datetime, hold_id: int) -> SlotClaim:
    return SlotClaim(resource_id=resource_id, starts_at=starts, ends_at=ends, hold_id=hold_id)


def _hold(session: Session, desk: Desk) -> int:
    hold = Hold(
        token_hash="f" * 64,
        office_id=desk.office_id,
        service_id=desk.service_id,
        starts_at=tuesday(9),
        ends_at=tuesday(9, 30),
        expires_at=TEST_NOW + timedelta(minutes=10),
    )
    session.add(hold)
    session.flush()
    return hold.id


def test_the_database_itself_refuses_overlapping_claims(sessions: sessionmaker[Session]) -> None:
    desk = arrange_desk(sessions, counters=2)
    first, second = desk.counter_ids
    with unit_of_work(sessions) as session:
        hold_id = _hold(session, desk)
        session.add(_claim(first, tuesday(9), tuesday(9, 30), hold_id))
        # Touching is not overlapping; another resource is another resource.
        session.add(_claim(first, tuesday(9, 30), tuesday(10), hold_id))
        session.add(_claim(second, tuesday(9), tuesday(9, 30), hold_id))
    for starts, ends in [
        (tuesday(9), tuesday(9, 30)),
        (tuesday(9, 29), tuesday(9, 31)),
        (tuesday(8), tuesday(11)),
        (tuesday(9, 10), tuesday(9, 20)),
    ]:
        with (
            pytest.raises(sa.exc.IntegrityError, match="slot_claims_no_overlap"),
            unit_of_work(sessions) as session,
        ):
            session.add(_claim(first, starts, ends, hold_id))
    with (
        pytest.raises(sa.exc.IntegrityError, match="slot_claims_no_overlap"),
        unit_of_work(sessions) as session,
    ):
        session.execute(
            sa.update(SlotClaim)
            .where(SlotClaim.resource_id == second)
            .values(resource_id=first, starts_at=tuesday(9, 15), ends_at=tuesday(9, 45))
        )
    with unit_of_work(sessions) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(SlotClaim)) == 3
        assert count_overlapping_claims(session) == 0


@contextmanager
def _racing_desk(database_url: str) -> Iterator[tuple[sessionmaker[Session], Desk, Keyring]]:
    """A desk of COUNTERS counters on an engine with a connection for every thread."""
    engine = make_engine(database_url, pool_size=THREADS, max_overflow=0)
    try:
        sessions = make_sessionmaker(engine)
        yield sessions, arrange_desk(sessions, counters=COUNTERS), new_keyring()
    finally:
        engine.dispose()


def _run_together(client: Callable[[int], None]) -> None:
    """THREADS threads run `client(n)`, all released at once."""
    start = threading.Barrier(THREADS)

    def run(n: int) -> None:
        start.wait()
        client(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _assert_no_double_booking(sessions: sessionmaker[Session], outcomes: list[Outcome]) -> None:
    errors = [why for kind, why in outcomes if kind == "error"]
    assert errors == []
    codes = {code for kind, code in outcomes if kind == "booked"}
    assert len(codes) == len(SLOTS) * COUNTERS, "every slot's capacity is booked, no more"
    assert len(outcomes) - len(codes) == sum(kind == "taken" for kind, _ in outcomes)
    with unit_of_work(sessions) as session:
        assert count_overlapping_claims(session) == 0
        stored = set(session.scalars(sa.select(Appointment.confirmation_code)))
        assert stored == codes, "every success is durable, and nothing else was stored"
        assert session.scalar(sa.select(sa.func.count()).select_from(SlotClaim)) == len(codes)


def test_many_threads_racing_for_few_slots_never_double_book(
    database_url: str, clock: ManualClock
) -> None:
    results: dict[int, list[Outcome]] = {}
    with _racing_desk(database_url) as (sessions, desk, keyring):

        def client(n: int) -> None:
            results[n] = attempt_every_slot(sessions, keyring, clock, desk, SLOTS, n)

        _run_together(client)
        assert sorted(results) == list(range(THREADS))
        _assert_no_double_booking(sessions, [o for outcomes in results.values() for o in outcomes])


def test_several_processes_racing_for_few_slots_never_double_book(
    database_url: str, engine: sa.Engine
) -> None:
    sessions = make_sessionmaker(engine)
    desk = arrange_desk(sessions, counters=COUNTERS)
    keyring = new_keyring()
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES)
    results = context.Queue()
    processes = [
        context.Process(
            target=process_client,
            args=(database_url, desk, keyring, TEST_NOW, SLOTS, n, start, results),
        )
        for n in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    collected = dict(results.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert sorted(collected) == list(range(PROCESSES))
    _assert_no_double_booking(sessions, [o for outcomes in collected.values() for o in outcomes])


def test_concurrent_retries_with_one_idempotency_key_book_once(
    database_url: str, clock: ManualClock
) -> None:
    answers: dict[int, object] = {}
    with _racing_desk(database_url) as (sessions, desk, keyring):
        request = booking_request(desk, SLOTS[0])

        def submit(n: int) -> None:
            try:
                with unit_of_work(sessions) as session:
                    result = booking.book_appointment(
                        session,
                        keyring=keyring,
                        clock=clock,
                        request=request,
                        base_url="http://x",
                        idempotency_key="double-click-4d2f",
                    )
                answers[n] = result.view
            except Exception as exc:  # asserted below, by name
                answers[n] = f"{type(exc).__name__}: {exc}"

        _run_together(submit)
        first = answers[0]
        assert not isinstance(first, str), first
        assert all(answer == first for answer in answers.values()), set(map(str, answers.values()))
        with unit_of_work(sessions) as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 1
            assert session.scalar(sa.select(sa.func.count()).select_from(SlotClaim)) == 1
