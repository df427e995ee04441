"""Session tokens, the cookies that carry them, and the rules sign-in follows (AccessPolicy).

A token is 32 random bytes (URL-safe base64) that only the browser holds; the database keeps
its SHA-256, so a copy of the database signs nobody in. The cookie is HttpOnly, SameSite=Strict
and Secure (named with the ``__Host-`` prefix, which pins it to this host and path /), unless
Settings turn Secure off for plain-http development.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

from haven.access.passwords import PasswordCost
from haven.config import Settings

TOKEN_BYTES = 32
# A URL-safe base64 token of 32 bytes is 43 characters; anything much longer is not ours.
MAX_TOKEN_LENGTH = 64
SECURE_COOKIE = "__Host-haven_staff"
PLAIN_COOKIE = "haven_staff"
SECURE_PENDING_COOKIE = "__Host-haven_staff_pending"
PLAIN_PENDING_COOKIE = "haven_staff_pending"
# Writing last_seen_at on every request would make every page view a write; a minute's
# precision is plenty for a 30-minute idle limit.
TOUCH_EVERY = timedelta(minutes=1)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def plausible_token(token: str | None) -> bool:
    """Whether a cookie value could be a token we issued (so junk never reaches a query)."""
    return (
        token is not None
        and 0 < len(token) <= MAX_TOKEN_LENGTH
        and all(c.isalnum() or c in "-_" for c in token)
    )


@dataclass(frozen=True)
class AccessPolicy:
    """How long sessions live, how failed sign-ins are slowed, and how cookies are set."""

    idle: timedelta
    absolute: timedelta
    second_factor_window: timedelta
    cookie_secure: bool
    free_attempts: int
    lockout_attempts: int
    lockout: timedelta
    password_cost: PasswordCost

    @classmethod
    def from_settings(cls, settings: Settings) -> AccessPolicy:
        secure = settings.staff_cookie_secure
        if secure is None:
            secure = not settings.dev_mode
        if settings.staff_lockout_attempts <= settings.staff_free_attempts:
            raise ValueError("HAVEN_STAFF_LOCKOUT_ATTEMPTS must exceed HAVEN_STAFF_FREE_ATTEMPTS")
        return cls(
            idle=timedelta(minutes=settings.staff_session_idle_minutes),
            absolute=timedelta(hours=settings.staff_session_absolute_hours),
            second_factor_window=timedelta(minutes=5),
            cookie_secure=secure,
            free_attempts=settings.staff_free_attempts,
            lockout_attempts=settings.staff_lockout_attempts,
            lockout=timedelta(minutes=settings.staff_lockout_minutes),
            password_cost=PasswordCost.from_settings(settings),
        )

    @property
    def cookie_name(self) -> str:
        return SECURE_COOKIE if self.cookie_secure else PLAIN_COOKIE

    @property
    def pending_cookie_name(self) -> str:
        return SECURE_PENDING_COOKIE if self.cookie_secure else PLAIN_PENDING_COOKIE

    def wait_after(self, failed_attempts: int) -> timedelta:
        """How long the next attempt must wait after this many failures in a row."""
        if failed_attempts >= self.lockout_attempts:
            return self.lockout
        if failed_attempts < self.free_attempts:
            return timedelta(0)
        doubling = failed_attempts - self.free_attempts
        return min(timedelta(seconds=2**doubling), self.lockout)

    def session_token(self, request: Request) -> str | None:
        token = request.cookies.get(self.cookie_name)
        return token if plausible_token(token) else None

    def pending_token(self, request: Request) -> str | None:
        token = request.cookies.get(self.pending_cookie_name)
        return token if plausible_token(token) else None

    def set_session_cookie(self, response: Response, token: str) -> None:
        self._set(response, self.cookie_name, token, int(self.absolute.total_seconds()))
        self.clear_pending_cookie(response)

    def set_pending_cookie(self, response: Response, token: str) -> None:
        seconds = int(self.second_factor_window.total_seconds())
        self._set(response, self.pending_cookie_name, token, seconds)

    def clear_session_cookie(self, response: Response) -> None:
        self._clear(response, self.cookie_name)

    def clear_pending_cookie(self, response: Response) -> None:
        self._clear(response, self.pending_cookie_name)

    def _clear(self, response: Response, name: str) -> None:
        response.delete_cookie(
            name, path="/", secure=self.cookie_secure, httponly=True, samesite="strict"
        )

    def _set(self, response: Response, name: str, token: str, max_age: int) -> None:
        response.set_cookie(
            name,
            token,
            max_age=max_age,
            path="/",
            secure=self.cookie_secure,
            httponly=True,
            samesite="strict",
        )
