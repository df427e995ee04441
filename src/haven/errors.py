"""Base errors that every domain's own exceptions derive from; the web layer maps them to HTTP.

Each package keeps its errors in its own `errors.py`. An error's `code` (the API's `error` field)
is its class name in snake case (`SlotTaken` -> `slot_taken`), set once here when the class is
made, so no two errors share a code and none answers a generic one.

Messages must be something a person can act on, and must never contain personal data.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

_WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def error_code(class_name: str) -> str:
    """The code of an error class named `class_name`: "SlotTaken" -> "slot_taken"."""
    return _WORD_START.sub("_", class_name).lower()


class HavenError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            cls.code = error_code(cls.__name__)

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(HavenError):
    status_code = 404


class Conflict(HavenError):
    status_code = 409


class Gone(HavenError):
    status_code = 410


class Invalid(HavenError):
    status_code = 422


class Forbidden(HavenError):
    status_code = 403
