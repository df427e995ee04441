"""Booking actions on both databases: book, hold, reschedule, cancel, idempotency, the vault."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.db import unit_of_work
from haven.scheduling import booking
from haven.scheduling.availability import TooSoon
from haven.scheduling.idempotency import IdempotencyKeyReused
from haven.scheduling.models import Appointment, AppointmentStatus, Hold, SlotClaim
from haven.scheduling.schemas import HoldRequest
from haven.scheduling.tokens import CODE_ALPHABET, normalise_confirmation_code, token_hash
from haven.vault.keys import Keyring
from haven.vault.models import PersonRecord
from haven.vault.reads import ReadPurpose, read_people
from tests.scheduling.booking_support import (
    Desk,
    arrange_desk,
    booking_request,
    new_keyring,
    tuesday,
)

BASE_URL = "https://haven.example"
HOLD_FOR = timedelta(minutes=10)


@pytest.fixture
def keyring() -> Keyring:
    return new_keyring()


@pytest.fixture
def desk(sessions: sessionmaker[Session]) -> Desk:
    return arrange_desk(sessions)


def _book(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
    hour: int,
    minute: int = 0,
    *,
    idempotency_key: str | None = None,
    **overrides: object,
) -> booking.Booking:
    with unit_of_work(sessions) as session:
        return booking.book_appointment(
            session,
            keyring=keyring,
            clock=clock,
            request=booking_request(desk, tuesday(hour, minute), **overrides),
            base_url=BASE_URL,
            idempotency_key=idempotency_key,
        )


def _hold_nine_o_clock(
    sessions: sessionmaker[Session], clock: ManualClock, desk: Desk
) -> booking.PlacedHold:
    request = HoldRequest(
        office_id=desk.office_id, service_id=desk.service_id, starts_at=tuesday(9)
    )
    with unit_of_work(sessions) as session:
        return booking.place_hold(session, clock=clock, request=request, hold_for=HOLD_FOR)


def _token(result: booking.Booking) -> str:
    return result.view.manage_url.rsplit("/", 1)[1]


def _claims(session: Session) -> list[tuple[int, object, object, int | None, int | None]]:
    rows = session.execute(
        sa.select(
            SlotClaim.resource_id,
            SlotClaim.starts_at,
            SlotClaim.ends_at,
            SlotClaim.appointment_id,
            SlotClaim.hold_id,
        ).order_by(SlotClaim.id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_booking_stores_personal_data_only_sealed_and_the_token_only_hashed(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk
) -> None:
    result = _book(sessions, keyring, clock, desk, 9)
    token = _token(result)
    view = result.view
    assert view.status == "booked"
    assert view.starts_at == tuesday(9)
    assert view.starts_at_local.isoformat() == "2026-12-01T09:00:00-05:00"
    assert view.ends_at_local.isoformat() == "2026-12-01T09:30:00-05:00"
    assert view.person.phone == "+12025550143"
    assert view.manage_url == f"{BASE_URL}/manage/{token}"
    assert len(token) >= 43  # 32 random bytes
    with unit_of_work(sessions) as session:
        appointment = session.scalars(sa.select(Appointment)).one()
        assert appointment.manage_token_hash == token_hash(token)
        assert token not in repr(appointment.__dict__)
        record = session.get(PersonRecord, appointment.person_id)
        assert record is not None
        assert b"Ana" not in record.ciphertext
        assert b"2025550143" not in record.ciphertext
        shown = read_people(
            session,
            keyring,
            clock,
            actor="public",
            purpose=ReadPurpose.OWN_REQUEST,
            person_ids=[appointment.person_id],
        )
        assert shown.person(appointment.person_id).name == "Ana Example"
        assert appointment.accommodations == ["wheelchair-access"]
        assert _claims(session) == [
            (desk.counter_ids[0], tuesday(9), tuesday(9, 30), appointment.id, None)
        ]


def test_confirmation_codes_are_short_unambiguous_and_distinct(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk
) -> None:
    codes = [
        _book(sessions, keyring, clock, desk, 9 + i // 2, 30 * (i % 2)).view.confirmation_code
        for i in range(12)
    ]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert len(code) == 9
        assert code[4] == "-"
        assert set(code.replace("-", "")) <= set(CODE_ALPHABET)
        assert not set(code) & set("01OILU")
        assert normalise_confirmation_code(code.lower().replace("-", " ")) == code
    assert normalise_confirmation_code("ABCD-EFG0") is None


def test_a_taken_slot_is_refused_with_slot_taken(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk
) -> None:
    _book(sessions, keyring, clock, desk, 10)
    with pytest.raises(booking.SlotTaken, match="just taken"):
        _book(sessions, keyring, clock, desk, 10, name="Someone Else")
    with unit_of_work(sessions) as session:
        # The refused booking left nothing behind, not even a sealed person record.
        assert session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 1
        assert session.scalar(sa.select(sa.func.count()).select_from(PersonRecord)) == 1


def test_the_next_free_counter_is_taken_when_the_first_is_busy(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock
) -> None:
    desk = arrange_desk(sessions, counters=2)
    _book(sessions, keyring, clock, desk, 11)
    _book(sessions, keyring, clock, desk, 11)
    with pytest.raises(booking.SlotTaken):
        _book(sessions, keyring, clock, desk, 11)
    with unit_of_work(sessions) as session:
        assert sorted(c[0] for c in _claims(session)) == sorted(desk.counter_ids)


def test_an_interpreter_is_claimed_with_a_counter_that_does_not_speak_the_language(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock
) -> None:
    desk = arrange_desk(sessions, interpreter_languages=("es",))
    result = _book(
        sessions,
        keyring,
        clock,
        desk,
        9,
        accommodations=["interpreter"],
        interpreter_language="es",
    )
    assert result.view.interpreter_language == "es"
    with unit_of_work(sessions) as session:
        assert sorted(c[0] for c in _claims(session)) == sorted(
            desk.counter_ids + desk.interpreter_ids
        )


def test_broken_rules_come_from_availability(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk
) -> None:
    clock.set(tuesday(8, 30))
    with pytest.raises(TooSoon):
        _book(sessions, keyring, clock, desk, 9)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "ana@example.org"}, "phone"),
        ({"phone": None}, "phone"),
        ({"accommodations": ["interpreter"]}, "interpreter_language"),
        ({"interpreter_language": "es"}, "interpreter_language"),
    ],
)
def test_fields_that_do_not_fit_together_are_refused(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
    overrides: dict[str, object],
    field: str,
) -> None:
    with pytest.raises(booking.BookingRequestInvalid) as caught:
        _book(sessions, keyring, clock, desk, 9, **overrides)
    assert caught.value.field == field


def test_a_retried_request_books_once_and_answers_the_same(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk
) -> None:
    first = _book(sessions, keyring, clock, desk, 9, idempotency_key="submit-7f3a9c")
    again = _book(sessions, keyring, clock, desk, 9, idempotency_key="submit-7f3a9c")
    assert not first.replayed
    assert again.replayed
    assert again.view == first.view
    with pytest.raises(IdempotencyKeyReused):
        _book(sessions, keyring, clock, desk, 9, 30, idempotency_key="submit-7f3a9c")
    with unit_of_work(sessions) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 1
        stored = session.scalars(sa.select(Appointment.idempotent_response)).one()
        assert stored is not None
        assert _token(first).encode() not in stored


def test_a_hold_is_exclusive_and_converts_into_the_booking(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk
) -> None:
    placed = _hold_nine_o_clock(sessions, clock, desk)
    assert placed.hold.expires_at == clock.now() + HOLD_FOR
    with pytest.raises(booking.SlotTaken):
        _hold_nine_o_clock(sessions, clock, desk)
    with pytest.raises(booking.SlotTaken):
        _book(sessions, keyring, clock, desk, 9, name="Not The Holder")
    result = _book(sessions, keyring, clock, desk, 9, hold_token=placed.token)
    with unit_of_work(sessions) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Hold)) == 0
        appointment = session.scalars(sa.select(Appointment)).one()
        assert result.view.confirmation_code == appointment.confirmation_code
        claims = session.scalars(sa.select(SlotClaim)).all()
        assert [(c.appointment_id, c.hold_id, c.expires_at) for c in claims] == [
            (appointment.id, None, None)
        ]


def test_a_hold_does_not_book_another_slot(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk
) -> None:
    placed = _hold_nine_o_clock(sessions, clock, desk)
    with pytest.raises(booking.HoldDoesNotMatch):
        _book(sessions, keyring, clock, desk, 9, 30, hold_token=placed.token)


def test_an_expired_hold_frees_the_slot_for_others(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk
) -> None:
    placed = _hold_nine_o_clock(sessions, clock, desk)
    clock.advance(HOLD_FOR - timedelta(seconds=1))
    with pytest.raises(booking.SlotTaken):
        _book(sessions, keyring, clock, desk, 9, name="Too Early")
    clock.advance(timedelta(seconds=1))
    _book(sessions, keyring, clock, desk, 9, name="Right On Time")
    with unit_of_work(sessions) as session:
        # The expired hold was deleted to make room, its claim with it.
        assert session.scalar(sa.select(sa.func.count()).select_from(Hold)) == 0
        assert len(_claims(session)) == 1
    # The late holder's token now books like no hold at all: the slot is taken.
    with pytest.raises(booking.SlotTaken):
        _book(sessions, keyring, clock, desk, 9, hold_token=placed.token)


def test_reschedule_moves_the_claims_and_frees_the_old_time(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk
) -> None:
    token = _token(_book(sessions, keyring, clock, desk, 9))
    with unit_of_work(sessions) as session:
        moved = booking.reschedule_appointment(
            session, keyring=keyring, clock=clock, token=token, new_start=tuesday(14)
        )
        assert (moved.starts_at, moved.ends_at) == (tuesday(14), tuesday(14, 30))
    with unit_of_work(sessions) as session:
        assert [(c[1], c[2]) for c in _claims(session)] == [(tuesday(14), tuesday(14, 30))]
    _book(sessions, keyring, clock, desk, 9, name="Takes The Old Time")


def test_reschedule_to_a_taken_time_changes_nothing(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk
) -> None:
    token = _token(_book(sessions, keyring, clock, desk, 9))
    _book(sessions, keyring, clock, desk, 10, name="Has Ten O'Clock")
    with pytest.raises(booking.SlotTaken), unit_of_work(sessions) as session:
        booking.reschedule_appointment(
            session, keyring=keyring, clock=clock, token=token, new_start=tuesday(10)
        )
    with unit_of_work(sessions) as session:
        appointment = booking.appointment_by_manage_token(session, token)
        assert appointment.starts_at == tuesday(9)
        mine = [c for c in _claims(session) if c[3] == appointment.id]
        assert [(c[1], c[2]) for c in mine] == [(tuesday(9), tuesday(9, 30))]


def test_reschedule_may_overlap_its_own_old_time(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock
) -> None:
    desk = arrange_desk(sessions, duration_minutes=60)
    token = _token(_book(sessions, keyring, clock, desk, 9))
    with unit_of_work(sessions) as session:
        booking.reschedule_appointment(
            session, keyring=keyring, clock=clock, token=token, new_start=tuesday(10)
        )
    with unit_of_work(sessions) as session:
        assert [(c[1], c[2]) for c in _claims(session)] == [(tuesday(10), tuesday(11))]


def test_cancel_frees_the_time_and_twice_is_harmless(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk
) -> None:
    token = _token(_book(sessions, keyring, clock, desk, 9))
    for _ in range(2):
        with unit_of_work(sessions) as session:
            cancelled = booking.cancel_appointment(
                session, keyring=keyring, clock=clock, token=token
            )
            assert cancelled.status == AppointmentStatus.CANCELLED
    with unit_of_work(sessions) as session:
        assert _claims(session) == []
    with pytest.raises(booking.AppointmentCancelled), unit_of_work(sessions) as session:
        booking.reschedule_appointment(
            session, keyring=keyring, clock=clock, token=token, new_start=tuesday(10)
        )
    _book(sessions, keyring, clock, desk, 9, name="Takes The Freed Time")


def test_a_past_appointment_can_no_longer_be_changed(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, desk: Desk
) -> None:
    token = _token(_book(sessions, keyring, clock, desk, 9))
    clock.set(tuesday(9))
    with pytest.raises(booking.AppointmentOver), unit_of_work(sessions) as session:
        booking.cancel_appointment(session, keyring=keyring, clock=clock, token=token)
    with pytest.raises(booking.AppointmentOver), unit_of_work(sessions) as session:
        booking.reschedule_appointment(
            session, keyring=keyring, clock=clock, token=token, new_start=tuesday(15)
        )


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 500])
def test_an_unknown_token_finds_nothing(session: Session, token: str) -> None:
    with pytest.raises(booking.AppointmentNotFound):
        booking.appointment_by_manage_token(session, token)


def test_a_confirmation_code_already_in_use_is_drawn_again(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    desk: Desk,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Randomness comes in from outside: feed the draw a code that is taken, then a free one.
    draws = iter(["AAAA-AAAA", "AAAA-AAAA", "BBBB-BBBB"])
    monkeypatch.setattr(booking, "new_confirmation_code", lambda: next(draws))
    first = _book(sessions, keyring, clock, desk, 9)
    second = _book(sessions, keyring, clock, desk, 10)
    assert (first.view.confirmation_code, second.view.confirmation_code) == (
        "AAAA-AAAA",
        "BBBB-BBBB",
    )
    with unit_of_work(sessions) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(PersonRecord)) == 2
