"""The privacy officer's queue: break-glass reads and unusual access, each an alert.

Alerts are staff data: who, when, which kind, and for break-glass the written reason (which the
privacy officer must be able to read; the ledger holds only its hash). Unusual access is flagged
from a per-day tally of how many records each member of staff opened: far more than the median
of their peers that day, or any read outside their office's opening hours.
"""

from __future__ import annotations

import statistics
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from haven.access.events import AlertEvent
from haven.clock import Clock
from haven.db import Base, TZDateTime, is_postgresql
from haven.errors import NotFound
from haven.ledger.store import append


class AlertKind(StrEnum):
    BREAK_GLASS = "break_glass"
    MANY_READS = "many_reads"
    OUTSIDE_HOURS = "outside_hours"


class PrivacyAlert(Base):
    __tablename__ = "privacy_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    # The member of staff it is about, as the ledger names them ("staff:12").
    staff_actor: Mapped[str] = mapped_column(String(40), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), nullable=True)
    raised_at: Mapped[datetime] = mapped_column(TZDateTime)
    # The local day the alert is about (one flag of each kind per person per day).
    day: Mapped[date] = mapped_column(Date)
    records: Mapped[int] = mapped_column(Integer, default=0)
    # Break-glass only: the reason as written, for the privacy officer.
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    ledger_index: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(40), nullable=True)


class ReadTally(Base):
    """How many records a member of staff opened on a (UTC) day."""

    __tablename__ = "staff_read_tallies"
    __table_args__ = (UniqueConstraint("staff_actor", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_actor: Mapped[str] = mapped_column(String(40))
    day: Mapped[date] = mapped_column(Date, index=True)
    records: Mapped[int] = mapped_column(Integer, default=0)


def raise_alert(
    session: Session,
    clock: Clock,
    *,
    kind: AlertKind,
    staff_actor: str,
    office_id: int | None,
    records: int,
    reason: str | None = None,
    ledger_index: int | None = None,
) -> PrivacyAlert:
    """Put an alert in the privacy officer's queue, recorded in the ledger (reason excluded)."""
    now = clock.now()
    alert = PrivacyAlert(
        kind=str(kind),
        staff_actor=staff_actor,
        office_id=office_id,
        raised_at=now,
        day=now.date(),
        records=records,
        reason=reason,
        ledger_index=ledger_index,
    )
    session.add(alert)
    session.flush()
    append(
        session,
        AlertEvent.RAISED,
        actor="system",
        time=now,
        refs=[f"alert:{alert.id}"],
        alert=alert.id,
        alert_kind=str(kind),
        staff=staff_actor,
    )
    return alert


def note_reads(
    session: Session,
    clock: Clock,
    *,
    staff_actor: str,
    office_id: int | None,
    records: int,
    within_hours: bool,
    factor: int,
    minimum: int,
) -> list[PrivacyAlert]:
    """Count a member of staff's reads for the day and flag what is unusual (once a day each)."""
    day = clock.now().date()
    total = _add_to_tally(session, staff_actor, day, records)
    raised = []
    if not within_hours and not _flagged(session, staff_actor, day, AlertKind.OUTSIDE_HOURS):
        raised.append(
            raise_alert(
                session,
                clock,
                kind=AlertKind.OUTSIDE_HOURS,
                staff_actor=staff_actor,
                office_id=office_id,
                records=records,
            )
        )
    if _far_above_peers(session, staff_actor, day, total, factor, minimum) and not _flagged(
        session, staff_actor, day, AlertKind.MANY_READS
    ):
        raised.append(
            raise_alert(
                session,
                clock,
                kind=AlertKind.MANY_READS,
                staff_actor=staff_actor,
                office_id=office_id,
                records=total,
            )
        )
    return raised


def open_alerts(session: Session) -> list[PrivacyAlert]:
    return list(
        session.scalars(
            sa.select(PrivacyAlert)
            .where(PrivacyAlert.resolved_at.is_(None))
            .order_by(PrivacyAlert.raised_at.desc(), PrivacyAlert.id.desc())
        )
    )


def resolve_alert(session: Session, clock: Clock, *, actor: str, alert_id: int) -> PrivacyAlert:
    """Mark an alert looked into; recorded in the ledger."""
    alert = session.get(PrivacyAlert, alert_id)
    if alert is None:
        raise NotFound("no such alert", field="alert")
    if alert.resolved_at is None:
        alert.resolved_at = clock.now()
        alert.resolved_by = actor
        append(
            session,
            AlertEvent.RESOLVED,
            actor=actor,
            time=alert.resolved_at,
            refs=[f"alert:{alert.id}"],
            alert=alert.id,
            alert_kind=alert.kind,
        )
    return alert


def _flagged(session: Session, staff_actor: str, day: date, kind: AlertKind) -> bool:
    query = sa.select(PrivacyAlert.id).where(
        PrivacyAlert.staff_actor == staff_actor,
        PrivacyAlert.day == day,
        PrivacyAlert.kind == str(kind),
    )
    return session.scalars(query.limit(1)).first() is not None


def _add_to_tally(session: Session, staff_actor: str, day: date, records: int) -> int:
    """Add to the day's tally in one statement (two tabs reading at once both count)."""
    insert = postgresql.insert if is_postgresql(session) else sqlite.insert
    statement = (
        insert(ReadTally)
        .values(staff_actor=staff_actor, day=day, records=records)
        .on_conflict_do_update(
            index_elements=["staff_actor", "day"],
            set_={"records": ReadTally.records + records},
        )
        .returning(ReadTally.records)
    )
    total: int = session.execute(statement).scalar_one()
    return total


def _far_above_peers(
    session: Session, staff_actor: str, day: date, total: int, factor: int, minimum: int
) -> bool:
    if total < minimum:
        return False
    peers = session.scalars(
        sa.select(ReadTally.records).where(
            ReadTally.day == day, ReadTally.staff_actor != staff_actor
        )
    ).all()
    # With no peers reading that day, the minimum alone is the yardstick.
    baseline = statistics.median(peers) if peers else 0
    return total > max(minimum, factor * baseline)
