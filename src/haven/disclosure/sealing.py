"""Envelope sealing for the gateway's own encrypted copies (identifiers an agency sent, scans,
productions, accounting entries): a fresh AES-256-GCM key per blob, wrapped by the KEK.

Unlike a person's record these do not die with the person's data key; what each copy holds,
and for how long, is decided by the module that keeps it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from haven.vault.keys import KEY_BYTES, NONCE_BYTES, Keyring

# A wrapped key is nonce + 32-byte key + 16-byte tag.
WRAPPED_KEY_BYTES = NONCE_BYTES + KEY_BYTES + 16


@dataclass(frozen=True)
class Sealed:
    kek_id: str
    blob: bytes  # wrapped key, then nonce + ciphertext


def seal(keyring: Keyring, plaintext: bytes, context: str) -> Sealed:
    """Encrypt under a fresh key bound to ``context`` (a label such as "disclosure:production")."""
    key = secrets.token_bytes(KEY_BYTES)
    kek_id, (wrapped,) = keyring.wrap_keys(key)
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = nonce + AESGCM(key).encrypt(nonce, plaintext, context.encode())
    return Sealed(kek_id, wrapped + sealed)


def unseal(keyring: Keyring, kek_id: str, blob: bytes, context: str) -> bytes:
    """Open what ``seal`` made with the same context."""
    key = keyring.unwrap(blob[:WRAPPED_KEY_BYTES], kek_id)
    sealed = blob[WRAPPED_KEY_BYTES:]
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context.encode())
