"""Messages on both databases, through a real SMTP server and a real SMS webhook endpoint:
the confirmation with its .ics, the reminder, a closure notice, retries with back-off on the
manual clock, failure shown to the manager, and nothing sent twice (two rounds, two workers)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.ledger.models import LogEntry
from haven.notify.appointments import sweep_appointments
from haven.notify.jobs import run_messages
from haven.notify.models import MessageStatus, OutboundMessage
from haven.notify.senders import FileOutbox, Senders, SmtpEmailSender, WebhookSmsSender
from haven.notify.service import office_outbox
from haven.scheduling import booking
from haven.scheduling.models import Office, Service
from haven.vault.keys import Keyring
from haven.worker import WorkerContext
from tests import factories
from tests.notify.servers import Mailbox, SmsProvider, sms_webhook, smtp_server
from tests.scheduling.booking_support import (
    Desk,
    arrange_desk,
    booking_request,
    new_keyring,
    tuesday,
)

SECRET = b"test-webhook-secret-0123456789"


@pytest.fixture
def keyring() -> Keyring:
    return new_keyring()


@pytest.fixture
def desk(sessions: sessionmaker[Session]) -> Desk:
    return arrange_desk(sessions, counters=2)


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def provider() -> Iterator[tuple[SmsProvider, str]]:
    with sms_webhook(SECRET) as server:
        yield server


@pytest.fixture
def senders(
    mailbox: tuple[Mailbox, int], provider: tuple[SmsProvider, str], tmp_path: object
) -> Senders:
    return Senders(
        email=SmtpEmailSender(host="127.0.0.1", port=mailbox[1], security="none"),
        sms=WebhookSmsSender(provider[1], SECRET),
    )


@pytest.fixture
def context(
    settings: Settings, clock: ManualClock, sessions: sessionmaker[Session], keyring: Keyring
) -> WorkerContext:
    tuned = settings.model_copy(update={"message_max_attempts": 3, "message_backoff_seconds": 60})
    return WorkerContext(settings=tuned, clock=clock, sessions=sessions, keyring=keyring)


def _book(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
    hour: int,
    **contact: object,
) -> booking.Booking:
    with unit_of_work(sessions) as session:
        return booking.book_appointment(
            session,
            keyring=keyring,
            clock=clock,
            request=booking_request(desk, tuesday(hour), **contact),
            base_url="https://haven.example",
        )


def _messages(sessions: sessionmaker[Session]) -> list[OutboundMessage]:
    with unit_of_work(sessions) as session:
        rows = list(session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id)))
        session.expunge_all()
        return rows


BY_EMAIL = {"phone": None, "email": "ana@example.org"}


def test_the_confirmation_reaches_a_real_smtp_server_with_the_ics_attached(
    context: WorkerContext,
    senders: Senders,
    mailbox: tuple[Mailbox, int],
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
) -> None:
    _book(sessions, keyring, clock, desk, 9, **BY_EMAIL)
    assert run_messages(context, senders) == 1
    [received] = mailbox[0].received
    assert received["To"] == "ana@example.org"
    parts = {part.get_content_type(): part for part in received.walk()}
    calendar = parts["text/calendar"].get_payload(decode=True)
    assert isinstance(calendar, bytes)
    assert b"DTSTART:20261201T140000Z" in calendar
    assert b"Ana" not in calendar  # the .ics carries no personal data
    text = parts["text/plain"].get_payload(decode=True)
    assert isinstance(text, bytes)
    # The booking asked for Spanish: the time is written the Spanish way, in New York time.
    assert "dic 2026" in text.decode()
    assert "9:00" in text.decode()
    [message] = _messages(sessions)
    assert (message.kind, message.status, message.channel) == ("confirmation", "sent", "email")
    assert message.attempts == 1


def test_the_send_step_reads_the_contact_once_per_batch_for_its_purpose(
    context: WorkerContext,
    senders: Senders,
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
) -> None:
    _book(sessions, keyring, clock, desk, 9, **BY_EMAIL)
    _book(sessions, keyring, clock, desk, 10, **BY_EMAIL)
    run_messages(context, senders)
    with unit_of_work(sessions) as session:
        purposes = list(session.scalars(sa.select(LogEntry.data)))
    reads = [body for body in purposes if b"send the person a message they asked for" in body]
    assert len(reads) == 1


def test_an_sms_is_signed_and_says_only_when_and_where(
    context: WorkerContext,
    senders: Senders,
    provider: tuple[SmsProvider, str],
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
) -> None:
    _book(sessions, keyring, clock, desk, 9)  # by phone
    assert run_messages(context, senders) == 1
    server = provider[0]
    assert server.bad_signatures == 0
    [sms] = server.accepted
    assert sms["to"] == "+12025550143"
    with unit_of_work(sessions) as session:
        service_name = session.get_one(Service, desk.service_id).name
    assert service_name not in sms["body"]
    assert "Ana" not in sms["body"]
    assert "dic 2026" in sms["body"]


def test_a_wrong_secret_is_refused_by_the_endpoint_and_retried(
    context: WorkerContext,
    mailbox: tuple[Mailbox, int],
    provider: tuple[SmsProvider, str],
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
) -> None:
    wrong = Senders(
        email=SmtpEmailSender(host="127.0.0.1", port=mailbox[1], security="none"),
        sms=WebhookSmsSender(provider[1], b"not the shared secret"),
    )
    _book(sessions, keyring, clock, desk, 9)
    assert run_messages(context, wrong) == 0
    assert provider[0].bad_signatures == 1
    assert provider[0].accepted == []
    [message] = _messages(sessions)
    assert message.status == "pending"
    assert message.last_error == "sms webhook: the provider answered 401"


def test_retries_back_off_exponentially_then_fail_and_the_manager_sees_it(
    context: WorkerContext,
    senders: Senders,
    provider: tuple[SmsProvider, str],
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
) -> None:
    server = provider[0]
    server.fail_with = 503
    _book(sessions, keyring, clock, desk, 9)
    run_messages(context, senders)
    assert server.requests == 1
    clock.advance(timedelta(seconds=59))
    run_messages(context, senders)
    assert server.requests == 1  # not yet: the first pause is 60 s
    clock.advance(timedelta(seconds=1))
    run_messages(context, senders)
    assert server.requests == 2
    clock.advance(timedelta(seconds=119))
    run_messages(context, senders)
    assert server.requests == 2  # the second pause is twice as long
    clock.advance(timedelta(seconds=1))
    run_messages(context, senders)
    assert server.requests == 3
    clock.advance(timedelta(days=1))
    run_messages(context, senders)
    assert server.requests == 3  # three attempts allowed: given up
    [message] = _messages(sessions)
    assert (message.status, message.attempts) == ("failed", 3)
    with unit_of_work(sessions) as session:
        summary = office_outbox(session, desk.office_id)
    assert summary.counts["failed"] == 1
    assert summary.counts["sent"] == 0
    [failure] = summary.failures
    assert failure.last_error == "sms webhook: the provider answered 503"
    assert failure.channel == "sms"


def test_nothing_is_sent_twice_over_rounds(
    context: WorkerContext,
    senders: Senders,
    mailbox: tuple[Mailbox, int],
    provider: tuple[SmsProvider, str],
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
) -> None:
    _book(sessions, keyring, clock, desk, 9, **BY_EMAIL)
    _book(sessions, keyring, clock, desk, 10)
    assert run_messages(context, senders) == 2
    assert run_messages(context, senders) == 0
    clock.advance(timedelta(minutes=5))
    assert run_messages(context, senders) == 0
    assert len(mailbox[0].received) == 1
    assert len(provider[0].accepted) == 1


def test_two_workers_at_once_send_each_message_once(
    context: WorkerContext,
    senders: Senders,
    mailbox: tuple[Mailbox, int],
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
) -> None:
    for hour in (9, 10, 11, 12, 13, 14):
        _book(sessions, keyring, clock, desk, hour, **BY_EMAIL)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        start.wait()
        try:
            run_messages(context, senders)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(mailbox[0].received) == 6
    assert {m.status for m in _messages(sessions)} == {"sent"}


def test_the_reminder_goes_the_configured_hours_before(
    context: WorkerContext,
    senders: Senders,
    provider: tuple[SmsProvider, str],
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
) -> None:
    clock.set(tuesday(9) - timedelta(days=3))
    _book(sessions, keyring, clock, desk, 9)
    run_messages(context, senders)
    clock.set(tuesday(9) - timedelta(hours=24, seconds=1))
    run_messages(context, senders)
    assert [m.kind for m in _messages(sessions)] == ["confirmation"]
    clock.advance(timedelta(seconds=1))
    run_messages(context, senders)
    assert [m.kind for m in _messages(sessions)] == ["confirmation", "reminder"]
    assert len(provider[0].accepted) == 2
    # In the language the booking asked for (Spanish).
    assert "recordatorio" in provider[0].accepted[1]["body"]


def test_a_closure_on_a_booked_day_sends_a_notice_and_a_cancelled_booking_nothing(
    context: WorkerContext,
    senders: Senders,
    provider: tuple[SmsProvider, str],
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
) -> None:
    kept = _book(sessions, keyring, clock, desk, 9)
    gone = _book(sessions, keyring, clock, desk, 10, name="Bo Example")
    run_messages(context, senders)
    with unit_of_work(sessions) as session:
        booking.cancel_appointment(session, keyring=keyring, clock=clock, token=_token(gone))
        factories.closure(session, session.get_one(Office, desk.office_id), tuesday(9).date())
    run_messages(context, senders)
    sent = [(m.appointment_id, m.kind) for m in _messages(sessions)]
    assert sent == [
        (kept.appointment.id, "confirmation"),
        (gone.appointment.id, "confirmation"),
        (kept.appointment.id, "office-closed"),
    ]
    assert "cerrada" in provider[0].accepted[-1]["body"]  # Spanish, as booked


def test_a_message_for_a_booking_cancelled_before_it_went_is_dropped(
    context: WorkerContext,
    senders: Senders,
    provider: tuple[SmsProvider, str],
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
) -> None:
    gone = _book(sessions, keyring, clock, desk, 9)
    with unit_of_work(sessions) as session:
        assert sweep_appointments(session, clock, reminder_hours=24) == 1
        booking.cancel_appointment(session, keyring=keyring, clock=clock, token=_token(gone))
    assert run_messages(context, senders) == 0
    [message] = _messages(sessions)
    assert message.status == str(MessageStatus.DROPPED)
    assert provider[0].requests == 0


def _token(result: booking.Booking) -> str:
    return result.view.manage_url.rsplit("/", 1)[1]


def test_the_file_outbox_writes_one_file_per_message(
    context: WorkerContext,
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
    tmp_path: object,
) -> None:
    from pathlib import Path

    outbox = FileOutbox(Path(str(tmp_path)) / "outbox")
    _book(sessions, keyring, clock, desk, 9)
    _book(sessions, keyring, clock, desk, 10, **BY_EMAIL)
    assert run_messages(context, Senders(email=outbox, sms=outbox)) == 2
    names = sorted(p.suffix for p in outbox.directory.iterdir())
    assert names == [".eml", ".json"]


def test_a_moved_appointment_gets_one_notice_per_new_time_with_the_new_ics(
    context: WorkerContext,
    senders: Senders,
    mailbox: tuple[Mailbox, int],
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
) -> None:
    booked = _book(sessions, keyring, clock, desk, 9, **BY_EMAIL)
    run_messages(context, senders)
    for hour in (11, 13):
        clock.advance(timedelta(minutes=1))
        with unit_of_work(sessions) as session:
            booking.reschedule_appointment(
                session, keyring=keyring, clock=clock, token=_token(booked), new_start=tuesday(hour)
            )
        run_messages(context, senders)
        run_messages(context, senders)
    kinds = [m.kind for m in _messages(sessions)]
    assert kinds == ["confirmation", "changed", "changed"]
    received = mailbox[0].received
    assert len(received) == 3
    last = {part.get_content_type(): part for part in received[-1].walk()}
    calendar = last["text/calendar"].get_payload(decode=True)
    assert isinstance(calendar, bytes)
    assert b"DTSTART:20261201T180000Z" in calendar  # 13:00 in New York
