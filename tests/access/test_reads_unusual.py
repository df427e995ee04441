"""Unusual access: far more records than peers in a day, or any read outside office hours,
lands in the privacy officer's queue once per person, kind and day."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from haven.access.alerts import AlertKind, PrivacyAlert, note_reads, open_alerts, resolve_alert
from haven.clock import ManualClock
from tests.access.people_support import entries


def _note(
    session: Session, clock: ManualClock, actor: str, records: int, *, hours: bool = True
) -> list[PrivacyAlert]:
    return note_reads(
        session,
        clock,
        staff_actor=actor,
        office_id=None,
        records=records,
        within_hours=hours,
        factor=3,
        minimum=40,
    )


def test_far_more_reads_than_peers_in_a_day_is_flagged_once(
    session: Session, clock: ManualClock
) -> None:
    for peer in ("staff:1", "staff:2", "staff:3"):
        assert _note(session, clock, peer, 20) == []
    assert _note(session, clock, "staff:9", 39) == []  # under the minimum
    assert _note(session, clock, "staff:9", 22) != []  # 61 > 3 x median 20
    assert _note(session, clock, "staff:9", 30) == []  # already flagged today
    [alert] = open_alerts(session)
    assert (alert.kind, alert.staff_actor, alert.records) == (AlertKind.MANY_READS, "staff:9", 61)
    clock.advance(timedelta(days=1))
    assert _note(session, clock, "staff:9", 45) != []  # a new day, nobody else reading
    raised = entries(session, "access:alert:raised")
    assert [e["alert_kind"] for e in raised] == ["many_reads", "many_reads"]


def test_busy_peers_raise_the_bar(session: Session, clock: ManualClock) -> None:
    for peer in ("staff:1", "staff:2"):
        _note(session, clock, peer, 60)
    assert _note(session, clock, "staff:9", 150) == []  # under 3 x 60


def test_reads_outside_hours_are_flagged_and_alerts_can_be_resolved(
    session: Session, clock: ManualClock
) -> None:
    [alert] = _note(session, clock, "staff:4", 1, hours=False)
    assert alert.kind == AlertKind.OUTSIDE_HOURS
    resolve_alert(session, clock, actor="staff:99", alert_id=alert.id)
    assert open_alerts(session) == []
    [resolved] = entries(session, "access:alert:resolved")
    assert resolved["actor"] == "staff:99"
