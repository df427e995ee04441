"""The "your details" form: what it offers, and turning a submitted form into a BookingRequest
or into messages in plain words next to each field, with the person's values kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from haven.i18n import DEFAULT_LOCALE, N_, translate
from haven.scheduling.models import Hold
from haven.scheduling.schemas import (
    MAX_NAME_LENGTH,
    MAX_NOTE_LENGTH,
    Accommodation,
    BookingRequest,
    canonical_language_tag,
)

# Shows a message (a msgid with %(name)s placeholders) in the person's language.
Translate = Callable[[str, Mapping[str, object] | None], str]

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

# What a field's error says, by field and pydantic error type; "*" is any other type. Messages
# are msgids: the page shows them translated, with these limits filled in.
_LIMITS = {"name_limit": MAX_NAME_LENGTH, "note_limit": MAX_NOTE_LENGTH}
_ENTER_NAME = N_("Enter your name")
_NAME_TOO_LONG = N_("Your name must be %(name_limit)s characters or fewer")
_NOTE_TOO_LONG = N_("Keep the note to %(note_limit)s characters or fewer")
_CHOOSE_INTERPRETER = N_("Choose the language for your interpreter")
_MESSAGES: dict[str, dict[str, str]] = {
    "name": {
        "missing": _ENTER_NAME,
        "too_short": _ENTER_NAME,
        "string_too_short": _ENTER_NAME,
        "too_long": _NAME_TOO_LONG,
        "string_too_long": _NAME_TOO_LONG,
        "*": N_("Your name contains characters we cannot use; please type it again"),
    },
    "language": {"*": N_("Choose the language you prefer")},
    "accommodation_note": {
        "too_long": _NOTE_TOO_LONG,
        "string_too_long": _NOTE_TOO_LONG,
        "*": N_("The note contains characters we cannot use; please type it again"),
    },
    "accommodations": {"*": N_("Choose only from the listed needs")},
    "interpreter_language": {"*": _CHOOSE_INTERPRETER},
}
# Phone and email: what the vault said (haven.vault.contact), in words we can translate.
_CONTACT_MESSAGES = {
    "the phone number could not be read": N_("The phone number could not be read"),
    "the phone number is not a valid number": N_("The phone number is not a valid number"),
    "the email address is not valid": N_("The email address is not valid"),
}
_CHECK_CONTACT = {
    "phone": N_("Check the phone number"),
    "email": N_("Check the email address"),
}


def english(message: str, params: Mapping[str, object] | None = None) -> str:
    """A form message in English (the source language)."""
    return translate(DEFAULT_LOCALE, message, params)


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


def booking_request(
    details: DetailsForm, hold: HeldTime, hold_token: str, text: Translate = english
) -> BookingRequest | None:
    """The booking for the held slot, or None with `details.errors` filled in (in the
    language `text` translates to)."""
    details.errors = {}
    if not details.phone and not details.email:
        details.errors["phone"] = text(N_("Enter a phone number or an email address"), None)
    elif details.phone and details.email:
        details.errors["phone"] = text(
            N_("Give just one way to reach you: a phone number or an email"), None
        )
    asks_interpreter = Accommodation.INTERPRETER.value in details.accommodations
    wanted = details.interpreter_language if asks_interpreter else ""
    if asks_interpreter and not wanted:
        details.errors["interpreter_language"] = text(_CHOOSE_INTERPRETER, None)
    elif (wanted or None) != hold.interpreter_language:
        details.errors["interpreter_language"] = text(_interpreter_mismatch(hold), None)
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
            details.errors.setdefault(name, text(_message(name, error), _LIMITS))
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
        return N_(
            "The time you chose was kept for you with an interpreter. To change that, "
            "go back and choose the time again"
        )
    return N_(
        "The time you chose was kept for you without an interpreter. To have one, go back, "
        "choose the interpreter's language and then a time"
    )


def _message(name: str, error: Any) -> str:
    """The msgid for one pydantic error of a field."""
    messages = _MESSAGES.get(name)
    if messages is not None:
        return messages.get(str(error["type"]), messages["*"])
    # Phone and email: the vault's own words ("the phone number is not a valid number").
    said = str(error.get("msg", "")).removeprefix("Value error, ")
    return _CONTACT_MESSAGES.get(said, _CHECK_CONTACT.get(name, _CHECK_CONTACT["phone"]))
