"""Reaching `/my` without the manage link: the confirmation code, then a one-time code sent to
the contact on file.

Resisting enumeration: asking for a code answers the same page whether or not the confirmation
code exists, and the limits count every attempt by the code as typed and by the asker's address,
existing or not, so neither the answer nor the limit says which codes exist. A one-time code is
6 digits, lives 10 minutes, is stored only as a hash, allows 5 wrong tries, and is used once;
using it grants a private link valid for 30 minutes.

Sending goes through ``CodeSender``: ``MessageCodeSender`` over the notify senders (SMTP, the
SMS webhook) where they are configured; otherwise, in dev mode only, ``FileCodeOutbox`` writes
each message as a file under ``HAVEN_HOME/outbox/one-time-codes``; outside dev mode with neither,
asking fails closed.

The codes and counters live in this process's memory (``CodeDesk``, one per app): several
``haven serve`` processes would each count separately. A table shared through the database is
the next step for a multi-process deployment.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from haven.errors import HavenError
from haven.i18n import N_, translate
from haven.notify.senders import Email, EmailSender, Sms, SmsSender

CODE_LIFETIME = timedelta(minutes=10)
GRANT_LIFETIME = timedelta(minutes=30)
WRONG_TRIES = 5
WINDOW = timedelta(hours=1)
ASKS_PER_CODE = 3  # per confirmation code per hour
ASKS_PER_ADDRESS = 10  # per client address per hour
GRANT_PREFIX = "once-"
CODE_SUBJECT = N_("Your Haven code")
CODE_BODY = N_("Your Haven code is %(code)s.")


class TooManyTries(HavenError):
    status_code = 429
    code = "too_many_tries"


class NoSender(HavenError):
    """No way to send the code is configured; outside dev mode this fails closed."""

    status_code = 503
    code = "one_time_code_sender_missing"


class CodeSender(Protocol):
    """Sends a one-time code to a contact (``kind`` is "phone" or "email") in ``language`` (a
    tag of haven.i18n.LOCALES: the language of the page the code was asked on)."""

    def send_code(self, kind: str, contact: str, code: str, language: str) -> None: ...


def code_body(code: str, language: str) -> str:
    """The message carrying the code, in the person's language."""
    return translate(language, CODE_BODY, {"code": code})


@dataclass(frozen=True)
class MessageCodeSender:
    """Sends the code through the channels the office configured for its messages (SMTP, the
    SMS webhook). A contact whose channel is not configured cannot get a code: fail closed."""

    email: EmailSender | None
    sms: SmsSender | None

    def send_code(self, kind: str, contact: str, code: str, language: str) -> None:
        body = code_body(code, language)
        if kind == "email" and self.email is not None:
            subject = translate(language, CODE_SUBJECT)
            self.email.send_email(Email(to=contact, subject=subject, body=body))
        elif kind == "phone" and self.sms is not None:
            self.sms.send_sms(Sms(to=contact, body=body))
        else:
            raise NoSender("codes cannot be sent this way here; please use your manage link")


@dataclass(frozen=True)
class FileCodeOutbox:
    """Dev mode: each message is a JSON file under ``directory`` (never logged or printed)."""

    directory: Path

    def send_code(self, kind: str, contact: str, code: str, language: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        message = {"to": contact, "kind": kind, "body": code_body(code, language)}
        path = self.directory / f"{uuid.uuid4().hex}.json"
        path.write_text(json.dumps(message), encoding="utf-8")
        path.chmod(0o600)


@dataclass
class _Pending:
    code_hash: str
    person_id: int
    expires_at: datetime
    wrong: int = 0


@dataclass
class CodeDesk:
    """One app's one-time codes, grants and rate counters."""

    pepper: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _pending: dict[str, _Pending] = field(default_factory=dict)
    _grants: dict[str, tuple[int, datetime]] = field(default_factory=dict)
    _asks: dict[str, deque[datetime]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count_ask(self, confirmation: str, address: str, now: datetime) -> None:
        """Count an attempt by code and by address; TooManyTries past either limit."""
        with self._lock:
            over = [
                self._bump(f"code:{confirmation}", now) > ASKS_PER_CODE,
                self._bump(f"addr:{address}", now) > ASKS_PER_ADDRESS,
            ]
        if any(over):
            raise TooManyTries("too many tries; please wait an hour or use your manage link")

    def issue(self, confirmation: str, person_id: int, now: datetime) -> str:
        """A fresh 6-digit code for this confirmation code (replacing any earlier one)."""
        code = f"{secrets.randbelow(10**6):06d}"
        with self._lock:
            self._pending[confirmation] = _Pending(self._hash(code), person_id, now + CODE_LIFETIME)
        return code

    def redeem(self, confirmation: str, code: str, now: datetime) -> str | None:
        """A grant token for the person if ``code`` is right and fresh; None otherwise."""
        with self._lock:
            pending = self._pending.get(confirmation)
            if pending is None or pending.expires_at <= now:
                return None
            if not hmac.compare_digest(pending.code_hash, self._hash(code.strip())):
                pending.wrong += 1
                if pending.wrong >= WRONG_TRIES:
                    del self._pending[confirmation]
                return None
            del self._pending[confirmation]
            grant = GRANT_PREFIX + secrets.token_urlsafe(32)
            self._grants[self._hash(grant)] = (pending.person_id, now + GRANT_LIFETIME)
            return grant

    def person_of_grant(self, grant: str, now: datetime) -> int | None:
        with self._lock:
            found = self._grants.get(self._hash(grant))
        if found is None or found[1] <= now:
            return None
        return found[0]

    def _bump(self, key: str, now: datetime) -> int:
        times = self._asks.setdefault(key, deque())
        while times and times[0] <= now - WINDOW:
            times.popleft()
        times.append(now)
        return len(times)

    def _hash(self, secret: str) -> str:
        return hmac.new(self.pepper, secret.encode(), hashlib.sha256).hexdigest()
