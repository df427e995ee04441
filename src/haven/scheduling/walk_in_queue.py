"""The walk-in queue: numbered tickets, one line per office and day, no names anywhere.

The clerk issues a ticket (service, language) to someone who walks in; an appointment that
checks in gets a ticket too, placed in line by its booked time, so both wait in one line. The
clerk calls the next ticket to a counter, then marks it served or no-show. Each step is a named
action with a ledger entry (office and service only). The person follows their place and the
estimated wait on their ticket's page; the waiting room's screen shows the numbers called.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.errors import Conflict, Invalid, NotFound
from haven.ledger.store import append
from haven.scheduling.events import QueueEvent
from haven.scheduling.models import Appointment, Office, Resource, ResourceKind, Service
from haven.scheduling.tokens import MAX_TOKEN_LENGTH, new_secret_token, token_hash
from haven.scheduling.waitlist_models import QueueTicket, TicketStatus

TICKET_PAGE_PATH = "/queue/tickets/{token}"
# Numbers drawn concurrently by two desks can clash on PostgreSQL; the loser draws again.
_NUMBER_ATTEMPTS = 5
DISPLAY_RECENT = 6


class TicketInvalid(Invalid):
    pass


class TicketNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no ticket matches this link", field="token")


class TicketStateRefused(Conflict):
    code = "ticket_state_refused"


@dataclass(frozen=True)
class IssuedTicket:
    ticket: QueueTicket
    token: str  # the ticket page's secret; shown once, only its hash is stored


def ticket_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + TICKET_PAGE_PATH.format(token=token)


def issue_ticket(
    session: Session,
    clock: Clock,
    *,
    actor: str,
    office: Office,
    service_id: int,
    language: str,
) -> IssuedTicket:
    """A ticket for someone who walked in: the next number, in line from now."""
    service = session.get(Service, service_id)
    if service is None or service.office_id != office.id or not service.active:
        raise TicketInvalid("choose one of this office's services", field="service")
    if language not in office.languages:
        raise TicketInvalid("choose a language this office speaks", field="language")
    return _add(session, clock, actor, office, service.id, language, None, clock.now())


def join_for_appointment(
    session: Session, clock: Clock, *, actor: str, appointment: Appointment
) -> IssuedTicket | None:
    """A checked-in appointment joins the line at its booked time (once; None if it has)."""
    existing = session.scalars(
        sa.select(QueueTicket.id).where(QueueTicket.appointment_id == appointment.id)
    ).first()
    if existing is not None:
        return None
    return _add(
        session,
        clock,
        actor,
        appointment.office,
        appointment.service_id,
        appointment.language,
        appointment.id,
        appointment.starts_at,
    )


def call_next(
    session: Session, clock: Clock, *, actor: str, office: Office, counter: str
) -> QueueTicket | None:
    """Call the first ticket waiting today (by its place in line) to `counter`; None if none."""
    counter = counter.strip()
    if not counter or len(counter) > 40:
        raise TicketInvalid("say which counter calls (up to 40 characters)", field="counter")
    ticket = session.scalars(
        _today(office, clock.now())
        .where(QueueTicket.status == str(TicketStatus.WAITING))
        .order_by(QueueTicket.queued_at, QueueTicket.number)
        .limit(1)
        .with_for_update()
    ).first()
    if ticket is None:
        return None
    ticket.status = str(TicketStatus.CALLED)
    ticket.called_at = clock.now()
    ticket.counter = counter
    session.flush()
    _record(session, clock, actor, ticket, QueueEvent.CALLED)
    return ticket


def finish(
    session: Session, clock: Clock, *, actor: str, office: Office, ticket_id: int, served: bool
) -> QueueTicket:
    """Mark a called ticket served, or a waiting or called ticket no-show."""
    ticket = session.get(QueueTicket, ticket_id, with_for_update=True)
    if ticket is None or ticket.office_id != office.id:
        raise NotFound("this office has no such ticket", field="ticket")
    allowed = {TicketStatus.CALLED} if served else {TicketStatus.WAITING, TicketStatus.CALLED}
    if TicketStatus(ticket.status) not in allowed:
        raise TicketStateRefused(
            f"ticket {ticket.number} is {ticket.status}; it cannot be marked "
            f"{'served' if served else 'no-show'}",
            field="ticket",
        )
    ticket.status = str(TicketStatus.SERVED if served else TicketStatus.NO_SHOW)
    ticket.finished_at = clock.now()
    session.flush()
    _record(session, clock, actor, ticket, QueueEvent.SERVED if served else QueueEvent.NO_SHOW)
    return ticket


@dataclass(frozen=True)
class TicketLine:
    id: int
    number: int
    service: str
    language: str
    status: str
    counter: str | None
    from_appointment: bool


@dataclass(frozen=True)
class QueueBoard:
    """Today's line at one office: who is called (numbers only) and who waits."""

    called: list[TicketLine]
    waiting: list[TicketLine]


