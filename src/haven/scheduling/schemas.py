"""The booking API's request and response bodies.

Requests refuse every field they do not name (`extra="forbid"`), so a form that sends a social
security number, a citizenship or a date of birth gets a 422 naming that field, and nothing of
it is ever stored: there is no column for it either.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from haven.vault.contact import normalise_email, normalise_phone
from haven.vault.errors import InvalidContact

MAX_NOTE_LENGTH = 200
MAX_NAME_LENGTH = 200

# RFC 5646 language tags without extensions or private use: language (2-3 letters, or 4-8
# for registered ones), optional script, optional region (2 letters or 3 digits), variants.
_BCP47 = re.compile(
    r"^(?P<language>[A-Za-z]{2,3}|[A-Za-z]{5,8})"
    r"(?:-(?P<script>[A-Za-z]{4}))?"
    r"(?:-(?P<region>[A-Za-z]{2}|[0-9]{3}))?"
    r"(?P<variants>(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*)$"
)


class Accommodation(enum.StrEnum):
    """What a person may ask the office to arrange; anything else goes in the short note."""

    INTERPRETER = "interpreter"
    WHEELCHAIR_ACCESS = "wheelchair-access"
    HEARING_LOOP = "hearing-loop"
    SIGN_LANGUAGE = "sign-language"
    LARGE_PRINT = "large-print"
    QUIET_ROOM = "quiet-room"
    SERVICE_ANIMAL = "service-animal"
    OTHER = "other"


def canonical_language_tag(raw: str) -> str:
    """A BCP 47 tag in its canonical case ("pt-br" -> "pt-BR"); ValueError when it is not one."""
    match = _BCP47.match(raw.strip())
    if match is None:
        raise ValueError("must be a language tag such as 'en', 'es-MX' or 'zh-Hant'")
    parts = [match["language"].lower()]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    parts.extend(v.lower() for v in match["variants"].split("-") if v)
    return "-".join(parts)


LanguageTag = Annotated[
    str,
    StringConstraints(max_length=35),
    AfterValidator(canonical_language_tag),
    Field(examples=["es"], description="A BCP 47 language tag."),
]


def _plain_text(value: str) -> str:
    # No control characters: they have no place in a name or a note and can break displays.
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise ValueError("must not contain control characters")
    return value


PlainText = Annotated[str, AfterValidator(_plain_text)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SlotChoice(_Request):
    """Which slot: the office, the service and the start time from the availability list."""

    office_id: int = Field(ge=1)
    service_id: int = Field(ge=1)
    starts_at: AwareDatetime = Field(
        description="The slot's start, with its UTC offset (e.g. 2026-12-01T14:00:00Z)."
    )
    interpreter_language: LanguageTag | None = Field(
        default=None, description="The language an interpreter is needed for, if any."
    )


class HoldRequest(SlotChoice):
    """Hold a slot for a few minutes while the person fills in the booking form."""


class BookingRequest(SlotChoice):
    """Everything Haven asks of a person to book: a name, one way to reach them, a language."""

    hold_token: str | None = Field(
        default=None,
        max_length=128,
        description="The token from POST /api/v1/holds, to book the slot held for you.",
    )
    name: Annotated[PlainText, StringConstraints(min_length=1, max_length=MAX_NAME_LENGTH)]
    phone: str | None = Field(
        default=None, max_length=40, description="A phone number; give this or email."
    )
    email: str | None = Field(
        default=None, max_length=254, description="An email address; give this or phone."
    )
    language: LanguageTag = Field(description="The language the person prefers (BCP 47).")
    accommodations: list[Accommodation] = Field(default_factory=list, max_length=8)
    accommodation_note: (
        Annotated[PlainText, StringConstraints(max_length=MAX_NOTE_LENGTH)] | None
    ) = Field(default=None, description=f"At most {MAX_NOTE_LENGTH} characters.")

    @field_validator("phone")
    @classmethod
    def _phone_in_e164(cls, value: str | None) -> str | None:
        return _normalised(normalise_phone, value)

    @field_validator("email")
    @classmethod
    def _email_normalised(cls, value: str | None) -> str | None:
        return _normalised(normalise_email, value)

    @field_validator("accommodations")
    @classmethod
    def _accommodations_once(cls, value: list[Accommodation]) -> list[Accommodation]:
        return sorted(set(value))

    @field_validator("accommodation_note")
    @classmethod
    def _empty_note_is_none(cls, value: str | None) -> str | None:
        return value or None


def _normalised(normalise: Callable[[str], str], value: str | None) -> str | None:
    if value is None or value == "":
        return None
    try:
        return normalise(value)
    except InvalidContact as exc:
        raise ValueError(exc.message) from None


class RescheduleRequest(_Request):
    """Move an appointment to another start time of the same office and service."""

    starts_at: AwareDatetime = Field(description="The new start, with its UTC offset.")


class HoldView(BaseModel):
    hold_token: str = Field(description="Send it as hold_token when booking.")
    office_id: int
    service_id: int
    starts_at: datetime
    ends_at: datetime
    expires_at: datetime = Field(description="After this instant the slot is free for others.")


class OfficeSummary(BaseModel):
    id: int
    name: str
    address: str
    timezone: str


class ServiceSummary(BaseModel):
    id: int
    name: str
    duration_minutes: int


class PersonView(BaseModel):
    """The person's own details, shown only to the holder of the manage link."""

    name: str
    phone: str | None
    email: str | None
    accommodation_note: str | None


class AppointmentView(BaseModel):
    confirmation_code: str = Field(description="Short code to read out over the phone.")
    manage_url: str = Field(description="Secret link to see, move or cancel the appointment.")
    calendar_url: str = Field(description="The appointment as an iCalendar (.ics) file.")
    status: str
    starts_at: datetime = Field(description="UTC.")
    ends_at: datetime = Field(description="UTC.")
    starts_at_local: datetime = Field(description="In the office's time zone.")
    ends_at_local: datetime = Field(description="In the office's time zone.")
    office: OfficeSummary
    service: ServiceSummary
    language: str
    interpreter_language: str | None
    accommodations: list[str]
    person: PersonView


class ErrorBody(BaseModel):
    """Every error: a machine code, a message a person can act on, and the field at fault."""

    error: str
    message: str
    field: str | None = None
