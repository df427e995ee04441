"""iCalendar (RFC 5545) files for an appointment, so people can put it in their own calendar.

One VEVENT in a VCALENDAR, times in UTC ("Z" form, so no VTIMEZONE is needed), text escaped
(section 3.3.11), lines folded at 75 octets without splitting a UTF-8 character (3.1) and ended
with CRLF. The file holds no personal data: no name, no contact, no manage link (a calendar
synced to some cloud should not carry the secret that changes the booking).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

PRODUCT_ID = "-//Haven//Haven appointments 1.0//EN"
MEDIA_TYPE = "text/calendar; charset=utf-8"
_MAX_LINE_OCTETS = 75


@dataclass(frozen=True)
class CalendarEvent:
    """What an appointment's calendar entry says."""

    uid: str
    starts_at: datetime  # aware
    ends_at: datetime  # aware
    stamp: datetime  # aware: when this file was made
    summary: str
    location: str
    description: str = ""
    # Bumped on every change so calendars replace the old entry (RFC 5545 3.8.7.4).
    sequence: int = 0
    cancelled: bool = False


def calendar_file(event: CalendarEvent) -> bytes:
    """The complete .ics file for one event, UTF-8 with CRLF line ends."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT_ID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{utc_stamp(event.stamp)}",
        f"DTSTART:{utc_stamp(event.starts_at)}",
        f"DTEND:{utc_stamp(event.ends_at)}",
        f"SEQUENCE:{event.sequence}",
        f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}",
        f"SUMMARY:{escape_text(event.summary)}",
        f"LOCATION:{escape_text(event.location)}",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    lines += ["TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold_line(line) + "\r\n" for line in lines).encode("utf-8")


def utc_stamp(instant: datetime) -> str:
    """DATE-TIME in UTC form (RFC 5545 3.3.5, form 2): 20261207T143000Z."""
    if instant.tzinfo is None:
        raise ValueError("calendar times must be aware datetimes")
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape_text(value: str) -> str:
    """TEXT escaping (RFC 5545 3.3.11): backslash, semicolon, comma and newlines."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold_line(line: str) -> str:
    """Fold a content line so no physical line exceeds 75 octets (RFC 5545 3.1).

    Continuation lines start with one space, which counts toward their 75 octets; a multi-octet
    UTF-8 character is never split.
    """
    pieces: list[str] = []
    current: list[str] = []
    size, limit = 0, _MAX_LINE_OCTETS
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > limit:
            pieces.append("".join(current))
            current, size, limit = [], 0, _MAX_LINE_OCTETS - 1
        current.append(char)
        size += octets
    pieces.append("".join(current))
    return "\r\n ".join(pieces)
