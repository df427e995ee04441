"""Confirmation codes (short, read over the phone) and secret tokens (manage links, holds).

Only the SHA-256 of a secret token is stored: a leaked database does not give anyone a working
manage link. Confirmation codes are not secrets; they identify a booking in conversation.
"""

from __future__ import annotations

import hashlib
import re
import secrets

# Crockford's base32 already leaves out I, L, O and U; we also drop 0 and 1 so nothing on the
# line can be misheard or misread (0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
_CODE_FORMAT = re.compile(rf"^[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}$")

# 32 random bytes: 256 bits, far beyond guessing, 43 URL-safe characters.
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 128


def new_confirmation_code() -> str:
    """A random code shown as XXXX-XXXX (30^8, about 39 bits); uniqueness is the database's."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_confirmation_code(raw: str) -> str | None:
    """The stored form of a code as a person typed or read it (any case, spaces, hyphen or not).

    None when it cannot be a code, so a lookup need not run.
    """
    compact = re.sub(r"[\s-]", "", raw).upper()
    code = f"{compact[:4]}-{compact[4:]}"
    return code if _CODE_FORMAT.match(code) else None


def new_secret_token() -> str:
    """A fresh URL-safe secret for a manage link or a hold."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the database keeps of a secret token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def idempotency_key_hash(key: str) -> str:
    """The stored form of a client's Idempotency-Key (kept apart from token hashes)."""
    return hashlib.sha256(b"haven:idempotency-key:" + key.encode()).hexdigest()
