"""Base errors that every domain's own exceptions derive from; the web layer maps them to HTTP.

Messages must be something a person can act on, and must never contain personal data.
"""

from __future__ import annotations


class HavenError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(HavenError):
    status_code = 404
    code = "not_found"


class Conflict(HavenError):
    status_code = 409
    code = "conflict"


class Gone(HavenError):
    status_code = 410
    code = "gone"


class Invalid(HavenError):
    status_code = 422
    code = "invalid"


class Forbidden(HavenError):
    status_code = 403
    code = "forbidden"
