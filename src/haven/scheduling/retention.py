"""Who is due for shredding: a person's keys are destroyed N days after their last visit
(HAVEN_RETENTION_DAYS, or the service's own retention_days when it sets one).

The rule reads appointments and services, so it lives here; the destruction itself is the
vault's (`haven.vault.retention.shred_person`), which knows nothing of appointments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import Clock
from haven.db import unit_of_work
from haven.scheduling.models import Appointment, Service
from haven.vault.keys import Keyring
from haven.vault.models import PersonRecord
from haven.vault.retention import shred_person

DEFAULT_BATCH = 200


@dataclass(frozen=True)
class RetentionRun:
    shredded: int


def people_due(session: Session, now: datetime, default_days: int, *, limit: int) -> list[int]:
    """Unshredded records none of whose appointments is still within its service's retention
    (the service's own days, else `default_days`), oldest first. A record with no appointment
    at all (never booked) is due `default_days` after it was sealed."""
    overrides = sorted(
        {
            days
            for days in session.scalars(sa.select(Service.retention_days).distinct())
            if days is not None
        }
    )
    within = sa.or_(
        sa.and_(
            Service.retention_days.is_(None),
            Appointment.ends_at > now - timedelta(days=default_days),
        ),
        *(
            sa.and_(
                Service.retention_days == days, Appointment.ends_at > now - timedelta(days=days)
            )
            for days in overrides
        ),
    )
    still_kept = (
        sa.select(Appointment.id)
        .join(Service, Service.id == Appointment.service_id)
        .where(Appointment.person_id == PersonRecord.id, within)
        .exists()
    )
    booked = sa.select(Appointment.id).where(Appointment.person_id == PersonRecord.id).exists()
    query = (
        sa.select(PersonRecord.id)
        .where(
            PersonRecord.shredded_at.is_(None),
            ~still_kept,
            sa.or_(booked, PersonRecord.created_at < now - timedelta(days=default_days)),
        )
        .order_by(PersonRecord.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def retention_days_of(session: Session, person_id: int, default_days: int) -> int:
    """The retention that applied to this person: the longest of their services'."""
    days = session.scalar(
        sa.select(sa.func.max(sa.func.coalesce(Service.retention_days, default_days)))
        .select_from(Appointment)
        .join(Service, Service.id == Appointment.service_id)
        .where(Appointment.person_id == person_id)
    )
    return int(days) if days is not None else default_days


def run_retention(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: Clock,
    *,
    retention_days: int,
    batch: int = DEFAULT_BATCH,
) -> RetentionRun:
    """Shred everyone due (`retention_days` unless their services say otherwise), a batch per
    transaction; returns how many were shredded."""
    shredded = 0
    while True:
        with unit_of_work(sessions) as session:
            due = people_due(session, clock.now(), retention_days, limit=batch)
            for person_id in due:
                shredded += shred_person(
                    session,
                    keyring,
                    clock,
                    person_id,
                    retention_days=retention_days_of(session, person_id, retention_days),
                )
        if len(due) < batch:
            return RetentionRun(shredded=shredded)
