"""What staff pages show about people, read through the vault's one purpose-bound function.

Each page view that shows names is ONE `read_people` call (one ledger entry with every shown
record's tag), followed by the unusual-access check. Pages without a purpose show no names.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.access.alerts import AlertKind, note_reads, raise_alert
from haven.access.models import Role
from haven.access.principal import StaffPrincipal
from haven.access.scope import (
    DayWindow,
    appointments_in,
    local_today,
    week_window,
    within_opening_hours,
)
from haven.clock import Clock
from haven.config import Settings
from haven.errors import Forbidden, NotFound
from haven.scheduling.models import Appointment, AppointmentStatus, Office
from haven.vault.keys import Keyring
from haven.vault.reads import PeopleRead, ReadPurpose, check_break_glass_reason, read_people

# The purposes each role may read for; anything else is refused before a record is touched.
PURPOSES_BY_ROLE: dict[Role, frozenset[ReadPurpose]] = {
    Role.CLERK: frozenset({ReadPurpose.FRONT_DESK_CHECK_IN, ReadPurpose.SERVE_VISIT}),
    Role.MANAGER: frozenset(
        {
            ReadPurpose.FRONT_DESK_CHECK_IN,
            ReadPurpose.SERVE_VISIT,
            ReadPurpose.RESCHEDULE_ON_REQUEST,
        }
    ),
}


class PurposeNotAllowed(Forbidden):
    code = "purpose_not_allowed"

    def __init__(self) -> None:
        super().__init__("your role may not read personal data for this purpose", field="purpose")


@dataclass(frozen=True)
class DeskRow:
    """One appointment on the clerk's list; name and note only when a purpose showed them."""

    appointment_id: int
    starts_at: datetime
    ends_at: datetime
    service_name: str
    language: str
    interpreter_language: str | None
    accommodations: tuple[str, ...]
    status: AppointmentStatus
    name: str | None = None
    accommodation_note: str | None = None
    gone: bool = False


@dataclass(frozen=True)
class OpenedRecord:
    appointment: Appointment
    name: str
    phone: str | None
    email: str | None
    accommodation_note: str | None
    break_glass: bool


def require_purpose(principal: StaffPrincipal, role: Role, purpose: ReadPurpose) -> None:
    if role not in principal.roles or purpose not in PURPOSES_BY_ROLE.get(role, frozenset()):
        raise PurposeNotAllowed()


def desk_rows(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    settings: Settings,
    principal: StaffPrincipal,
    office: Office,
    window: DayWindow,
    *,
    purpose: ReadPurpose | None,
) -> list[DeskRow]:
    """The office's appointments in the window; with a purpose, one recorded read of names."""
    appointments = [
        a
        for a in appointments_in(session, office, window)
        if a.status != AppointmentStatus.CANCELLED
    ]
    read = None
    if purpose is not None and appointments:
        require_purpose(principal, Role.CLERK, purpose)
        read = _staff_read(
            session,
            keyring,
            clock,
            settings,
            principal,
            office,
            purpose,
            [a.person_id for a in appointments],
            context="clerk-day",
        )
    return [_row(a, read) for a in appointments]


def visit_row(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    settings: Settings,
    principal: StaffPrincipal,
    office: Office,
    appointment: Appointment,
) -> DeskRow:
    """One visit being served: its row with name and accommodation note (one recorded read)."""
    require_purpose(principal, Role.CLERK, ReadPurpose.SERVE_VISIT)
    read = _staff_read(
        session,
        keyring,
        clock,
        settings,
        principal,
        office,
        ReadPurpose.SERVE_VISIT,
        [appointment.person_id],
        context="clerk-visit",
    )
    return _row(appointment, read)


