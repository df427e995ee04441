"""Booking actions: hold a slot, book, reschedule, cancel, and find an appointment by its link.

Each action writes its rows in the caller's unit of work and never commits. No double booking
can come out of here whatever the timing: the database itself refuses overlapping slot claims
(PostgreSQL exclusion constraint, SQLite trigger, see migration 0001). These actions only pick
which free resource to try, inside a SAVEPOINT, and turn the database's refusal into a
`SlotTaken` for the person when no candidate is left.

Personal data (name, contact, accommodation note) goes straight into the vault; the appointment
row keeps only a reference to it. What the person gets back is built in
`haven.scheduling.appointment_view`; a retried booking is answered by
`haven.scheduling.idempotency`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.errors import Gone, Invalid, NotFound
from haven.ledger.store import append
from haven.scheduling import idempotency
from haven.scheduling.appointment_view import (
    PUBLIC_ACTOR,
    schedule_summaries,
    summaries,
    view_of,
)
from haven.scheduling.availability import Slot
from haven.scheduling.claiming import (
    SlotTaken as SlotTaken,  # re-exported: callers catch booking.SlotTaken
)
from haven.scheduling.claiming import (
    claim_first_free,
    convert_hold,
    free_slot,
    insert_claims,
    release_claims,
    violates,
)
from haven.scheduling.events import BookingEvent
from haven.scheduling.models import (
    Appointment,
    AppointmentStatus,
    Hold,
    Office,
    Service,
)
from haven.scheduling.schemas import (
    Accommodation,
    AppointmentView,
    BookingRequest,
    HoldRequest,
)
from haven.scheduling.tokens import (
    MAX_TOKEN_LENGTH,
    idempotency_key_hash,
    new_confirmation_code,
    new_secret_token,
    token_hash,
)
from haven.vault.errors import PersonGone
from haven.vault.keys import Keyring
from haven.vault.service import PersonData, person_tag_key, seal_person

# Confirmation codes are random; a clash with an existing one is rare but must not fail a booking.
_CODE_ATTEMPTS = 5


class AppointmentNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "no appointment matches this link; check that the whole link was copied",
            field="token",
        )


class AppointmentCancelled(Gone):
    code = "appointment_cancelled"

    def __init__(self) -> None:
        super().__init__("this appointment was cancelled; please book a new time instead")


class AppointmentOver(Gone):
    code = "appointment_over"

    def __init__(self) -> None:
        super().__init__(
            "this appointment has already started or taken place and can no longer be changed"
        )


class HoldDoesNotMatch(Invalid):
    code = "hold_does_not_match"

    def __init__(self) -> None:
        super().__init__(
            "the hold is for another office, service, time or interpreter language than "
            "this booking; book the held slot or leave hold_token out",
            field="hold_token",
        )


class BookingRequestInvalid(Invalid):
    """A booking request whose fields are each fine but do not fit together."""


@dataclass(frozen=True)
class PlacedHold:
    hold: Hold
    token: str  # returned once; only its hash is stored


@dataclass(frozen=True)
class Booking:
    appointment: Appointment
    view: AppointmentView
    # True when this answers a retried request with the first response, booking nothing new.
    replayed: bool


@dataclass(frozen=True)
class _Written:
    appointment: Appointment
    view: AppointmentView
    tag_keys: list[bytes]


def place_hold(
    session: Session, *, clock: Clock, request: HoldRequest, hold_for: timedelta
) -> PlacedHold:
    """Hold a slot exclusively for `hold_for`; SlotTaken when no resource is free for it."""
    now = clock.now()
    slot, _ = free_slot(
        session,
        office_id=request.office_id,
        service_id=request.service_id,
        starts_at=request.starts_at,
        interpreter_language=request.interpreter_language,
        now=now,
    )
    token = new_secret_token()
    expires_at = now + hold_for

    def write(resource_id: int) -> Hold:
        hold = Hold(
            token_hash=token_hash(token),
            office_id=request.office_id,
            service_id=request.service_id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            interpreter_language=request.interpreter_language,
            expires_at=expires_at,
        )
        session.add(hold)
        session.flush()
        insert_claims(session, slot, resource_id, hold_id=hold.id, expires_at=expires_at)
        return hold

    hold = claim_first_free(session, slot, now, write)
    return PlacedHold(hold=hold, token=token)


def book_appointment(
    session: Session,
    *,
    keyring: Keyring,
    clock: Clock,
    request: BookingRequest,
    base_url: str,
    idempotency_key: str | None = None,
    actor: str = PUBLIC_ACTOR,
) -> Booking:
    """Book the requested slot (or the caller's live hold on it) for one person, recorded in
    the ledger as done by `actor` (a staff account's actor when staff book for someone).

    With an idempotency key, a repeat of the same request answers the first response and books
    nothing; the same key with a different request is refused. Raises SlotTaken when the time
    was taken, a SlotRuleBroken subclass when it can never be booked.
    """
    _check_request(request)
    key_hash = idempotency_key_hash(idempotency_key) if idempotency_key is not None else None
    fingerprint = idempotency.fingerprint(request)
    if key_hash is not None:
        earlier = _replay(session, keyring, clock, key_hash, fingerprint)
        if earlier is not None:
            return earlier
    try:
        return _book(session, keyring, clock, request, base_url, key_hash, fingerprint, actor)
    except SlotTaken:
        # On PostgreSQL the same request may have committed meanwhile: answer as a retry would.
        earlier = _replay(session, keyring, clock, key_hash, fingerprint) if key_hash else None
        if earlier is None:
            raise
        return earlier


def appointment_by_manage_token(
    session: Session, token: str, *, for_update: bool = False
) -> Appointment:
    """The appointment a manage link belongs to; AppointmentNotFound for any other token."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise AppointmentNotFound()
    query = sa.select(Appointment).where(Appointment.manage_token_hash == token_hash(token))
    if for_update:
        # Serialises a reschedule and a cancel of the same appointment (PostgreSQL; SQLite
        # already runs one writer at a time).
        query = query.with_for_update()
    appointment = session.scalars(query).one_or_none()
    if appointment is None:
        raise AppointmentNotFound()
    return appointment


def reschedule_appointment(
    session: Session,
    *,
    keyring: Keyring,
    clock: Clock,
    token: str,
    new_start: datetime,
    actor: str = PUBLIC_ACTOR,
) -> Appointment:
    """Move the appointment to `new_start` atomically: the new claims in, the old ones out.

    If the new time cannot be had, nothing changes and SlotTaken (or the broken rule) is raised.
    """
    appointment = appointment_by_manage_token(session, token, for_update=True)
    now = clock.now()
    _require_changeable(appointment, now)
    if new_start == appointment.starts_at:
        return appointment
    with session.begin_nested():
        # Out first, so a move by less than the duration can reuse the appointment's own time.
        release_claims(session, appointment.id)
        slot, _ = free_slot(
            session,
            office_id=appointment.office_id,
            service_id=appointment.service_id,
            starts_at=new_start,
            interpreter_language=appointment.interpreter_language,
            now=now,
        )
        claim_first_free(
            session,
            slot,
            now,
            lambda resource_id: insert_claims(
                session, slot, resource_id, appointment_id=appointment.id
            ),
        )
        appointment.starts_at = slot.starts_at
        appointment.ends_at = slot.ends_at
        appointment.updated_at = now
        session.flush()
    tag_keys = _tag_keys(session, keyring, appointment.person_id)
    _record_in_ledger(session, BookingEvent.RESCHEDULED, appointment, actor, now, tag_keys)
    return appointment


def cancel_appointment(
    session: Session, *, keyring: Keyring, clock: Clock, token: str, actor: str = PUBLIC_ACTOR
) -> Appointment:
    """Cancel the appointment and free its time; cancelling a cancelled one changes nothing."""
    appointment = appointment_by_manage_token(session, token, for_update=True)
    if appointment.status == AppointmentStatus.CANCELLED:
        return appointment
    now = clock.now()
    _require_changeable(appointment, now)
    release_claims(session, appointment.id)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.updated_at = now
    session.flush()
    tag_keys = _tag_keys(session, keyring, appointment.person_id)
    _record_in_ledger(session, BookingEvent.CANCELLED, appointment, actor, now, tag_keys)
    return appointment


def _tag_keys(session: Session, keyring: Keyring, person_id: int) -> list[bytes]:
    """The person's subject tag key for the ledger (none once shredded on schedule)."""
    try:
        return [person_tag_key(session, keyring, person_id)]
    except PersonGone:  # nothing left to recognise them by
        return []


def _record_in_ledger(
    session: Session,
    event: BookingEvent,
    appointment: Appointment,
    actor: str,
    now: datetime,
    tag_keys: list[bytes],
) -> None:
    """The one place each action records itself in the ledger, in the same transaction.

    Called as the action's last write: on PostgreSQL the sequencer's lock is held from the
    append until the commit, so nothing may come between them that other writers would wait
    on. The entry names the office and service; the person appears only as their subject tag.
    """
    append(
        session,
        event,
        actor=actor,
        time=now,
        subject_tag_keys=tag_keys,
        office=appointment.office_id,
        service=appointment.service_id,
    )


def _book(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    request: BookingRequest,
    base_url: str,
    key_hash: str | None,
    fingerprint: str,
    actor: str,
) -> Booking:
    now = clock.now()
    hold = _live_hold(session, request.hold_token, now) if request.hold_token else None
    slot: Slot | None = None
    if hold is not None:
        _require_hold_matches(hold, request)
        starts_at, ends_at = hold.starts_at, hold.ends_at
        office, service = summaries(
            *_office_and_service(session, request.office_id, request.service_id)
        )
    else:
        slot, schedule = free_slot(
            session,
            office_id=request.office_id,
            service_id=request.service_id,
            starts_at=request.starts_at,
            interpreter_language=request.interpreter_language,
            now=now,
        )
        starts_at, ends_at = slot.starts_at, slot.ends_at
        office, service = schedule_summaries(schedule)
    person_data = PersonData(
        name=request.name,
        phone=request.phone,
        email=request.email,
        accommodation_note=request.accommodation_note,
    )

    def write(claim: Callable[[Appointment], None]) -> _Written:
        """The person, the appointment and its claims; the caller holds the SAVEPOINT."""
        person = seal_person(session, keyring, clock, person_data)
        # Now, while the new record is in the session: later it would be read back.
        tag_keys = _tag_keys(session, keyring, person.id)
        manage_token = new_secret_token()
        appointment = Appointment(
            office_id=office.id,
            service_id=service.id,
            person_id=person.id,
            starts_at=starts_at,
            ends_at=ends_at,
            status=AppointmentStatus.BOOKED,
            language=request.language,
            interpreter_language=request.interpreter_language,
            accommodations=[str(a) for a in request.accommodations],
            confirmation_code=new_confirmation_code(),
            manage_token_hash=token_hash(manage_token),
            idempotency_key_hash=key_hash,
            created_at=now,
            updated_at=now,
        )
        view = view_of(appointment, office, service, person_data, base_url, manage_token)
        if key_hash is not None:
            appointment.idempotent_response = idempotency.seal_answer(
                session, keyring, person.id, fingerprint, view
            )
        session.add(appointment)
        session.flush()
        claim(appointment)
        return _Written(appointment, view, tag_keys)

    for _attempt in range(_CODE_ATTEMPTS):
        try:
            if hold is not None:
                with session.begin_nested():
                    written = write(lambda a: convert_hold(session, hold, a.id))
            else:
                assert slot is not None
                written = claim_first_free(
                    session,
                    slot,
                    now,
                    lambda resource_id: write(
                        lambda a: insert_claims(session, slot, resource_id, appointment_id=a.id)
                    ),
                )
        except IntegrityError as exc:
            if key_hash is not None and violates(exc, "idempotency_key_hash"):
                # The same request committed in another transaction just now.
                earlier = _replay(session, keyring, clock, key_hash, fingerprint)
                if earlier is not None:
                    return earlier
            if violates(exc, "confirmation_code"):
                continue
            raise
        appointment = written.appointment
        _record_in_ledger(session, BookingEvent.BOOKED, appointment, actor, now, written.tag_keys)
        return Booking(appointment=appointment, view=written.view, replayed=False)
    raise RuntimeError("could not draw an unused confirmation code")  # ~never: 30^8 codes


def _check_request(request: BookingRequest) -> None:
    if (request.phone is None) == (request.email is None):
        raise BookingRequestInvalid(
            "give exactly one way to reach you: 'phone' or 'email'", field="phone"
        )
    asks_interpreter = Accommodation.INTERPRETER in request.accommodations
    if asks_interpreter and request.interpreter_language is None:
        raise BookingRequestInvalid(
            "say which language the interpreter is for in 'interpreter_language'",
            field="interpreter_language",
        )
    if request.interpreter_language is not None and not asks_interpreter:
        raise BookingRequestInvalid(
            "'interpreter_language' is only for an interpreter: add 'interpreter' to "
            "'accommodations' or leave it out",
            field="interpreter_language",
        )


def _replay(
    session: Session, keyring: Keyring, clock: Clock, key_hash: str, fingerprint: str
) -> Booking | None:
    earlier = idempotency.earlier_answer(session, keyring, clock, key_hash, fingerprint)
    if earlier is None:
        return None
    return Booking(appointment=earlier.appointment, view=earlier.view, replayed=True)


def _live_hold(session: Session, token: str, now: datetime) -> Hold | None:
    # An unknown or expired hold books like no hold at all: the slot may still be free, and the
    # guard decides either way. Locked so two submits of one hold cannot both convert it.
    return session.scalars(
        sa.select(Hold)
        .where(Hold.token_hash == token_hash(token), Hold.expires_at > now)
        .with_for_update()
    ).one_or_none()


def _require_hold_matches(hold: Hold, request: BookingRequest) -> None:
    if (
        hold.office_id != request.office_id
        or hold.service_id != request.service_id
        or hold.starts_at != request.starts_at
        or hold.interpreter_language != request.interpreter_language
    ):
        raise HoldDoesNotMatch()


def _require_changeable(appointment: Appointment, now: datetime) -> None:
    if appointment.status == AppointmentStatus.CANCELLED:
        raise AppointmentCancelled()
    if appointment.status != AppointmentStatus.BOOKED or appointment.starts_at <= now:
        raise AppointmentOver()


def _office_and_service(
    session: Session, office_id: int, service_id: int
) -> tuple[Office, Service]:
    row = session.execute(
        sa.select(Office, Service)
        .join(Service, Service.office_id == Office.id)
        .where(Office.id == office_id, Service.id == service_id)
    ).one_or_none()
    if row is None:  # availability has checked both; only a concurrent delete gets here
        raise NotFound("this office offers no such service", field="service_id")
    office, service = row
    return office, service
