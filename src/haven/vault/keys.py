"""The key-encryption key (KEK) and the blind-index key.

Per-person data keys are wrapped by the KEK. Locally the KEK is a file under HAVEN_HOME (created
owner-only on first start) or the HAVEN_KEK secret; in production a KMS sits behind the same
`Keyring` interface. Several KEKs can be known at once so data keys can be rewrapped without
downtime; new data keys are always wrapped by the current one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

from haven.config import Settings
from haven.vault.errors import VaultConfigError

KEY_BYTES = 32
NONCE_BYTES = 12
_WRAP_CONTEXT = b"haven:wrapped-key:v1:"


def key_id(key: bytes) -> str:
    """A short public name for a key, so wrapped data says which KEK wraps it."""
    return hashlib.sha256(b"haven:kek-id:" + key).hexdigest()[:16]


class _KekFiles:
    """What a keyring last saw of the key files, so a KEK rotated by `haven keys rotate` in
    another process is picked up without a restart (reads never stop during a rotation)."""

    def __init__(self, keys_dir: Path) -> None:
        self.keys_dir = keys_dir
        self.lock = threading.Lock()
        self.signature: tuple[int, int, int] | None = None
        self.current: bytes | None = None
        self.known: dict[str, bytes] = {}

    def refresh(self) -> None:
        path = self.keys_dir / "kek"
        try:
            info = path.stat()
        except FileNotFoundError:
            return
        signature = (info.st_ino, info.st_mtime_ns, info.st_size)
        with self.lock:
            if signature == self.signature:
                return
            # Retired first: the rotation writes the old KEK there before replacing the file.
            for key in _older_keks(self.keys_dir):
                self.known[key_id(key)] = key
            current = _decode_key(path.read_text().strip(), str(path))
            self.known[key_id(current)] = current
            self.current, self.signature = current, signature


@dataclass(frozen=True)
class Keyring:
    """The KEK (and older ones still needed to unwrap) and the blind-index key.

    ``wrap``/``current_kek_id`` use the KEK the keyring was loaded with. ``wrap_keys`` uses the
    newest KEK in the key files (when the keyring came from files), so a process started before
    a rotation seals new people under the new KEK; ``unwrap`` looks at the files again when it
    meets a KEK it does not know yet.
    """

    current_kek: bytes
    blind_index_key: bytes
    older_keks: dict[str, bytes] = field(default_factory=dict)
    files: _KekFiles | None = field(default=None, compare=False, repr=False)

    @property
    def current_kek_id(self) -> str:
        return key_id(self.current_kek)

    def wrap(self, data_key: bytes) -> bytes:
        return _wrap(self.current_kek, data_key)

    def wrap_keys(self, *keys: bytes) -> tuple[str, list[bytes]]:
        """Wrap keys under one KEK, the newest known; returns its id and the wrapped keys."""
        kek = self.current_kek
        if self.files is not None:
            self.files.refresh()
            kek = self.files.current or kek
        return key_id(kek), [_wrap(kek, key) for key in keys]

    def unwrap(self, wrapped: bytes, kek_id: str) -> bytes:
        kek = self._kek(kek_id)
        aad = _WRAP_CONTEXT + kek_id.encode()
        try:
            return AESGCM(kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad)
        except InvalidTag as exc:
            raise VaultConfigError("a wrapped data key does not open under its KEK") from exc

    def blind_index(self, kind: str, normalised_value: str) -> str:
        """HMAC of a normalised value: equal inputs match, and the index reveals nothing."""
        message = f"{kind}:{normalised_value}".encode()
        return hmac.new(self.blind_index_key, message, hashlib.sha256).hexdigest()

    def _kek(self, kek_id: str) -> bytes:
        if kek_id == self.current_kek_id:
            return self.current_kek
        if kek_id in self.older_keks:
            return self.older_keks[kek_id]
        if self.files is not None:
            self.files.refresh()
            if kek_id in self.files.known:
                return self.files.known[kek_id]
        raise VaultConfigError(f"KEK {kek_id} is not loaded; cannot open data keys")


def _wrap(kek: bytes, data_key: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    aad = _WRAP_CONTEXT + key_id(kek).encode()
    return nonce + AESGCM(kek).encrypt(nonce, data_key, aad)


def load_keyring(settings: Settings) -> Keyring:
    """Build the keyring from the environment or from key files under HAVEN_HOME."""
    keys_dir = settings.ensure_home() / "keys"
    kek = _secret_or_file(settings.kek, keys_dir / "kek", "HAVEN_KEK")
    blind = _secret_or_file(
        settings.blind_index_key, keys_dir / "blind-index", "HAVEN_BLIND_INDEX_KEY"
    )
    older = {key_id(k): k for k in _older_keks(keys_dir)}
    older.pop(key_id(kek), None)
    # A KEK from the environment is rotated by the operator's secret store and a restart.
    files = _KekFiles(keys_dir) if settings.kek is None else None
    if files is not None:
        files.refresh()
    return Keyring(current_kek=kek, blind_index_key=blind, older_keks=older, files=files)


def retired_keks_dir(settings: Settings) -> Path:
    """Where `haven keys rotate` keeps old KEKs, still able to unwrap, never to wrap."""
    return settings.ensure_home() / "keys" / "retired-keks"


def kek_file(settings: Settings) -> Path:
    return settings.ensure_home() / "keys" / "kek"


def new_key_text() -> str:
    """A fresh 32-byte key as the key files hold it (base64 and a newline)."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode() + "\n"


def _secret_or_file(secret: SecretStr | None, path: Path, env_name: str) -> bytes:
    raw = secret.get_secret_value() if secret is not None else None
    if raw is None:
        if not path.exists():
            _create_key_file(path)
        raw = path.read_text().strip()
        origin = str(path)
    else:
        origin = env_name
    return _decode_key(raw, origin)


def _decode_key(raw: str, origin: str) -> bytes:
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise VaultConfigError(f"{origin} is not base64") from None
    if len(key) != KEY_BYTES:
        raise VaultConfigError(f"{origin} must hold {KEY_BYTES} bytes, not {len(key)}")
    return key


def _create_key_file(path: Path) -> None:
    write_key_file(path, new_key_text())


def write_key_file(path: Path, text: str) -> None:
    """Create an owner-only key file; refuses to overwrite one (FileExistsError)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _older_keks(keys_dir: Path) -> list[bytes]:
    retired = keys_dir / "retired-keks"
    if not retired.is_dir():
        return []
    return [_decode_key(p.read_text().strip(), str(p)) for p in sorted(retired.iterdir())]
