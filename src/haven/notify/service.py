"""The outbox's actions: queue a message once, and deliver what is due with retries.

`queue_message` is idempotent per key ("appointment:12:reminder"): a second call returns the
first row, so a message can be queued from several places (a booking, the worker's sweep, a
retry) and still goes out once. `deliver_due` takes due messages under a lease (two workers
never take the same one), reads the contacts in ONE recorded read for the batch, sends outside
the transaction, and records the outcome: sent, or tried again after an exponentially growing
pause, or failed for good after `max_attempts` (the office manager sees it).

A worker that dies between sending and recording sends that message again once its lease runs
out: delivery is at least once, and only such a crash can repeat one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import Clock
from haven.db import unit_of_work
from haven.notify.models import Channel, MessageKind, MessageStatus, OutboundMessage
from haven.notify.senders import DeliveryFailed, Email, Senders, Sms
from haven.notify.texts import MessageFacts, render
from haven.vault.keys import Keyring
from haven.vault.reads import PeopleRead, ReadPurpose, read_people

WORKER_ACTOR = "worker:messages"
LEASE = timedelta(minutes=5)
BATCH = 50


@dataclass(frozen=True)
class Content:
    """What a message is about, gathered at send time (no personal data)."""

    facts: MessageFacts
    calendar: bytes | None = None


@dataclass(frozen=True)
class SendEnv:
    """What a content builder may use besides the database: where links point, and the keys
    (a waitlist offer's link carries a token derived under them)."""

    base_url: str
    keyring: Keyring


# Builds a message's content from its row, or None when there is nothing to say any more
# (the appointment was cancelled). Registered per kind by the modules that queue them.
ContentBuilder = Callable[[Session, OutboundMessage, Clock, SendEnv], Content | None]
_builders: dict[MessageKind, ContentBuilder] = {}


def register_content(kind: MessageKind, builder: ContentBuilder) -> None:
    _builders[kind] = builder


def queue_message(
    session: Session,
    clock: Clock,
    *,
    key: str,
    person_id: int,
    kind: MessageKind,
    language: str,
    due_at: datetime,
    office_id: int | None = None,
    appointment_id: int | None = None,
) -> OutboundMessage:
    """Queue a message once per `key`; queueing the same key again returns the first one."""
    existing = _by_key(session, key)
    if existing is not None:
        return existing
    now = clock.now()
    message = OutboundMessage(
        idempotency_key=key,
        person_id=person_id,
        office_id=office_id,
        appointment_id=appointment_id,
        kind=str(kind),
        language=language,
        due_at=due_at,
        attempts=0,
        next_attempt_at=due_at,
        status=str(MessageStatus.PENDING),
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
    except IntegrityError:
        # Another transaction queued the same key just now (PostgreSQL): theirs stands.
        earlier = _by_key(session, key)
        if earlier is None:
            raise
        return earlier
    return message


def _by_key(session: Session, key: str) -> OutboundMessage | None:
    return session.scalars(
        sa.select(OutboundMessage).where(OutboundMessage.idempotency_key == key)
    ).one_or_none()


@dataclass(frozen=True)
class _Delivery:
    message_id: int
    channel: Channel
    email: Email | None = None
    sms: Sms | None = None


@dataclass(frozen=True)
class DeliveryRound:
    sent: int
    retried: int
    failed: int
    dropped: int


def deliver_due(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: Clock,
    senders: Senders,
    *,
    max_attempts: int,
    backoff: timedelta,
    base_url: str,
) -> DeliveryRound:
    """Send every message that is due now; returns counts only (the worker logs them)."""
    counts: Counter[str] = Counter()
    while True:
        with unit_of_work(sessions) as session:
            deliveries, dropped = _take_batch(session, keyring, clock, base_url.rstrip("/"))
        counts["dropped"] += dropped
        if not deliveries and not dropped:
            break
        outcomes = {d.message_id: _send(d, senders) for d in deliveries}
        with unit_of_work(sessions) as session:
            for delivery in deliveries:
                outcome = _record_outcome(
                    session, clock, delivery, outcomes[delivery.message_id], max_attempts, backoff
                )
                counts[outcome] += 1
    return DeliveryRound(counts["sent"], counts["retried"], counts["failed"], counts["dropped"])


def _take_batch(
    session: Session, keyring: Keyring, clock: Clock, base_url: str
) -> tuple[list[_Delivery], int]:
    now = clock.now()
    query = (
        sa.select(OutboundMessage)
        .where(
            OutboundMessage.status == str(MessageStatus.PENDING),
            OutboundMessage.next_attempt_at <= now,
            sa.or_(OutboundMessage.leased_until.is_(None), OutboundMessage.leased_until <= now),
        )
        .order_by(OutboundMessage.next_attempt_at, OutboundMessage.id)
        .limit(BATCH)
        # Two workers on PostgreSQL pass each other's rows by; SQLite runs one writer anyway.
        .with_for_update(skip_locked=True)
    )
    messages = list(session.scalars(query))
    if not messages:
        return [], 0
    for message in messages:
        message.leased_until = now + LEASE
        message.attempts += 1
    read = read_people(
        session,
        keyring,
        clock,
        actor=WORKER_ACTOR,
        purpose=ReadPurpose.SEND_MESSAGE,
        person_ids={m.person_id for m in messages},
        context="outbox",
    )
    deliveries: list[_Delivery] = []
    dropped = 0
    for message in messages:
        delivery = _prepare(session, clock, message, read, SendEnv(base_url, keyring))
        if delivery is None:
            message.status = str(MessageStatus.DROPPED)
            message.leased_until = None
            dropped += 1
        else:
            deliveries.append(delivery)
    session.flush()
    return deliveries, dropped


def _prepare(
    session: Session, clock: Clock, message: OutboundMessage, read: PeopleRead, env: SendEnv
) -> _Delivery | None:
    if message.person_id in read.gone:
        return None
    person = read.person(message.person_id)
    kind = MessageKind(message.kind)
    content = _builders[kind](session, message, clock, env)
    if content is None:
        return None
    if person.email is not None:
        text = render(kind, Channel.EMAIL, message.language, content.facts)
        email = Email(person.email, text.subject, text.body, content.calendar)
        return _Delivery(message.id, Channel.EMAIL, email=email)
    if person.phone is not None:
        text = render(kind, Channel.SMS, message.language, content.facts)
        return _Delivery(message.id, Channel.SMS, sms=Sms(person.phone, text.body))
    return None


def _send(delivery: _Delivery, senders: Senders) -> str | None:
    """None when sent, else the failure's reason (our own words)."""
    try:
        if delivery.email is not None:
            senders.email.send_email(delivery.email)
        elif delivery.sms is not None:
            senders.sms.send_sms(delivery.sms)
    except DeliveryFailed as failure:
        return failure.reason
    return None


def _record_outcome(
    session: Session,
    clock: Clock,
    delivery: _Delivery,
    error: str | None,
    max_attempts: int,
    backoff: timedelta,
) -> str:
    message = session.get_one(OutboundMessage, delivery.message_id)
    now = clock.now()
    message.leased_until = None
    message.channel = str(delivery.channel)
    if error is None:
        message.status = str(MessageStatus.SENT)
        message.sent_at = now
        message.last_error = None
        return "sent"
    message.last_error = error
    if message.attempts >= max_attempts:
        message.status = str(MessageStatus.FAILED)
        return "failed"
    message.next_attempt_at = now + backoff * (2 ** (message.attempts - 1))
    return "retried"


@dataclass(frozen=True)
class FailedMessage:
    """A message that could not be delivered, as the manager sees it: no address, no text."""

    message_id: int
    kind: str
    channel: str | None
    attempts: int
    last_error: str | None
    due_at: datetime
    appointment_id: int | None


@dataclass(frozen=True)
class OutboxSummary:
    counts: dict[str, int]
    failures: list[FailedMessage]


def office_outbox(session: Session, office_id: int, *, limit: int = 50) -> OutboxSummary:
    """Counts of the office's messages by status, and the latest that failed for good."""
    rows = session.execute(
        sa.select(OutboundMessage.status, sa.func.count())
        .where(OutboundMessage.office_id == office_id)
        .group_by(OutboundMessage.status)
    )
    counts = {str(status): 0 for status in MessageStatus}
    counts.update({status: int(n) for status, n in rows})
    failed = session.scalars(
        sa.select(OutboundMessage)
        .where(
            OutboundMessage.office_id == office_id,
            OutboundMessage.status == str(MessageStatus.FAILED),
        )
        .order_by(OutboundMessage.due_at.desc(), OutboundMessage.id.desc())
        .limit(limit)
    )
    failures = [
        FailedMessage(m.id, m.kind, m.channel, m.attempts, m.last_error, m.due_at, m.appointment_id)
        for m in failed
    ]
    return OutboxSummary(counts, failures)
