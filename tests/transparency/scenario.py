"""A seeded disclosure history with known counts, written as the gateway's own ledger kinds.

Period 2026Q4, band width 10 (see test_report.py for what each figure must be):
- agency 1 (law_enforcement): 10 requests, 1 person each; 4 denied by the policy after 1 hour,
  6 approved after 24 hours and produced (1 person each); notices handled for 4 of them
  (3 sent, 1 delayed); 2 produced without a notice entry yet;
- agency 2 (health): 9 requests, 2 people each; 3 rejected as invalid after 30 minutes, 3 narrowed
  by the policy then approved after 48 hours and produced (1 person each, no notice yet),
  3 still pending;
- one request in 2026Q3, outside the period; two matching agreements (one ended), two
  injunctions (one lifted), policy version 1 installed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from haven.disclosure.events import DisclosureEvent
from haven.disclosure.policy.events import PolicyEvent
from haven.ledger.store import append

START = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _add(session: Session, kind: Any, at: datetime, ref: str | None = None, **fields: Any) -> None:
    append(session, kind, actor="system", time=at, refs=[ref] if ref else [], **fields)


def _request(
    session: Session, number: int, agency: int, basis: str, people: int, at: datetime
) -> str:
    ref = f"disclosure-request:R{number:03d}"
    _add(
        session,
        DisclosureEvent.REQUEST_RECEIVED,
        at,
        ref,
        agency=agency,
        basis=basis,
        individuals=people,
        channel="api",
    )
    return ref


def seed_history(session: Session) -> None:
    """Append the whole scenario (the caller commits)."""
    _add(session, PolicyEvent.INSTALLED, START - 40 * 24 * HOUR, version=1, sha256="ab" * 32)
    _add(session, DisclosureEvent.AGENCY_REGISTERED, START, agency=1, category="law_enforcement")
    _add(session, DisclosureEvent.AGENCY_REGISTERED, START, agency=2, category="health")
    old = _request(session, 1, 1, "law_enforcement", 1, datetime(2026, 9, 30, 12, tzinfo=UTC))
    _add(session, DisclosureEvent.REQUEST_EVALUATED, START, old, outcome="denied")
    number = 10
    for i in range(10):
        at = START + i * HOUR
        ref = _request(session, number := number + 1, 1, "law_enforcement", 1, at)
        if i < 4:
            _add(session, DisclosureEvent.REQUEST_EVALUATED, at + HOUR, ref, outcome="denied")
            continue
        _add(session, DisclosureEvent.REQUEST_EVALUATED, at + HOUR, ref, outcome="review")
        _add(session, DisclosureEvent.REQUEST_DECIDED, at + 24 * HOUR, ref, outcome="approved")
        _add(session, DisclosureEvent.PRODUCTION_MADE, at + 25 * HOUR, ref, individuals=1)
        if i < 8:
            delayed = 1 if i == 7 else 0
            _add(
                session,
                DisclosureEvent.NOTICE_HANDLED,
                at + 26 * HOUR,
                ref,
                notices=1 - delayed,
                delayed=delayed,
                not_required=0,
            )
    for i in range(9):
        at = START + (20 + i) * HOUR
        ref = _request(session, number := number + 1, 2, "health_safety", 2, at)
        if i < 3:
            _add(session, DisclosureEvent.REQUEST_REJECTED, at + HOUR / 2, ref, reasons=["x"])
        elif i < 6:
            _add(session, DisclosureEvent.REQUEST_EVALUATED, at + HOUR, ref, outcome="narrowed")
            _add(session, DisclosureEvent.REQUEST_DECIDED, at + 48 * HOUR, ref, outcome="approved")
            _add(session, DisclosureEvent.PRODUCTION_MADE, at + 49 * HOUR, ref, individuals=1)
    _add(
        session,
        PolicyEvent.AGREEMENT_RECORDED,
        START,
        agreement=1,
        starts_on="2026-01-01",
        ends_on="2027-06-30",
    )
    _add(
        session,
        PolicyEvent.AGREEMENT_RECORDED,
        START,
        agreement=2,
        starts_on="2025-01-01",
        ends_on="2026-06-30",
    )
    for injunction in (1, 2):
        _add(
            session,
            PolicyEvent.INJUNCTION_RECORDED,
            START,
            injunction=injunction,
            effective_from=START.isoformat(),
            effective_until=None,
        )
    _add(session, PolicyEvent.INJUNCTION_LIFTED, START + HOUR, injunction=2)
