"""The log's signing key: from HAVEN_LOG_KEY, or a key file created under HAVEN_HOME on first start.

The key is a C2SP signed-note Ed25519 key named after the log's origin; a key whose name is not
the configured origin is refused rather than used (checkpoints would name the wrong log).
"""

from __future__ import annotations

import os
from pathlib import Path

from haven.config import Settings
from haven.errors import HavenError
from haven.ledger.note import MalformedNote, Signer, generate_signer

LOG_KEY_FILE = Path("keys") / "log.skey"


class LogKeyError(HavenError):
    """The log's signing key is missing, malformed or named for another origin."""

    status_code = 500
    code = "log_key_error"


def log_key_path(settings: Settings) -> Path:
    return settings.home / LOG_KEY_FILE


def load_log_signer(settings: Settings) -> Signer:
    """The log's signer: HAVEN_LOG_KEY if set, else the key file (created when absent, 0600)."""
    origin = settings.resolved_log_origin()
    if settings.log_key is not None:
        signer = _parse(settings.log_key.get_secret_value(), "HAVEN_LOG_KEY")
    else:
        path = log_key_path(settings)
        if not path.exists():
            _create_key_file(path, generate_signer(origin))
        signer = _parse(path.read_text(encoding="utf-8").strip(), str(path))
    if signer.name != origin:
        raise LogKeyError(
            f"the log key is named {signer.name!r} but the log origin is {origin!r}; "
            "set HAVEN_LOG_ORIGIN to the key's name or use a key for this origin"
        )
    return signer


def _parse(skey: str, source: str) -> Signer:
    try:
        return Signer.from_skey(skey)
    except MalformedNote as exc:
        raise LogKeyError(f"{source} is not a signed-note private key: {exc.message}") from None


def _create_key_file(path: Path, signer: Signer) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    draft = path.with_name(f"{path.name}.{os.getpid()}.new")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(signer.skey + "\n")
    try:
        # A hard link appears whole or not at all, and never replaces a key another process
        # created first: then everyone uses that one.
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