def board(session: Session, office: Office, now: datetime) -> QueueBoard:
    rows = session.execute(
        _today(office, now)
        .add_columns(Service.name)
        .join(Service, Service.id == QueueTicket.service_id)
        .where(QueueTicket.status.in_([str(TicketStatus.WAITING), str(TicketStatus.CALLED)]))
        .order_by(QueueTicket.called_at.desc(), QueueTicket.queued_at, QueueTicket.number)
    ).all()
    lines = [
        (
            ticket,
            TicketLine(
                ticket.id,
                ticket.number,
                service_name,
                ticket.language,
                ticket.status,
                ticket.counter,
                ticket.appointment_id is not None,
            ),
        )
        for ticket, service_name in rows
    ]
    called = [line for t, line in lines if t.status == TicketStatus.CALLED][:DISPLAY_RECENT]
    waiting = sorted(
        (pair for pair in lines if pair[0].status == TicketStatus.WAITING),
        key=lambda pair: (pair[0].queued_at, pair[0].number),
    )
    return QueueBoard(called=called, waiting=[line for _, line in waiting])


@dataclass(frozen=True)
class TicketView:
    number: int
    status: str
    counter: str | None
    ahead: int
    estimated_wait: timedelta | None  # None once called or finished
    office_name: str


def ticket_view(session: Session, token: str, now: datetime) -> TicketView:
    """What the person sees on their ticket's page: place, estimated wait, or where to go."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise TicketNotFound()
    ticket = session.scalars(
        sa.select(QueueTicket).where(QueueTicket.token_hash == token_hash(token))
    ).one_or_none()
    if ticket is None:
        raise TicketNotFound()
    office = session.get_one(Office, ticket.office_id)
    if ticket.status != TicketStatus.WAITING:
        return TicketView(ticket.number, ticket.status, ticket.counter, 0, None, office.name)
    ahead_minutes = session.scalars(
        sa.select(Service.duration_minutes)
        .join(QueueTicket, QueueTicket.service_id == Service.id)
        .where(
            QueueTicket.office_id == ticket.office_id,
            QueueTicket.day == ticket.day,
            QueueTicket.status == str(TicketStatus.WAITING),
            sa.or_(
                QueueTicket.queued_at < ticket.queued_at,
                sa.and_(
                    QueueTicket.queued_at == ticket.queued_at, QueueTicket.number < ticket.number
                ),
            ),
        )
    ).all()
    counters = session.scalar(
        sa.select(sa.func.count())
        .select_from(Resource)
        .where(
            Resource.office_id == office.id,
            Resource.kind == ResourceKind.COUNTER,
            Resource.active.is_(True),
        )
    )
    # The services ahead, shared among the open counters: a plain estimate, said to be one.
    wait = timedelta(minutes=sum(ahead_minutes) / max(1, counters or 0))
    return TicketView(ticket.number, ticket.status, None, len(ahead_minutes), wait, office.name)


def _today(office: Office, now: datetime) -> sa.Select[QueueTicket]:
    day = now.astimezone(ZoneInfo(office.timezone)).date()
    return sa.select(QueueTicket).where(QueueTicket.office_id == office.id, QueueTicket.day == day)


def _add(
    session: Session,
    clock: Clock,
    actor: str,
    office: Office,
    service_id: int,
    language: str,
    appointment_id: int | None,
    queued_at: datetime,
) -> IssuedTicket:
    now = clock.now()
    day = now.astimezone(ZoneInfo(office.timezone)).date()
    for _attempt in range(_NUMBER_ATTEMPTS):
        last = session.scalar(
            sa.select(sa.func.max(QueueTicket.number)).where(
                QueueTicket.office_id == office.id, QueueTicket.day == day
            )
        )
        token = new_secret_token()
        ticket = QueueTicket(
            office_id=office.id,
            day=day,
            number=(last or 0) + 1,
            service_id=service_id,
            language=language,
            appointment_id=appointment_id,
            queued_at=queued_at,
            status=str(TicketStatus.WAITING),
            token_hash=token_hash(token),
        )
        try:
            with session.begin_nested():
                session.add(ticket)
                session.flush()
        except IntegrityError:
            continue  # another desk drew this number just now
        _record(session, clock, actor, ticket, QueueEvent.ISSUED)
        return IssuedTicket(ticket, token)
    raise Conflict("the queue is busy; please try again", field="service")


def _record(
    session: Session, clock: Clock, actor: str, ticket: QueueTicket, event: QueueEvent
) -> None:
    append(
        session,
        event,
        actor=actor,
        time=clock.now(),
        office=ticket.office_id,
        service=ticket.service_id,
    )
