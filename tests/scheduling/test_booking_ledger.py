"""Booking, rescheduling and cancelling each record one ledger entry, on both databases: the
right kind, the person only as their subject tag, no personal data, no slot time, no
appointment id; a booking that fails records nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.db import unit_of_work
from haven.errors import HavenError
from haven.ledger.models import LogEntry
from haven.scheduling import booking
from haven.scheduling.appointment_view import PUBLIC_ACTOR
from haven.scheduling.events import BookingEvent
from haven.scheduling.models import Appointment
from haven.vault.keys import Keyring
from haven.vault.service import person_tag_key
from tests.scheduling.booking_support import (
    Desk,
    arrange_desk,
    booking_request,
    new_keyring,
    tuesday,
)

# Canaries: none of these may ever reach the log.
NAME = "Zebulon Canarywood"
PHONE = "+1 202-555-0187"
PHONE_STORED = "+12025550187"
EMAIL = "zebulon.canarywood@example.org"
NOTE = "Canary note: arriving with a guide dog"


@pytest.fixture
def keyring() -> Keyring:
    return new_keyring()


@pytest.fixture
def desk(sessions: sessionmaker[Session]) -> Desk:
    return arrange_desk(sessions)


def _entries(sessions: sessionmaker[Session]) -> list[bytes]:
    with unit_of_work(sessions) as session:
        return list(session.scalars(sa.select(LogEntry.data).order_by(LogEntry.index)))


def _book(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
    starts_at: datetime,
    **overrides: Any,
) -> booking.Booking:
    fields: dict[str, Any] = {"name": NAME, "phone": PHONE, "accommodation_note": NOTE}
    with unit_of_work(sessions) as session:
        return booking.book_appointment(
            session,
            keyring=keyring,
            clock=clock,
            request=booking_request(desk, starts_at, **(fields | overrides)),
            base_url="https://haven.example",
        )


def _token(result: booking.Booking) -> str:
    return result.view.manage_url.rsplit("/", 1)[1]


def _tag_key(sessions: sessionmaker[Session], keyring: Keyring, result: booking.Booking) -> bytes:
    with unit_of_work(sessions) as session:
        appointment = session.get_one(Appointment, result.appointment.id)
        return person_tag_key(session, keyring, appointment.person_id)


def _one_new_entry(before: list[bytes], after: list[bytes]) -> tuple[bytes, dict[str, Any]]:
    assert after[: len(before)] == before
    new = after[len(before) :]
    assert len(new) == 1, [json.loads(data)["kind"] for data in new]
    return new[0], json.loads(new[0])


def _assert_records(
    data: bytes,
    entry: dict[str, Any],
    *,
    kind: BookingEvent,
    desk: Desk,
    tag_key: bytes,
    clock: ManualClock,
    slot_times: list[datetime],
    appointment_id: int,
) -> None:
    assert entry["kind"] == kind
    assert entry["actor"] == PUBLIC_ACTOR
    assert (entry["office"], entry["service"]) == (desk.office_id, desk.service_id)
    assert entry["refs"] == []
    # The action's own time, not the appointment's.
    assert entry["time"] == clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
    expected_tag = hmac.new(tag_key, bytes.fromhex(entry["nonce"]), hashlib.sha256).hexdigest()
    assert entry["subject_tags"] == [expected_tag]
    text = data.decode()
    for canary in (NAME, "Canarywood", PHONE, PHONE_STORED, "5550187", EMAIL, NOTE, "guide dog"):
        assert canary.lower() not in text.lower()
    for slot in slot_times:
        for spelling in (
            slot.isoformat(),
            slot.isoformat(" "),
            slot.strftime("%Y-%m-%dT%H:%M"),
            slot.astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%dT%H:%M"),
            str(int(slot.timestamp())),
        ):
            assert spelling not in text
    assert f"appointment:{appointment_id}" not in text
    assert "appointment_id" not in entry
    # Only the declared fields: nothing else rides along.
    assert set(entry) == {
        "kind",
        "time",
        "actor",
        "purpose",
        "refs",
        "subject_tags",
        "nonce",
        "office",
        "service",
    }


def test_a_booking_records_one_entry_with_the_persons_tag_and_nothing_personal(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk
) -> None:
    before = _entries(sessions)
    result = _book(sessions, keyring, clock, desk, tuesday(9))
    data, entry = _one_new_entry(before, _entries(sessions))
    _assert_records(
        data,
        entry,
        kind=BookingEvent.BOOKED,
        desk=desk,
        tag_key=_tag_key(sessions, keyring, result),
        clock=clock,
        slot_times=[tuesday(9), tuesday(9, 30)],
        appointment_id=result.appointment.id,
    )


def test_an_email_booking_keeps_the_address_out_of_the_log(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk
) -> None:
    before = _entries(sessions)
    _book(sessions, keyring, clock, desk, tuesday(11), phone=None, email=EMAIL)
    data, _ = _one_new_entry(before, _entries(sessions))
    assert b"canarywood" not in data.lower()
    assert b"example.org" not in data


def test_each_booking_has_a_fresh_unlinkable_tag(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk
) -> None:
    """Two bookings of one person's name and phone are two people to the log: fresh keys,
    fresh nonces, so their tags differ and match only their own key."""
    before = _entries(sessions)
    first = _book(sessions, keyring, clock, desk, tuesday(9))
    second = _book(sessions, keyring, clock, desk, tuesday(10))
    new = [json.loads(data) for data in _entries(sessions)[len(before) :]]
    assert len(new) == 2
    assert new[0]["nonce"] != new[1]["nonce"]
    assert new[0]["subject_tags"] != new[1]["subject_tags"]
    first_key = _tag_key(sessions, keyring, first)
    second_key = _tag_key(sessions, keyring, second)
    assert first_key != second_key
    for entry, key, other in ((new[0], first_key, second_key), (new[1], second_key, first_key)):
        nonce = bytes.fromhex(entry["nonce"])
        assert entry["subject_tags"] == [hmac.new(key, nonce, hashlib.sha256).hexdigest()]
        assert entry["subject_tags"] != [hmac.new(other, nonce, hashlib.sha256).hexdigest()]


def test_reschedule_records_one_entry_without_either_time(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk
) -> None:
    result = _book(sessions, keyring, clock, desk, tuesday(9))
    clock.advance(timedelta(minutes=3))
    before = _entries(sessions)
    with unit_of_work(sessions) as session:
        booking.reschedule_appointment(
            session, keyring=keyring, clock=clock, token=_token(result), new_start=tuesday(14)
        )
    data, entry = _one_new_entry(before, _entries(sessions))
    _assert_records(
        data,
        entry,
        kind=BookingEvent.RESCHEDULED,
        desk=desk,
        tag_key=_tag_key(sessions, keyring, result),
        clock=clock,
        slot_times=[tuesday(9), tuesday(9, 30), tuesday(14), tuesday(14, 30)],
        appointment_id=result.appointment.id,
    )


def test_cancel_records_one_entry_and_cancelling_again_records_none(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk
) -> None:
    result = _book(sessions, keyring, clock, desk, tuesday(9))
    clock.advance(timedelta(minutes=5))
    before = _entries(sessions)
    with unit_of_work(sessions) as session:
        booking.cancel_appointment(session, keyring=keyring, clock=clock, token=_token(result))
    data, entry = _one_new_entry(before, _entries(sessions))
    _assert_records(
        data,
        entry,
        kind=BookingEvent.CANCELLED,
        desk=desk,
        tag_key=_tag_key(sessions, keyring, result),
        clock=clock,
        slot_times=[tuesday(9), tuesday(9, 30)],
        appointment_id=result.appointment.id,
    )
    after_cancel = _entries(sessions)
    with unit_of_work(sessions) as session:
        booking.cancel_appointment(session, keyring=keyring, clock=clock, token=_token(result))
    assert _entries(sessions) == after_cancel


def test_staff_acting_are_named_as_the_actor(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk
) -> None:
    result = _book(sessions, keyring, clock, desk, tuesday(9))
    before = _entries(sessions)
    with unit_of_work(sessions) as session:
        booking.cancel_appointment(
            session, keyring=keyring, clock=clock, token=_token(result), actor="staff:7"
        )
    _, entry = _one_new_entry(before, _entries(sessions))
    assert entry["actor"] == "staff:7"


@pytest.mark.parametrize(
    ("starts_at", "overrides"),
    [
        pytest.param(tuesday(10), {}, id="slot-taken"),
        pytest.param(tuesday(9, 10), {}, id="off-grid"),
        pytest.param(tuesday(11), {"email": EMAIL}, id="two-contacts"),
        pytest.param(tuesday(11), {"interpreter_language": "es"}, id="fields-do-not-fit"),
    ],
)
def test_a_booking_that_fails_records_nothing(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
    starts_at: datetime,
    overrides: dict[str, Any],
) -> None:
    _book(sessions, keyring, clock, desk, tuesday(10), name="Has Ten O'Clock")
    before = _entries(sessions)
    with pytest.raises(HavenError):
        _book(sessions, keyring, clock, desk, starts_at, **overrides)
    assert _entries(sessions) == before


def test_a_reschedule_that_fails_records_nothing(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock
) -> None:
    desk = arrange_desk(sessions)
    result = _book(sessions, keyring, clock, desk, tuesday(9))
    _book(sessions, keyring, clock, desk, tuesday(10), name="Has Ten O'Clock")
    before = _entries(sessions)
    with pytest.raises(booking.SlotTaken), unit_of_work(sessions) as session:
        booking.reschedule_appointment(
            session, keyring=keyring, clock=clock, token=_token(result), new_start=tuesday(10)
        )
    assert _entries(sessions) == before