def open_record(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    settings: Settings,
    principal: StaffPrincipal,
    *,
    confirmation_code: str,
    purpose: ReadPurpose,
    reason: str | None,
) -> OpenedRecord:
    """A manager opens one appointment's record by its confirmation code, with a purpose.

    In one of their offices that is an ordinary read; anywhere else it is break-glass: it needs
    a written reason, is recorded under its own ledger kind, and alerts the privacy officer.
    """
    require_purpose(principal, Role.MANAGER, purpose)
    appointment = session.scalars(
        sa.select(Appointment).where(Appointment.confirmation_code == confirmation_code.upper())
    ).one_or_none()
    in_scope = appointment is not None and principal.may_act_in(appointment.office_id, Role.MANAGER)
    if not in_scope:
        if reason is None or not reason.strip():
            # Same answer whether or not the code exists elsewhere: no probing other offices.
            raise NotFound(
                "no appointment with this code in your offices; to open one elsewhere, "
                "write why (break-glass)",
                field="confirmation_code",
            )
        reason = check_break_glass_reason(reason)
    if appointment is None:
        raise NotFound("no appointment has this confirmation code", field="confirmation_code")
    office = session.get(Office, appointment.office_id)
    assert office is not None
    read = _staff_read(
        session,
        keyring,
        clock,
        settings,
        principal,
        office,
        purpose,
        [appointment.person_id],
        context="manager-record",
        break_glass_reason=None if in_scope else reason,
    )
    person = read.person(appointment.person_id)
    if not in_scope:
        raise_alert(
            session,
            clock,
            kind=AlertKind.BREAK_GLASS,
            staff_actor=principal.actor,
            office_id=office.id,
            records=1,
            reason=reason,
            ledger_index=read.ledger_index,
        )
    return OpenedRecord(
        appointment=appointment,
        name=person.name,
        phone=person.phone,
        email=person.email,
        accommodation_note=person.accommodation_note,
        break_glass=not in_scope,
    )


@dataclass(frozen=True)
class WeekLoad:
    """Appointments per day and service for one office-local week: counts, never names."""

    days: tuple[date, ...]
    services: tuple[str, ...]
    counts: dict[tuple[date, str], int]

    def total(self, day: date) -> int:
        return sum(n for (d, _s), n in self.counts.items() if d == day)


def week_load(session: Session, office: Office, monday: date) -> WeekLoad:
    window = week_window(office, monday)
    rows = session.execute(
        sa.select(Appointment.starts_at, Appointment.service_id).where(
            Appointment.office_id == office.id,
            Appointment.starts_at >= window.starts_at,
            Appointment.starts_at < window.ends_at,
            Appointment.status != AppointmentStatus.CANCELLED,
        )
    ).all()
    names = {s.id: s.name for s in office.services}
    counts: Counter[tuple[date, str]] = Counter()
    for starts_at, service_id in rows:
        counts[(local_today(office, starts_at), names.get(service_id, "?"))] += 1
    return WeekLoad(window.days, tuple(sorted(names.values())), dict(counts))


def _staff_read(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    settings: Settings,
    principal: StaffPrincipal,
    office: Office,
    purpose: ReadPurpose,
    person_ids: list[int],
    *,
    context: str,
    break_glass_reason: str | None = None,
) -> PeopleRead:
    read = read_people(
        session,
        keyring,
        clock,
        actor=principal.actor,
        purpose=purpose,
        person_ids=person_ids,
        context=context,
        refs=[f"office:{office.id}"],
        break_glass_reason=break_glass_reason,
    )
    note_reads(
        session,
        clock,
        staff_actor=principal.actor,
        office_id=office.id,
        records=len(read.people),
        within_hours=within_opening_hours(session, office, clock.now()),
        factor=settings.unusual_read_factor,
        minimum=settings.unusual_read_minimum,
    )
    return read


def _row(appointment: Appointment, read: PeopleRead | None) -> DeskRow:
    name = note = None
    gone = False
    if read is not None:
        if appointment.person_id in read.gone:
            gone = True
        else:
            person = read.people[appointment.person_id]
            name, note = person.name, person.accommodation_note
    return DeskRow(
        appointment_id=appointment.id,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        service_name=appointment.service.name,
        language=appointment.language,
        interpreter_language=appointment.interpreter_language,
        accommodations=tuple(appointment.accommodations),
        status=appointment.status,
        name=name,
        accommodation_note=note,
        gone=gone,
    )
