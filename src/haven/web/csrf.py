"""CSRF protection for public forms, which have no session: a signed double-submit cookie.

The browser gets a random nonce in an HttpOnly, SameSite=Lax cookie; every form carries
HMAC(csrf key, nonce) in a hidden field. A POST passes only when the field matches the cookie's
nonce under the server's key, and, when the browser sends an Origin header, that origin is ours.
Another site can neither read the cookie nor compute the field, and SameSite=Lax keeps the
cookie off its cross-site POSTs in the first place. The key is derived from the vault's
blind-index key, so every `haven serve` process of one deployment agrees without a new secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping

from fastapi import Request
from starlette.responses import Response

from haven.errors import Forbidden
from haven.vault.keys import Keyring

COOKIE_NAME = "haven_csrf"
FIELD_NAME = "csrf_token"
_KEY_LABEL = b"haven:csrf-key:v1"
_COOKIE_MAX_AGE = 60 * 60 * 12


class CsrfRefused(Forbidden):
    """A form came back without the token its page gave it (an old tab, or another site)."""


def _csrf_key(keyring: Keyring) -> bytes:
    return hmac.new(keyring.blind_index_key, _KEY_LABEL, hashlib.sha256).digest()


def _sign(keyring: Keyring, nonce: str) -> str:
    return hmac.new(_csrf_key(keyring), nonce.encode(), hashlib.sha256).hexdigest()


class CsrfGuard:
    """The token for this request's forms, and whether a response must set a new cookie."""

    def __init__(self, request: Request, keyring: Keyring) -> None:
        cookie = request.cookies.get(COOKIE_NAME, "")
        self._new_nonce = None if _looks_like_nonce(cookie) else secrets.token_urlsafe(32)
        self._nonce = self._new_nonce or cookie
        self._secure = request.url.scheme == "https"
        self.token = _sign(keyring, self._nonce)

    def set_cookie(self, response: Response) -> None:
        if self._new_nonce is not None:
            response.set_cookie(
                COOKIE_NAME,
                self._new_nonce,
                max_age=_COOKIE_MAX_AGE,
                httponly=True,
                samesite="lax",
                secure=self._secure,
                path="/",
            )


def verify(request: Request, form: Mapping[str, object], keyring: Keyring) -> None:
    """Refuse a POST whose token does not match its cookie, or that comes from another origin."""
    origin = request.headers.get("origin")
    if origin is not None and origin != _own_origin(request):
        raise CsrfRefused("this form was sent from another site", field=FIELD_NAME)
    nonce = request.cookies.get(COOKIE_NAME, "")
    sent = form.get(FIELD_NAME)
    if not _looks_like_nonce(nonce) or not isinstance(sent, str):
        raise CsrfRefused("this form has expired: please go back and try again", field=FIELD_NAME)
    if not hmac.compare_digest(sent, _sign(keyring, nonce)):
        raise CsrfRefused("this form has expired: please go back and try again", field=FIELD_NAME)


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _looks_like_nonce(value: str) -> bool:
    return 32 <= len(value) <= 64 and all(c.isalnum() or c in "-_" for c in value)
