"""The "your details" form: what it offers, and turning a submitted form into a BookingRequest
or into messages in plain words next to each field, with the person's values kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from haven.scheduling.models import Hold
from haven.scheduling.schemas import (
    MAX_NAME_LENGTH,
    MAX_NOTE_LENGTH,
    Accommodation,
    BookingRequest,
    canonical_language_tag,
)

# Languages a person can say they prefer, beyond those the office speaks. Issue 7's list.
COMMON_LANGUAGES = ("en", "es", "zh-Hans", "zh-Hant", "vi", "ko", "tl", "ru", "ar", "ht", "fr")

# The fields a person fills in, in the form's order; an error about anything else is about the
# time itself.
FORM_FIELDS = (
    "name",
    "phone",
    "email",
    "language",
    "accommodations",
    "interpreter_language",
    "accommodation_note",
)

# What a field's error says, by field and pydantic error type; "*" is any other type.
_MESSAGES: dict[str, dict[str, str]] = {
    "name": {
        "missing": "Enter your name",
        "too_short": "Enter your name",
        "string_too_short": "Enter your name",
        "too_long": f"Your name must be {MAX_NAME_LENGTH} characters or fewer",
        "string_too_long": f"Your name must be {MAX_NAME_LENGTH} characters or fewer",
        "*": "Your name contains characters we cannot use; please type it again",
    },
    "language": {"*": "Choose the language you prefer"},
    "accommodation_note": {
        "too_long": f"Keep the note to {MAX_NOTE_LENGTH} characters or fewer",
        "string_too_long": f"Keep the note to {MAX_NOTE_LENGTH} characters or fewer",
        "*": "The note contains characters we cannot use; please type it again",
    },
    "accommodations": {"*": "Choose only from the listed needs"},
    "interpreter_language": {"*": "Choose the language for your interpreter"},
}


@dataclass(frozen=True)
class HeldTime:
    """The slot a details form books: from its hold while that exists, else from the form.

    The form carries the slot too, so a resubmit after the hold became the appointment still
    finds the same booking (the idempotency key answers it) instead of a dead end.
    """

    office_id: int
    service_id: int
    starts_at: datetime
    interpreter_language: str | None
    expires_at: datetime | None = None

    @classmethod
    def of_hold(cls, hold: Hold) -> HeldTime:
        return cls(
            office_id=hold.office_id,
            service_id=hold.service_id,
            starts_at=hold.starts_at,
            interpreter_language=hold.interpreter_language,
            expires_at=hold.expires_at,
        )

    @classmethod
    def posted(cls, form: FormData) -> HeldTime | None:
        """The slot the form says, or None when it does not say one."""
        try:
            starts_at = datetime.fromisoformat(str(form.get("slot_starts_at", "")))
            office_id = int(str(form.get("slot_office", "")))
            service_id = int(str(form.get("slot_service", "")))
        except ValueError:
            return None
        if starts_at.tzinfo is None:
            return None
        interpreter = str(form.get("slot_interpreter", "")) or None
        return cls(office_id, service_id, starts_at, interpreter)

    def hidden_fields(self) -> dict[str, str]:
        return {
            "slot_office": str(self.office_id),
            "slot_service": str(self.service_id),
            "slot_starts_at": self.starts_at.isoformat(),
            "slot_interpreter": self.interpreter_language or "",
        }


@dataclass
class DetailsForm:
    """The form's values as the person typed them, and an error message per field id."""

    name: str = ""
    phone: str = ""
    email: str = ""
    language: str = "en"
    accommodations: list[str] = field(default_factory=list)
    interpreter_language: str = ""
    accommodation_note: str = ""
    idempotency_key: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_hold(cls, hold: HeldTime, idempotency_key: str) -> DetailsForm:
        asks = [Accommodation.INTERPRETER.value] if hold.interpreter_language else []
        return cls(
            accommodations=asks,
            interpreter_language=hold.interpreter_language or "",
            idempotency_key=idempotency_key,
        )

    @classmethod
    def from_form(cls, form: FormData) -> DetailsForm:
        def text(name: str) -> str:
            value = form.get(name, "")
            return value.strip() if isinstance(value, str) else ""

        return cls(
            name=text("name"),
            phone=text("phone"),
            email=text("email"),
            language=text("language"),
            accommodations=[v for v in form.getlist("accommodations") if isinstance(v, str)],
            interpreter_language=text("interpreter_language"),
            accommodation_note=text("accommodation_note"),
            idempotency_key=text("idempotency_key"),
        )


def booking_request(details: DetailsForm, hold: HeldTime, hold_token: str) -> BookingRequest | None:
    """The booking for the held slot, or None with `details.errors` filled in."""
    details.errors = {}
    if not details.phone and not details.email:
        details.errors["phone"] = "Enter a phone number or an email address"
    elif details.phone and details.email:
        details.errors["phone"] = "Give just one way to reach you: a phone number or an email"
    asks_interpreter = Accommodation.INTERPRETER.value in details.accommodations
    wanted = details.interpreter_language if asks_interpreter else ""
    if asks_interpreter and not wanted:
        details.errors["interpreter_language"] = "Choose the language for your interpreter"
    elif (wanted or None) != hold.interpreter_language:
        details.errors["interpreter_language"] = _interpreter_mismatch(hold)
    payload: dict[str, Any] = {
        "office_id": hold.office_id,
        "service_id": hold.service_id,
        "starts_at": hold.starts_at,
        "interpreter_language": hold.interpreter_language,
        "hold_token": hold_token,
        "name": details.name,
        "phone": details.phone or None,
        "email": details.email or None,
        "language": details.language,
        "accommodations": details.accommodations,
        "accommodation_note": details.accommodation_note or None,
    }
    try:
        request = BookingRequest.model_validate(payload)
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "name"
            details.errors.setdefault(name, _message(name, error))
        request = None
    # In the form's order, so the summary at the top reads like the form.
    order = {name: n for n, name in enumerate(FORM_FIELDS)}
    details.errors = dict(sorted(details.errors.items(), key=lambda e: order.get(e[0], -1)))
    return None if details.errors else request


def language_choices(office_languages: list[str]) -> list[str]:
    """The office's own languages first, then the common ones, each once, canonical."""
    seen: dict[str, None] = {}
    for tag in [*office_languages, *COMMON_LANGUAGES]:
        try:
            seen.setdefault(canonical_language_tag(tag), None)
        except ValueError:
            continue
    return list(seen)


def _interpreter_mismatch(hold: HeldTime) -> str:
    if hold.interpreter_language:
        return (
            "The time you chose was kept for you with an interpreter. To change that, "
            "go back and choose the time again"
        )
    return (
        "The time you chose was kept for you without an interpreter. To have one, go back, "
        "choose the interpreter's language and then a time"
    )


def _message(name: str, error: Any) -> str:
    messages = _MESSAGES.get(name)
    if messages is not None:
        return messages.get(str(error["type"]), messages["*"])
    # Phone and email: the vault's own words ("the phone number is not a valid number").
    text = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return text[:1].upper() + text[1:]
