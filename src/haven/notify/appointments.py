"""Messages about appointments: what is owed is read from the appointments themselves.

The worker's sweep queues, once each (the outbox's key): a confirmation for every new booking,
a reminder `reminder_hours` before (unless the booking came later than that: its confirmation
is the reminder), a notice of each new time when an appointment is moved, and a notice when the
office closes on a booked day. Deriving them from the
appointments, rather than from each place that books, means no path that books (public page,
API, staff, waitlist) can forget to confirm.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.notify.ical import CalendarEvent, calendar_file
from haven.notify.models import MessageKind, OutboundMessage
from haven.notify.service import Content, SendEnv, queue_message, register_content
from haven.notify.texts import MessageFacts
from haven.scheduling.models import Appointment, AppointmentStatus, Closure

# A booking older than this when first swept gets no confirmation (e.g. the first start of
# the worker on an existing database): a late confirmation confuses more than it helps.
CONFIRM_WITHIN = timedelta(days=1)


def appointment_key(appointment_id: int, kind: MessageKind, suffix: str = "") -> str:
    return f"appointment:{appointment_id}:{kind}{':' + suffix if suffix else ''}"


def appointment_event(appointment: Appointment, stamp: datetime, base_url: str) -> CalendarEvent:
    """The appointment's calendar entry (what the .ics attached to its emails says)."""
    host = urlsplit(base_url).hostname or "haven"
    return CalendarEvent(
        uid=f"appointment-{appointment.id}@{host}",
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        stamp=stamp,
        summary=f"{appointment.service.name}, {appointment.office.name}",
        location=appointment.office.address,
        description=f"Confirmation code {appointment.confirmation_code}.",
        sequence=int((appointment.updated_at - appointment.created_at).total_seconds()),
        cancelled=appointment.status == AppointmentStatus.CANCELLED,
    )


def sweep_appointments(session: Session, clock: Clock, *, reminder_hours: int) -> int:
    """Queue the confirmations, reminders and closure notices now owed; how many are new."""
    now = clock.now()
    upcoming = list(
        session.scalars(
            sa.select(Appointment).where(
                Appointment.status == AppointmentStatus.BOOKED, Appointment.starts_at > now
            )
        )
    )
    already = _queued_keys(session, [a.id for a in upcoming])
    reminder_lead = timedelta(hours=reminder_hours)
    owed: list[tuple[Appointment, MessageKind, str, datetime]] = []
    for appointment in upcoming:
        if appointment.created_at >= now - CONFIRM_WITHIN:
            owed.append((appointment, MessageKind.CONFIRMATION, "", appointment.created_at))
        reminder_at = appointment.starts_at - reminder_lead
        if reminder_at <= now and appointment.created_at < reminder_at:
            owed.append((appointment, MessageKind.REMINDER, "", reminder_at))
        if appointment.updated_at > appointment.created_at:
            # Moved (by the person or the office): one notice per new time.
            moved_to = appointment.starts_at.strftime("%Y%m%dT%H%M%SZ")
            owed.append((appointment, MessageKind.CHANGED, moved_to, appointment.updated_at))
        for closure_id in _closures_on(session, appointment):
            owed.append((appointment, MessageKind.OFFICE_CLOSED, str(closure_id), now))
    new = 0
    for appointment, kind, suffix, due in owed:
        key = appointment_key(appointment.id, kind, suffix)
        if key in already:
            continue
        queue_message(
            session,
            clock,
            key=key,
            person_id=appointment.person_id,
            kind=kind,
            language=appointment.language,
            due_at=due,
            office_id=appointment.office_id,
            appointment_id=appointment.id,
        )
        new += 1
    return new


def _queued_keys(session: Session, appointment_ids: list[int]) -> set[str]:
    if not appointment_ids:
        return set()
    return set(
        session.scalars(
            sa.select(OutboundMessage.idempotency_key).where(
                OutboundMessage.appointment_id.in_(appointment_ids)
            )
        )
    )


def _closures_on(session: Session, appointment: Appointment) -> list[int]:
    local_day = appointment.starts_at.astimezone(ZoneInfo(appointment.office.timezone)).date()
    return list(
        session.scalars(
            sa.select(Closure.id).where(
                Closure.office_id == appointment.office_id,
                Closure.starts_on <= local_day,
                Closure.ends_on >= local_day,
            )
        )
    )


def _appointment_content(
    session: Session, message: OutboundMessage, clock: Clock, env: SendEnv
) -> Content | None:
    base_url = env.base_url
    if message.appointment_id is None:
        return None
    appointment = session.get_one(Appointment, message.appointment_id)
    if appointment.status != AppointmentStatus.BOOKED or appointment.starts_at <= clock.now():
        return None  # cancelled or past: nothing to confirm or remind of any more
    facts = MessageFacts(
        office=appointment.office.name,
        address=appointment.office.address,
        service=appointment.service.name,
        starts_at=appointment.starts_at,
        timezone=appointment.office.timezone,
        link=f"{base_url}/offices/{appointment.office.slug}",
    )
    calendar = calendar_file(appointment_event(appointment, clock.now(), base_url))
    return Content(facts, calendar)


for _kind in (
    MessageKind.CONFIRMATION,
    MessageKind.REMINDER,
    MessageKind.CHANGED,
    MessageKind.OFFICE_CLOSED,
):
    register_content(_kind, _appointment_content)
