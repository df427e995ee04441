"""Normalising the one way to reach a person, before it is sealed or blind-indexed."""

from __future__ import annotations

import re

import phonenumbers

from haven.vault.errors import InvalidContact

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def normalise_phone(raw: str, default_region: str = "US") -> str:
    """E.164 form (+15551234567) of a valid phone number."""
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        raise InvalidContact("the phone number could not be read", field="phone") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidContact("the phone number is not a valid number", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    value = raw.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise InvalidContact("the email address is not valid", field="email")
    return value
