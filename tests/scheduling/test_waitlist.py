"""The waitlist on both databases: a freed slot is offered (as a hold) to the first person
waiting and to nobody else, accepting books it, two accepts at once book it once, an offer that
runs out passes the slot to the next person, and the offer's message carries a working link."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.errors import HavenError
from haven.notify.jobs import run_messages
from haven.notify.models import OutboundMessage
from haven.notify.senders import FileOutbox, Senders, WebhookSmsSender
from haven.scheduling import booking, waitlist
from haven.scheduling.models import Appointment, AppointmentStatus, Hold
from haven.scheduling.waitlist_models import WaitlistEntry
from haven.vault.keys import Keyring
from haven.worker import WorkerContext
from tests.notify.servers import sms_webhook
from tests.scheduling.booking_support import (
    Desk,
    arrange_desk,
    booking_request,
    new_keyring,
    tuesday,
)

TUESDAY = date(2026, 12, 1)
OFFER_FOR = timedelta(hours=2)
BASE_URL = "https://haven.example"


@pytest.fixture
def keyring() -> Keyring:
    return new_keyring()


@pytest.fixture
def desk(sessions: sessionmaker[Session]) -> Desk:
    return arrange_desk(sessions)


def _fill_tuesday(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk
) -> list[str]:
    """Book every half hour of Tuesday 9-17; the manage tokens."""
    tokens = []
    for slot in range(16):
        start = tuesday(9) + timedelta(minutes=30 * slot)
        with unit_of_work(sessions) as session:
            result = booking.book_appointment(
                session,
                keyring=keyring,
                clock=clock,
                request=booking_request(desk, start, name=f"Booked {slot}"),
                base_url=BASE_URL,
            )
        tokens.append(result.view.manage_url.rsplit("/", 1)[1])
    return tokens


def _join(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk, name: str
) -> int:
    request = waitlist.WaitlistRequest(
        office_id=desk.office_id,
        service_id=desk.service_id,
        first_day=TUESDAY,
        last_day=TUESDAY,
        language="vi",
        name=name,
        phone="+12025550177",
        email=None,
    )
    with unit_of_work(sessions) as session:
        return waitlist.join_waitlist(session, keyring, clock, request).id


def _offers(sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock) -> int:
    with unit_of_work(sessions) as session:
        waitlist.expire_offers(session, clock)
        return waitlist.offer_open_slots(session, keyring, clock, offer_for=OFFER_FOR)


def _entry(sessions: sessionmaker[Session], entry_id: int) -> WaitlistEntry:
    with unit_of_work(sessions) as session:
        entry = session.get_one(WaitlistEntry, entry_id)
        session.expunge(entry)
        return entry


def _token(keyring: Keyring, entry: WaitlistEntry) -> str:
    assert entry.offer_seed is not None
    return waitlist.offer_token(keyring, entry.offer_seed)


@pytest.fixture
def full_day(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk
) -> list[str]:
    return _fill_tuesday(sessions, keyring, clock, desk)


def _cancel(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, token: str
) -> None:
    with unit_of_work(sessions) as session:
        booking.cancel_appointment(session, keyring=keyring, clock=clock, token=token)


def test_a_freed_slot_is_offered_to_the_first_waiting_and_to_nobody_else(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
    full_day: list[str],
) -> None:
    first = _join(sessions, keyring, clock, desk, "First Waiting")
    second = _join(sessions, keyring, clock, desk, "Second Waiting")
    assert _offers(sessions, keyring, clock) == 0
    _cancel(sessions, keyring, clock, full_day[3])  # 10:30 frees
    assert _offers(sessions, keyring, clock) == 1
    assert _offers(sessions, keyring, clock) == 0  # the held slot is not offered again
    offered, waiting = _entry(sessions, first), _entry(sessions, second)
    assert (offered.status, waiting.status) == ("offered", "waiting")
    with unit_of_work(sessions) as session:
        hold = session.get_one(Hold, offered.hold_id)
        assert hold.starts_at == tuesday(10, 30)
        assert hold.expires_at == clock.now() + OFFER_FOR
        # Nobody else can book it while it is offered.
        with pytest.raises(booking.SlotTaken):
            booking.book_appointment(
                session,
                keyring=keyring,
                clock=clock,
                request=booking_request(desk, tuesday(10, 30)),
                base_url=BASE_URL,
            )
        kinds = list(session.scalars(sa.select(OutboundMessage.kind)))
    assert kinds.count("waitlist-offer") == 1


def test_accepting_books_the_held_slot_and_a_second_accept_is_gone(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
    full_day: list[str],
) -> None:
    entry_id = _join(sessions, keyring, clock, desk, "First Waiting")
    _cancel(sessions, keyring, clock, full_day[0])
    _offers(sessions, keyring, clock)
    token = _token(keyring, _entry(sessions, entry_id))
    with unit_of_work(sessions) as session:
        result = waitlist.accept_offer(session, keyring, clock, token=token, base_url=BASE_URL)
    assert result.view.starts_at == tuesday(9)
    assert result.view.language == "vi"
    entry = _entry(sessions, entry_id)
    assert (entry.status, entry.appointment_id) == ("booked", result.appointment.id)
    with unit_of_work(sessions) as session, pytest.raises(waitlist.OfferGone):
        waitlist.accept_offer(session, keyring, clock, token=token, base_url=BASE_URL)


def test_two_accepts_at_once_book_the_slot_once(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
    full_day: list[str],
) -> None:
    entry_id = _join(sessions, keyring, clock, desk, "First Waiting")
    _cancel(sessions, keyring, clock, full_day[0])
    _offers(sessions, keyring, clock)
    token = _token(keyring, _entry(sessions, entry_id))
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def accept() -> None:
        start.wait()
        try:
            with unit_of_work(sessions) as session:
                waitlist.accept_offer(session, keyring, clock, token=token, base_url=BASE_URL)
            outcomes.append("booked")
        except HavenError as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["OfferGone", "booked"]
    with unit_of_work(sessions) as session:
        at_nine = session.scalars(
            sa.select(Appointment).where(
                Appointment.starts_at == tuesday(9),
                Appointment.status == AppointmentStatus.BOOKED,
            )
        ).all()
    assert len(at_nine) == 1


def test_an_offer_that_runs_out_passes_the_slot_to_the_next(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
    full_day: list[str],
) -> None:
    first = _join(sessions, keyring, clock, desk, "First Waiting")
    second = _join(sessions, keyring, clock, desk, "Second Waiting")
    _cancel(sessions, keyring, clock, full_day[5])
    _offers(sessions, keyring, clock)
    late_token = _token(keyring, _entry(sessions, first))
    clock.advance(OFFER_FOR - timedelta(seconds=1))
    assert _offers(sessions, keyring, clock) == 0
    clock.advance(timedelta(seconds=1))
    assert _offers(sessions, keyring, clock) == 1
    assert _entry(sessions, first).status == "expired"
    passed_on = _entry(sessions, second)
    assert passed_on.status == "offered"
    with unit_of_work(sessions) as session:
        assert session.get_one(Hold, passed_on.hold_id).starts_at == tuesday(11, 30)
    with unit_of_work(sessions) as session, pytest.raises(waitlist.OfferGone):
        waitlist.accept_offer(session, keyring, clock, token=late_token, base_url=BASE_URL)


def test_the_offer_message_links_to_a_working_offer(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
    full_day: list[str],
    settings: Settings,
) -> None:
    entry_id = _join(sessions, keyring, clock, desk, "First Waiting")
    _cancel(sessions, keyring, clock, full_day[0])
    context = WorkerContext(settings=settings, clock=clock, sessions=sessions, keyring=keyring)
    with sms_webhook(b"k") as (provider, url):
        senders = Senders(email=FileOutbox(settings.home / "o"), sms=WebhookSmsSender(url, b"k"))
        assert waitlist.run_waitlist(context) == 1
        run_messages(context, senders)
    [offer] = [m for m in provider.accepted if m["to"] == "+12025550177"]
    link = offer["body"].rsplit(" ", 1)[1]
    assert link.startswith(settings.base_url + "/waitlist/offers/")
    token = link.rsplit("/", 1)[1]
    assert token == _token(keyring, _entry(sessions, entry_id))
    assert "First" not in offer["body"]
