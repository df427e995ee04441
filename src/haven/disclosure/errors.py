"""The disclosure gateway's errors; each message says what to fix and never holds personal data."""

from __future__ import annotations

from haven.errors import Conflict, Forbidden, HavenError, Invalid, NotFound


class SignatureRefused(HavenError):
    """The request's HTTP message signature is missing, wrong, expired or replayed (401)."""

    status_code = 401
    code = "signature_refused"


class SignatureMalformed(HavenError):
    """The signature headers cannot be read, or do not cover what they must (400)."""

    status_code = 400
    code = "signature_malformed"


class BodyTooLarge(HavenError):
    status_code = 413
    code = "body_too_large"


class RequestInvalid(Invalid):
    """A disclosure request that cannot be accepted as written."""

    code = "disclosure_request_invalid"


class RequestNotFound(NotFound):
    code = "disclosure_request_not_found"


class NotProduced(Conflict):
    """The production is not there yet (or never will be)."""

    code = "disclosure_not_produced"


class WrongState(Conflict):
    code = "disclosure_wrong_state"


class ReviewRefused(Forbidden):
    """This reviewer may not sign this request (role, intake person, second signature, code)."""

    code = "disclosure_review_refused"
