"""The policy domain's errors; messages say what to do and carry no personal data."""

from __future__ import annotations

from haven.errors import Conflict, Forbidden, Invalid, NotFound


class PackInvalid(Invalid):
    """A proposed pack does not parse, validate, or carry its annotations."""

    code = "policy_pack_invalid"


class VersionNotFound(NotFound):
    code = "policy_version_not_found"


class SignatureRefused(Forbidden):
    """The account may not sign this version (wrong role, signed already, same person twice)."""

    code = "policy_signature_refused"


class ActivationRefused(Conflict):
    """The version lacks a signature, is not published, or its notice period has not ended."""

    code = "policy_activation_refused"


class NoActivePolicy(Conflict):
    """No policy version is active, so nothing can be decided (fail closed)."""

    code = "policy_not_active"


class RegistryInvalid(Invalid):
    """An injunction or matching agreement as given cannot be recorded."""

    code = "policy_registry_invalid"
