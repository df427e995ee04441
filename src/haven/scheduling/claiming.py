"""Claiming a slot's resources under the database's double-booking guard.

The guard is the database's (PostgreSQL exclusion constraint, SQLite trigger; migration 0001):
two claims on one resource never overlap, whoever writes them. Here we only choose which free
candidate to try, each inside a SAVEPOINT; when the database refuses a claim (someone took that
resource since availability looked), the savepoint is rolled back and the next candidate is
tried. When none is left, `SlotTaken`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from haven.errors import Conflict
from haven.scheduling.availability import OfficeSchedule, Slot, bookable_slot_and_schedule
from haven.scheduling.models import Hold, SlotClaim

# The constraint (PostgreSQL) and the trigger's message (SQLite) of the guard.
OVERLAP_GUARD = "slot_claims_no_overlap"

T = TypeVar("T")
# Core, built once: the ORM's bulk path costs more than the insert on every booking.
_INSERT_CLAIM = sa.insert(cast(sa.Table, SlotClaim.__table__))


class SlotTaken(Conflict):
    code = "slot_taken"

    def __init__(self) -> None:
        super().__init__("that time was just taken, please choose another", field="starts_at")


def violates(exc: IntegrityError, name: str) -> bool:
    """True when the database refused a statement because of the named constraint or column."""
    return name in str(exc.orig)


def free_slot(
    session: Session,
    *,
    office_id: int,
    service_id: int,
    starts_at: datetime,
    interpreter_language: str | None,
    now: datetime,
) -> tuple[Slot, OfficeSchedule]:
    """The slot at `starts_at` with its free resources, and the schedule that offers it;
    SlotTaken when no resource is free.

    Raises availability's SlotRuleBroken subclasses when the time can never be booked.
    """
    slot, schedule = bookable_slot_and_schedule(
        session,
        office_id=office_id,
        service_id=service_id,
        starts_at=starts_at,
        now=now,
        interpreter_language=interpreter_language,
    )
    if slot is None:
        raise SlotTaken()
    return slot, schedule


def claim_first_free(session: Session, slot: Slot, now: datetime, write: Callable[[int], T]) -> T:
    """Run `write(resource_id)` for each candidate in turn, each in a SAVEPOINT, until the
    database accepts one; SlotTaken when it refuses them all.

    `write` inserts the owner (appointment or hold) and its claims, typically with
    `insert_claims`, so a refused candidate leaves nothing behind.
    """
    candidates = list(slot.resource_ids)
    cleared_expired = False
    while candidates:
        try:
            with session.begin_nested():
                return write(candidates[0])
        except IntegrityError as exc:
            if not violates(exc, OVERLAP_GUARD):
                raise
        except SlotTaken:
            pass  # the resource was free but no interpreter it needs was
        # Availability ignores expired holds, the guard does not: clear the ones in this slot's
        # way (only on a refusal, so the common path pays nothing) and try the same one again.
        if not cleared_expired:
            cleared_expired = True
            if clear_expired_holds(session, slot, now):
                continue
        candidates.pop(0)
    raise SlotTaken()


def insert_claims(
    session: Session,
    slot: Slot,
    resource_id: int,
    *,
    appointment_id: int | None = None,
    hold_id: int | None = None,
    expires_at: datetime | None = None,
) -> None:
    """Claim the resource for the slot, and an interpreter when it needs one.

    Raises IntegrityError when the database refuses the resource's claim, SlotTaken when no
    interpreter can be had.
    """

    def claim(claimed_id: int) -> None:
        row = {
            "resource_id": claimed_id,
            "starts_at": slot.starts_at,
            "ends_at": slot.claim_ends_at,
            "appointment_id": appointment_id,
            "hold_id": hold_id,
            "expires_at": expires_at,
        }
        session.connection().execute(_INSERT_CLAIM, row)

    claim(resource_id)
    if not slot.needs_interpreter(resource_id):
        return
    for interpreter_id in slot.interpreter_ids:
        try:
            with session.begin_nested():
                claim(interpreter_id)
        except IntegrityError as exc:
            if not violates(exc, OVERLAP_GUARD):
                raise
            continue
        return
    raise SlotTaken()


def clear_expired_holds(session: Session, slot: Slot, now: datetime) -> int:
    """Delete expired holds whose claims lie in the slot's way; how many there were."""
    resource_ids = [*slot.resource_ids, *slot.interpreter_ids]
    expired_hold_ids = session.scalars(
        sa.select(SlotClaim.hold_id).where(
            SlotClaim.resource_id.in_(resource_ids),
            SlotClaim.starts_at < slot.claim_ends_at,
            SlotClaim.ends_at > slot.starts_at,
            SlotClaim.hold_id.is_not(None),
            SlotClaim.expires_at <= now,
        )
    ).all()
    if expired_hold_ids:
        _delete_claims(session, SlotClaim.hold_id.in_(expired_hold_ids))
        session.execute(
            sa.delete(Hold).where(Hold.id.in_(expired_hold_ids)),
            execution_options={"synchronize_session": False},
        )
    return len(set(expired_hold_ids))


def convert_hold(session: Session, hold: Hold, appointment_id: int) -> None:
    """The hold's claims become the appointment's, and the hold goes.

    Same rows and times, so the guard has nothing to re-check and nobody can slip in between.
    """
    session.execute(
        sa.update(SlotClaim)
        .where(SlotClaim.hold_id == hold.id)
        .values(appointment_id=appointment_id, hold_id=None, expires_at=None),
        execution_options={"synchronize_session": False},
    )
    session.delete(hold)
    session.flush()


def release_claims(session: Session, appointment_id: int) -> None:
    """Free every resource the appointment held."""
    _delete_claims(session, SlotClaim.appointment_id == appointment_id)


def _delete_claims(session: Session, condition: sa.ColumnElement[bool]) -> None:
    session.execute(
        sa.delete(SlotClaim).where(condition), execution_options={"synchronize_session": False}
    )


def count_overlapping_claims(session: Session) -> int:
    """Pairs of claims on one resource whose times overlap: what a double booking would leave.

    An audit query for tests, benchmarks and operators; the database's guard keeps it at 0.
    """
    first, second = sa.orm.aliased(SlotClaim), sa.orm.aliased(SlotClaim)
    overlapping = sa.and_(
        first.resource_id == second.resource_id,
        first.id < second.id,
        first.starts_at < second.ends_at,
        second.starts_at < first.ends_at,
    )
    query = sa.select(sa.func.count()).select_from(first).join(second, overlapping)
    return int(session.scalar(query) or 0)
