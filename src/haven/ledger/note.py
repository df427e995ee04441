"""C2SP signed-note: text signed by one or more keys, with Ed25519 (signature type 0x01) keys.

A signed note is the text (ending in a newline), an empty line, then one line per signature:
``— <key name> base64(4-byte key ID || signature)``. Keys travel as strings:
``vkey = <name>+<8 hex key ID>+base64(type || public key)`` and
``skey = PRIVATE+KEY+<name>+<8 hex key ID>+base64(type || private seed)``.

:func:`open_note` ignores signatures from unknown keys, rejects the note when a known key's
signature fails, and requires at least one known signature to verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from haven.errors import Forbidden, Invalid

ED25519_TYPE = 0x01
SIGNATURE_PREFIX = "\u2014 "  # EM DASH, space
MAX_SIGNATURES = 100  # the spec asks verifiers to accept at least 16
MAX_NOTE_BYTES = 1 << 20
_PRIVATE_PREFIX = "PRIVATE+KEY+"
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_HEX_KEY_ID = re.compile(r"[0-9a-fA-F]{8}")


class MalformedNote(Invalid):
    """The bytes are not a well-formed signed note, key or signature."""

    code = "malformed_note"


class UnverifiedNote(Forbidden):
    """No known key signed the note, or a known key's signature does not verify."""

    code = "unverified_note"


class NoteSigner(Protocol):
    """Anything that signs note text under a key name and key ID (log keys, witness keys)."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def sign(self, text: bytes) -> bytes:
        """The signature bytes (without the key ID) over the note text."""
        ...


class NoteVerifier(Protocol):
    """Anything that checks a signature made under a key name and key ID."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def verify(self, text: bytes, signature: bytes) -> bool:
        """True when ``signature`` (without the key ID) is valid over the note text."""
        ...


def check_key_name(name: str) -> str:
    """Return ``name`` when it is a valid key name: non-empty, no Unicode space, no plus."""
    if not name or "+" in name or any(ch.isspace() for ch in name) or _CONTROL.search(name):
        raise MalformedNote(
            "a key name must be non-empty with no spaces or '+' characters", field="name"
        )
    return name


def key_id_for(name: str, signature_type: int, public_key: bytes) -> int:
    """The key ID: SHA-256(name || 0x0A || type || public key)[:4] as a big-endian integer."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def decode_base64(value: str, field: str) -> bytes:
    """Strict standard base64 (RFC 4648 §4); anything else is a :class:`MalformedNote`."""
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise MalformedNote(f"{field} is not valid base64", field=field) from exc


def encode_key(name: str, key_id: int, signature_type: int, key: bytes) -> str:
    """``<name>+<hex key ID>+base64(type || key)``: the body of a vkey or skey string."""
    material = base64.b64encode(bytes([signature_type]) + key).decode()
    return f"{name}+{key_id:08x}+{material}"


def decode_key(text: str, field: str) -> tuple[str, int, int, bytes]:
    """Split a key string into (name, key ID, signature type, key bytes)."""
    parts = text.split("+", 2)
    if len(parts) != 3 or not _HEX_KEY_ID.fullmatch(parts[1]):
        raise MalformedNote(f"{field} is not of the form name+keyid+key", field=field)
    name = check_key_name(parts[0])
    material = decode_base64(parts[2], field)
    if len(material) < 2:
        raise MalformedNote(f"{field} holds no key material", field=field)
    return name, int(parts[1], 16), material[0], material[1:]


def decode_ed25519_vkey(vkey: str, signature_type: int, kind: str) -> tuple[str, int, bytes]:
    """(name, key ID, 32-byte public key) of an Ed25519-based vkey of ``signature_type``."""
    name, key_id, found_type, public_key = decode_key(vkey.strip(), "vkey")
    if found_type != signature_type or len(public_key) != 32:
        raise MalformedNote(f"vkey is not an {kind} key", field="vkey")
    if key_id != key_id_for(name, signature_type, public_key):
        raise MalformedNote("vkey key ID does not match its name and key", field="vkey")
    return name, key_id, public_key


def parse_skey(skey: str) -> tuple[str, Ed25519PrivateKey]:
    """The key name and Ed25519 private key of a ``PRIVATE+KEY+...`` string, key ID checked."""
    skey = skey.strip()
    if not skey.startswith(_PRIVATE_PREFIX):
        raise MalformedNote("skey must start with PRIVATE+KEY+", field="skey")
    name, key_id, signature_type, seed = decode_key(skey[len(_PRIVATE_PREFIX) :], "skey")
    if signature_type != ED25519_TYPE or len(seed) != 32:
        raise MalformedNote("skey is not an Ed25519 (type 0x01) key", field="skey")
    private_key = Ed25519PrivateKey.from_private_bytes(seed)
    public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    if key_id != key_id_for(name, ED25519_TYPE, public_key):
        raise MalformedNote("skey key ID does not match its name and key", field="skey")
    return name, private_key


def ed25519_signature_valid(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``message`` by ``public_key``."""
    if len(signature) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class Ed25519KeyVerifier:
    """A verifier holding an Ed25519 public key under a note signature type; subclasses say
    which type and how a signature is checked."""

    signature_type: ClassVar[int]
    kind: ClassVar[str]

    name: str
    key_id: int
    public_key: bytes

    @classmethod
    def from_vkey(cls, vkey: str) -> Self:
        """Parse a vkey string of this type, checking that its key ID matches its name and key."""
        return cls(*decode_ed25519_vkey(vkey, cls.signature_type, cls.kind))

    @property
    def vkey(self) -> str:
        """The vkey string that publishes this key."""
        return encode_key(self.name, self.key_id, self.signature_type, self.public_key)


