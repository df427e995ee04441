"""Shared arrangements for the booking, booking API and concurrency tests."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from haven.clock import Clock, ManualClock
from haven.db import make_engine, make_sessionmaker, unit_of_work
from haven.scheduling import booking
from haven.scheduling.models import ResourceKind
from haven.scheduling.schemas import BookingRequest
from haven.vault.keys import KEY_BYTES, Keyring
from tests import factories

# Tuesday 1 December 2026, 09:00 in New York (the factories' office): the day after TEST_NOW.
TUESDAY_9AM = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def tuesday(hour: int, minute: int = 0) -> datetime:
    """A New York wall time on that Tuesday, as an aware UTC instant (EST is UTC-5)."""
    return TUESDAY_9AM + timedelta(hours=hour - 9, minutes=minute)


@dataclass(frozen=True)
class Desk:
    """An office with one bookable service and the ids tests need."""

    office_id: int
    service_id: int
    counter_ids: list[int]
    interpreter_ids: list[int] = field(default_factory=list)


def arrange_desk(
    sessions: sessionmaker[Session],
    *,
    counters: int = 1,
    interpreter_languages: tuple[str, ...] = (),
    duration_minutes: int = 30,
    buffer_minutes: int = 0,
) -> Desk:
    """Commit an office (Mon-Fri 9-17 New York) with `counters` English-only counters."""
    with unit_of_work(sessions) as session:
        office = factories.office(session)
        counter_rows = [factories.resource(session, office) for _ in range(counters)]
        interpreters = [
            factories.resource(session, office, kind=ResourceKind.INTERPRETER, languages=[language])
            for language in interpreter_languages
        ]
        service = factories.service(
            session,
            office,
            resources=counter_rows,
            duration_minutes=duration_minutes,
            buffer_minutes=buffer_minutes,
        )
        return Desk(
            office_id=office.id,
            service_id=service.id,
            counter_ids=[r.id for r in counter_rows],
            interpreter_ids=[r.id for r in interpreters],
        )


def request_body(desk: Desk, starts_at: datetime, /, **overrides: Any) -> dict[str, Any]:
    """A valid booking request as JSON, changed by `overrides` (None removes a field)."""
    body: dict[str, Any] = {
        "office_id": desk.office_id,
        "service_id": desk.service_id,
        "starts_at": starts_at.isoformat(),
        "name": "Ana Example",
        "phone": "+1 202-555-0143",
        "language": "es",
        "accommodations": ["wheelchair-access"],
        "accommodation_note": "Arriving with a walker",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def booking_request(desk: Desk, starts_at: datetime, /, **overrides: Any) -> BookingRequest:
    return BookingRequest.model_validate(request_body(desk, starts_at, **overrides))


def new_keyring() -> Keyring:
    return Keyring(
        current_kek=secrets.token_bytes(KEY_BYTES), blind_index_key=secrets.token_bytes(KEY_BYTES)
    )


Outcome = tuple[str, str | None]  # ("booked", code) | ("taken", None) | ("error", why)


def attempt_every_slot(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: Clock,
    desk: Desk,
    slots: list[datetime],
    n: int,
) -> list[Outcome]:
    """Client `n` trying every slot once, each in its own transaction, starting at slot n."""
    outcomes: list[Outcome] = []
    for i in range(len(slots)):
        request = booking_request(desk, slots[(n + i) % len(slots)], name=f"Client {n}")
        try:
            with unit_of_work(sessions) as session:
                result = booking.book_appointment(
                    session, keyring=keyring, clock=clock, request=request, base_url="http://x"
                )
            outcomes.append(("booked", result.view.confirmation_code))
        except booking.SlotTaken as exc:
            outcomes.append(("taken", None) if exc.status_code == 409 else ("error", str(exc)))
        except Exception as exc:  # the race test fails on it, naming it
            outcomes.append(("error", f"{type(exc).__name__}: {exc}"))
    return outcomes


def process_client(
    database_url: str,
    desk: Desk,
    keyring: Keyring,
    now: datetime,
    slots: list[datetime],
    n: int,
    start: Any,
    results: Any,
) -> None:
    """A process's client: own engine, waits at the barrier, puts (n, outcomes) on the queue.

    It lives here, not in the test module, so a spawned process imports little.
    """
    engine = make_engine(database_url)
    try:
        start.wait()
        clock = ManualClock(now)
        outcomes = attempt_every_slot(make_sessionmaker(engine), keyring, clock, desk, slots, n)
    finally:
        engine.dispose()
    results.put((n, outcomes))
