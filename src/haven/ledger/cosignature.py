"""C2SP tlog-cosignature v1: timestamped Ed25519 witness cosignatures (signature type 0x04).

The signed message is ``cosignature/v1\\ntime <T>\\n`` followed by the checkpoint body; the
signature is ``u64 big-endian timestamp || 64-byte Ed25519 signature``. Because the message does
not commit to the cosigner's name, a witness uses its key for nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from haven.clock import Clock
from haven.ledger.note import (
    ED25519_TYPE,
    Ed25519KeyVerifier,
    MalformedNote,
    NoteVerifier,
    Signer,
    Verifier,
    check_key_name,
    decode_key,
    ed25519_signature_valid,
    key_id_for,
    parse_skey,
)

COSIGNATURE_TYPE = 0x04
MAX_TIMESTAMP = (1 << 63) - 1
_SIGNATURE_SIZE = 8 + 64


def cosigned_message(text: bytes, timestamp: int) -> bytes:
    """The bytes a v1 cosignature signs over a checkpoint body."""
    return b"cosignature/v1\ntime %d\n" % timestamp + text


def cosignature_timestamp(signature: bytes) -> int:
    """The POSIX timestamp inside a v1 cosignature (the bytes after the key ID)."""
    if len(signature) != _SIGNATURE_SIZE:
        raise MalformedNote("a cosignature is an 8-byte timestamp and a 64-byte signature")
    return int.from_bytes(signature[:8], "big")


@dataclass(frozen=True)
class CosignatureVerifier(Ed25519KeyVerifier):
    """Checks a witness's v1 cosignatures over checkpoint bodies."""

    signature_type: ClassVar[int] = COSIGNATURE_TYPE
    kind: ClassVar[str] = "cosignature/v1 (type 0x04)"

    def verify(self, text: bytes, signature: bytes) -> bool:
        """True when ``signature`` is this witness's cosignature over the checkpoint ``text``."""
        if len(signature) != _SIGNATURE_SIZE:
            return False
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp > MAX_TIMESTAMP:
            return False
        message = cosigned_message(text, timestamp)
        return ed25519_signature_valid(self.public_key, signature[8:], message)


class Cosigner:
    """A witness key that makes v1 cosignatures, timestamped from the injected clock."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey, clock: Clock) -> None:
        self._name = check_key_name(name)
        self._private_key = private_key
        self._clock = clock
        self._public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._key_id = key_id_for(name, COSIGNATURE_TYPE, self._public_key)

    @classmethod
    def from_skey(cls, skey: str, clock: Clock) -> Cosigner:
        """A cosigner from a note private key string (the witness key file holds one)."""
        return cls(*parse_skey(skey), clock)

    @classmethod
    def generate(cls, name: str, clock: Clock) -> Cosigner:
        return cls(name, Ed25519PrivateKey.generate(), clock)

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        return self._key_id

    @property
    def skey(self) -> str:
        """The private key string (stored with type 0x01 like any Ed25519 note key)."""
        return Signer(self._name, self._private_key).skey

    @property
    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self._name, self._key_id, self._public_key)

    @property
    def vkey(self) -> str:
        """The type 0x04 vkey a log operator configures to trust this witness."""
        return self.verifier.vkey

    def sign(self, text: bytes) -> bytes:
        """``timestamp || Ed25519(cosignature/v1 message)`` for the checkpoint body ``text``."""
        timestamp = int(self._clock.now().timestamp())
        signature = self._private_key.sign(cosigned_message(text, timestamp))
        return timestamp.to_bytes(8, "big") + signature

    def __repr__(self) -> str:
        return f"Cosigner(name={self._name!r}, key_id={self._key_id:08x})"


def verifier_from_vkey(vkey: str) -> NoteVerifier:
    """A note verifier for an Ed25519 (0x01) or cosignature/v1 (0x04) vkey."""
    signature_type = decode_key(vkey.strip(), "vkey")[2]
    if signature_type == ED25519_TYPE:
        return Verifier.from_vkey(vkey)
    if signature_type == COSIGNATURE_TYPE:
        return CosignatureVerifier.from_vkey(vkey)
    raise MalformedNote(
        f"vkey signature type 0x{signature_type:02x} is not supported", field="vkey"
    )
