"""Vault errors. Messages never contain the personal data they are about."""

from __future__ import annotations

from haven.errors import Gone, HavenError, Invalid


class VaultConfigError(HavenError):
    """The vault's keys are missing or malformed; Haven refuses to start rather than guess."""


class PersonGone(Gone):
    """The person's data key was destroyed on schedule; their record can no longer be read."""


class InvalidContact(Invalid):
    pass
