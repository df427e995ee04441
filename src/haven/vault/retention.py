"""Retention by crypto-shredding: a person's keys are destroyed N days after their last visit.

Destroying the wrapped data key and tag key leaves ciphertext nobody can read and ledger subject
tags nobody can link; the blind index of their contact goes too, so a later booking with the
same phone number is not recognisable as the same person. One ledger entry records each
destruction, tagged for the person (with their tag key, just before it goes) and with no
personal data. The ledger itself is untouched and still verifies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import Clock
from haven.db import is_postgresql, unit_of_work
from haven.ledger.entries import declare_kind
from haven.ledger.store import append
from haven.scheduling.models import Appointment
from haven.vault.keys import Keyring
from haven.vault.models import PersonRecord
from haven.vault.service import NO_CONTACT_INDEX, _tag_key

SYSTEM_ACTOR = "system"
DEFAULT_BATCH = 200


class RetentionEvent(StrEnum):
    PERSON_SHREDDED = "vault:person:shredded"


declare_kind(RetentionEvent.PERSON_SHREDDED, fields={"reason", "retention_days"})


@dataclass(frozen=True)
class RetentionRun:
    shredded: int


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """People whose last appointment ended before this instant are due."""
    return now - timedelta(days=retention_days)


def people_due(session: Session, cutoff: datetime, *, limit: int) -> list[int]:
    """Unshredded records whose last appointment ended before `cutoff` (or that never had
    one and were sealed before it), oldest first."""
    last_end = (
        sa.select(Appointment.person_id, sa.func.max(Appointment.ends_at).label("last_end"))
        .group_by(Appointment.person_id)
        .subquery()
    )
    query = (
        sa.select(PersonRecord.id)
        .outerjoin(last_end, last_end.c.person_id == PersonRecord.id)
        .where(
            PersonRecord.shredded_at.is_(None),
            sa.func.coalesce(last_end.c.last_end, PersonRecord.created_at) < cutoff,
        )
        .order_by(PersonRecord.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def shred_person(
    session: Session, keyring: Keyring, clock: Clock, person_id: int, *, retention_days: int
) -> bool:
    """Destroy one person's keys and record it; False when it was already done."""
    query = sa.select(PersonRecord).where(PersonRecord.id == person_id)
    if is_postgresql(session):
        query = query.with_for_update()
    record = session.scalars(query).one()
    if record.shredded_at is not None:
        return False
    tag_keys = [_tag_key(keyring, record)] if record.wrapped_tag_key is not None else []
    now = clock.now()
    record.wrapped_data_key = None
    record.wrapped_tag_key = None
    record.contact_index = NO_CONTACT_INDEX
    record.shredded_at = now
    # Sealed under the data key, so already unreadable; dropped so nothing looks recoverable.
    session.execute(
        sa.update(Appointment)
        .where(Appointment.person_id == person_id)
        .values(idempotent_response=None),
        execution_options={"synchronize_session": False},
    )
    append(
        session,
        RetentionEvent.PERSON_SHREDDED,
        actor=SYSTEM_ACTOR,
        time=now,
        subject_tag_keys=tag_keys,
        reason="retention",
        retention_days=retention_days,
    )
    session.flush()
    return True


def run_retention(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: Clock,
    *,
    retention_days: int,
    batch: int = DEFAULT_BATCH,
) -> RetentionRun:
    """Shred everyone due, a batch per transaction; returns how many were shredded."""
    cutoff = retention_cutoff(clock.now(), retention_days)
    shredded = 0
    while True:
        with unit_of_work(sessions) as session:
            due = people_due(session, cutoff, limit=batch)
            for person_id in due:
                shredded += shred_person(
                    session, keyring, clock, person_id, retention_days=retention_days
                )
        if len(due) < batch:
            return RetentionRun(shredded=shredded)