@dataclass(frozen=True)
class Verifier(Ed25519KeyVerifier):
    """An Ed25519 (type 0x01) note verifier."""

    signature_type: ClassVar[int] = ED25519_TYPE
    kind: ClassVar[str] = "Ed25519 (type 0x01)"

    def verify(self, text: bytes, signature: bytes) -> bool:
        """True when ``signature`` is this key's Ed25519 signature over ``text``."""
        return ed25519_signature_valid(self.public_key, signature, text)


class Signer:
    """An Ed25519 (type 0x01) note signer. Its repr never shows the private key."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._name = check_key_name(name)
        self._private_key = private_key
        self._public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._key_id = key_id_for(name, ED25519_TYPE, self._public_key)

    @classmethod
    def from_skey(cls, skey: str) -> Signer:
        """Parse a ``PRIVATE+KEY+...`` string, checking its key ID."""
        return cls(*parse_skey(skey))

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        return self._key_id

    @property
    def skey(self) -> str:
        """The private key string; keep it secret."""
        seed = self._private_key.private_bytes_raw()
        return _PRIVATE_PREFIX + encode_key(self._name, self._key_id, ED25519_TYPE, seed)

    @property
    def verifier(self) -> Verifier:
        return Verifier(self._name, self._key_id, self._public_key)

    @property
    def vkey(self) -> str:
        return self.verifier.vkey

    def sign(self, text: bytes) -> bytes:
        """The Ed25519 signature over ``text`` (deterministic, RFC 8032)."""
        return self._private_key.sign(text)

    def __repr__(self) -> str:
        return f"Signer(name={self._name!r}, key_id={self._key_id:08x})"


def generate_signer(name: str) -> Signer:
    """A new Ed25519 note signer with a fresh random key."""
    return Signer(name, Ed25519PrivateKey.generate())


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, key ID and the signature bytes after the key ID."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        """The signature line, ``— name base64(keyid || sig)`` with its newline."""
        blob = self.key_id.to_bytes(4, "big") + self.signature
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(blob).decode()}\n"


@dataclass(frozen=True)
class Note:
    """An opened note: its text and the signatures of known keys that verified."""

    text: str
    verified: tuple[NoteSignature, ...]
    signatures: tuple[NoteSignature, ...]


def check_text(text: str) -> bytes:
    """The UTF-8 bytes of a note text, refusing one that breaks the format's rules."""
    if not text.endswith("\n"):
        raise MalformedNote("note text must end with a newline", field="text")
    if _CONTROL.search(text):
        raise MalformedNote("note text must not contain control characters", field="text")
    return text.encode("utf-8")


def sign_note(text: str, signers: Iterable[NoteSigner]) -> str:
    """Sign ``text`` with every signer; return the signed note."""
    message = check_text(text)
    lines = [NoteSignature(s.name, s.key_id, s.sign(message)).line() for s in signers]
    if not lines:
        raise MalformedNote("a note needs at least one signer", field="signers")
    return text + "\n" + "".join(lines)


def parse_signature_line(line: str) -> NoteSignature:
    """Parse ``— name base64`` (without its newline)."""
    if not line.startswith(SIGNATURE_PREFIX):
        raise MalformedNote("signature lines must start with an em dash and a space")
    name, sep, blob_text = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not sep:
        raise MalformedNote("a signature line needs a key name and a signature")
    check_key_name(name)
    blob = decode_base64(blob_text, "signature")
    if len(blob) < 5:
        raise MalformedNote("a signature is a 4-byte key ID and at least one byte")
    return NoteSignature(name, int.from_bytes(blob[:4], "big"), blob[4:])


def split_note(note: bytes | str) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its text and parsed signature lines, checking the format."""
    if isinstance(note, bytes):
        if len(note) > MAX_NOTE_BYTES:
            raise MalformedNote("note is too large")
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedNote("note is not valid UTF-8") from exc
    if _CONTROL.search(note):
        raise MalformedNote("note must not contain control characters other than newline")
    split_at = note.rfind("\n\n")
    if split_at < 0 or not note.endswith("\n"):
        raise MalformedNote("note needs its text, an empty line and signature lines")
    text, block = note[: split_at + 1], note[split_at + 2 :]
    lines = block[:-1].split("\n") if block else []
    if not lines:
        raise MalformedNote("note has no signature lines")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNote(f"note has more than {MAX_SIGNATURES} signatures")
    return text, [parse_signature_line(line) for line in lines]


def open_note(note: bytes | str, verifiers: Sequence[NoteVerifier]) -> Note:
    """Parse and verify a signed note against the known ``verifiers``.

    Signatures from unknown keys (name and key ID not both known) are ignored. Raises
    :class:`MalformedNote` for bad format and :class:`UnverifiedNote` when a known key's signature
    fails or no known key signed.
    """
    text, signatures = split_note(note)
    message = text.encode("utf-8")
    known = {(v.name, v.key_id): v for v in verifiers}
    verified: list[NoteSignature] = []
    for signature in signatures:
        verifier = known.get((signature.name, signature.key_id))
        if verifier is None:
            continue
        if not verifier.verify(message, signature.signature):
            raise UnverifiedNote(f"the signature by {signature.name} does not verify")
        verified.append(signature)
    if not verified:
        raise UnverifiedNote("no signature from a known key")
    return Note(text, tuple(verified), tuple(signatures))
