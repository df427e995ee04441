"""The .ics file parses back with an independent RFC 5545 parser and says the right things."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import icalendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from haven.notify.ical import CalendarEvent, calendar_file, escape_text, fold_line, utc_stamp

STARTS = datetime(2026, 12, 7, 14, 30, tzinfo=UTC)


def _event(**changes: object) -> CalendarEvent:
    fields: dict[str, object] = {
        "uid": "appointment-42@haven.example",
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(minutes=30),
        "stamp": datetime(2026, 11, 30, 15, 0, tzinfo=UTC),
        "summary": "Benefits interview, Downtown Field Office",
        "location": "100 Main Street; Suite 4, Springfield\nBuilding B",
        "description": "Confirmation code 7KQX-4MZP. Bring this code.",
        "sequence": 3,
    }
    fields.update(changes)
    return CalendarEvent(**fields)  # type: ignore[arg-type]


def _parsed_event(data: bytes) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(data)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


def test_fields_parse_back_with_times_in_utc() -> None:
    data = calendar_file(_event())
    event = _parsed_event(data)
    assert str(event["UID"]) == "appointment-42@haven.example"
    assert event.decoded("DTSTART") == STARTS
    assert event.decoded("DTSTART").tzinfo is not None
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == STARTS + timedelta(minutes=30)
    assert event.decoded("DTSTAMP") == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert str(event["SUMMARY"]) == "Benefits interview, Downtown Field Office"
    assert str(event["LOCATION"]) == "100 Main Street; Suite 4, Springfield\nBuilding B"
    assert int(event["SEQUENCE"]) == 3
    assert str(event["STATUS"]) == "CONFIRMED"
    assert b"DTSTART:20261207T143000Z\r\n" in data
    assert b"DTEND:20261207T150000Z\r\n" in data


def test_calendar_wrapper_has_required_properties() -> None:
    calendar = icalendar.Calendar.from_ical(calendar_file(_event()))
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]).startswith("-//Haven//")


def test_local_times_are_converted_to_utc() -> None:
    new_york_winter = timezone(timedelta(hours=-5))
    local = datetime(2026, 12, 7, 9, 30, tzinfo=new_york_winter)
    data = calendar_file(_event(starts_at=local, ends_at=local + timedelta(minutes=45)))
    assert b"DTSTART:20261207T143000Z\r\n" in data
    assert b"DTEND:20261207T151500Z\r\n" in data


def test_cancelled_appointment_says_so() -> None:
    event = _parsed_event(calendar_file(_event(cancelled=True)))
    assert str(event["STATUS"]) == "CANCELLED"


def test_every_line_ends_with_crlf_and_fits_75_octets() -> None:
    long_summary = "Entrevista de beneficios — oficina del centro, " * 6 + "ünïcödé ✓ 漢字"
    data = calendar_file(_event(summary=long_summary))
    assert data.endswith(b"\r\n")
    physical_lines = data.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in physical_lines)
    assert max(len(line) for line in physical_lines) <= 75
    assert any(line.startswith(b" ") for line in physical_lines)
    assert str(_parsed_event(data)["SUMMARY"]) == long_summary


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        utc_stamp(datetime(2026, 12, 7, 9, 30))


def test_escaping_of_text_values() -> None:
    assert escape_text("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"


@given(st.text(min_size=0, max_size=400))
def test_folding_round_trips_and_never_splits_a_character(text: str) -> None:
    line = "SUMMARY:" + escape_text(text)
    folded = fold_line(line)
    physical = folded.split("\r\n ")
    # Each piece is whole characters (it was a str all along) within the octet limit.
    assert len(physical[0].encode()) <= 75
    assert all(len(piece.encode()) + 1 <= 75 for piece in physical[1:])
    assert "".join(physical) == line
