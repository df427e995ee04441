"""The witness's key file: one signed-note private key line, created 0600 on first start."""

from __future__ import annotations

import os
from pathlib import Path

from haven.clock import Clock
from haven.ledger.cosignature import Cosigner


def load_or_create_cosigner(path: Path, name: str, clock: Clock) -> Cosigner:
    """The cosigner in ``path``; when the file is absent, a new key named ``name`` is written."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fresh = Cosigner.generate(name, clock)
        try:
            # O_EXCL: never overwrite a key another process has just created; use that one.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(fresh.skey + "\n")
    return Cosigner.from_skey(path.read_text(encoding="utf-8"), clock)
