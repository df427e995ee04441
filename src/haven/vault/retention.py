"""Crypto-shredding: destroying a person's keys once their retention has run out (who is due,
and when, is scheduling's rule: haven.scheduling.retention).

Destroying the wrapped data key and tag key leaves ciphertext nobody can read and ledger subject
tags nobody can link; the blind index of their contact goes too, so a later booking with the
same phone number is not recognisable as the same person. One ledger entry records each
destruction, tagged for the person (with their tag key, just before it goes) and with no
personal data. The ledger itself is untouched and still verifies.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.db import is_postgresql
from haven.ledger.store import append
from haven.vault.events import RetentionEvent
from haven.vault.keys import Keyring
from haven.vault.models import PersonRecord
from haven.vault.service import NO_CONTACT_INDEX, _tag_key

SYSTEM_ACTOR = "system"


def shred_person(
    session: Session, keyring: Keyring, clock: Clock, person_id: int, *, retention_days: int
) -> bool:
    """Destroy one person's keys and record it, with the retention that ran out; False when
    it was already done."""
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
