"""Front-desk actions: check in, mark served or no-show, add a walk-in. Each is a named action
that writes its row and its ledger entry (the person as a subject tag) in one transaction."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.errors import Conflict, Invalid
from haven.ledger.store import append
from haven.scheduling import walk_in_queue
from haven.scheduling.events import DeskEvent
from haven.scheduling.models import Appointment, AppointmentStatus, Office, Service
from haven.scheduling.tokens import new_confirmation_code, new_secret_token, token_hash
from haven.vault.errors import PersonGone
from haven.vault.keys import Keyring
from haven.vault.service import PersonData, person_tag_key, seal_person

MAX_NAME_LENGTH = 200


# Which status each action moves from, and to.
_MOVES: dict[DeskEvent, tuple[frozenset[AppointmentStatus], AppointmentStatus]] = {
    DeskEvent.CHECKED_IN: (frozenset({AppointmentStatus.BOOKED}), AppointmentStatus.CHECKED_IN),
    DeskEvent.SERVED: (
        frozenset({AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN}),
        AppointmentStatus.SERVED,
    ),
    DeskEvent.NO_SHOW: (frozenset({AppointmentStatus.BOOKED}), AppointmentStatus.NO_SHOW),
}


class StatusChangeRefused(Conflict):
    code = "status_change_refused"


class WalkInInvalid(Invalid):
    pass


def check_in(
    session: Session, keyring: Keyring, clock: Clock, *, actor: str, appointment: Appointment
) -> None:
    """The person arrived for their appointment; they join the walk-in queue at its time."""
    _move(session, keyring, clock, actor, appointment, DeskEvent.CHECKED_IN)
    walk_in_queue.join_for_appointment(session, clock, actor=actor, appointment=appointment)


def mark_served(
    session: Session, keyring: Keyring, clock: Clock, *, actor: str, appointment: Appointment
) -> None:
    _move(session, keyring, clock, actor, appointment, DeskEvent.SERVED)


def mark_no_show(
    session: Session, keyring: Keyring, clock: Clock, *, actor: str, appointment: Appointment
) -> None:
    """The person did not come; only once their time has started."""
    if appointment.starts_at > clock.now():
        raise StatusChangeRefused("an appointment can be marked no-show once its time has come")
    _move(session, keyring, clock, actor, appointment, DeskEvent.NO_SHOW)


def add_walk_in(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    *,
    actor: str,
    office: Office,
    service_id: int,
    name: str,
    language: str,
) -> Appointment:
    """A walk-in: an appointment starting now, checked in, with a name and nothing else."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise WalkInInvalid(f"give a name of 1 to {MAX_NAME_LENGTH} characters", field="name")
    service = session.get(Service, service_id)
    if service is None or service.office_id != office.id or not service.active:
        raise WalkInInvalid("choose one of this office's services", field="service")
    if language not in office.languages:
        raise WalkInInvalid("choose a language this office speaks", field="language")
    now = clock.now()
    person = seal_person(session, keyring, clock, PersonData(name=name))
    appointment = Appointment(
        office_id=office.id,
        service_id=service.id,
        person_id=person.id,
        starts_at=now,
        ends_at=now + timedelta(minutes=service.duration_minutes),
        status=AppointmentStatus.CHECKED_IN,
        language=language,
        interpreter_language=None,
        accommodations=[],
        confirmation_code=new_confirmation_code(),
        # Nobody gets a manage link for a walk-in; the column still needs a unique value.
        manage_token_hash=token_hash(new_secret_token()),
        created_at=now,
        updated_at=now,
    )
    session.add(appointment)
    session.flush()
    _record(session, keyring, clock, actor, appointment, DeskEvent.WALK_IN)
    walk_in_queue.join_for_appointment(session, clock, actor=actor, appointment=appointment)
    return appointment


def _move(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    actor: str,
    appointment: Appointment,
    event: DeskEvent,
) -> None:
    allowed_from, to = _MOVES[event]
    if appointment.status not in allowed_from:
        raise StatusChangeRefused(
            f"this appointment is {appointment.status.value.replace('_', ' ')}; it cannot be "
            f"marked {to.value.replace('_', ' ')}",
            field="status",
        )
    appointment.status = to
    appointment.updated_at = clock.now()
    session.flush()
    _record(session, keyring, clock, actor, appointment, event)


def _record(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    actor: str,
    appointment: Appointment,
    event: DeskEvent,
) -> None:
    try:
        tags = [person_tag_key(session, keyring, appointment.person_id)]
    except PersonGone:
        tags = []
    append(
        session,
        event,
        actor=actor,
        time=clock.now(),
        # No appointment id, as for bookings: it would link one visit's entries together in
        # the public log; the person's own tag finds them for the person alone.
        subject_tag_keys=tags,
        office=appointment.office_id,
        service=appointment.service_id,
    )
