"""Rewrapping the gateway's sealed copies under a new KEK (`haven keys rotate`): only each
blob's wrapped key changes, the sealed data stays as it is."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.disclosure.models import AccountingEntry, NamedIndividual, Production, RequestDocument
from haven.disclosure.sealing import WRAPPED_KEY_BYTES
from haven.vault.keys import Keyring

# Each table that holds sealing.seal blobs, and the column the blob is in.
_SEALED: tuple[tuple[Any, str], ...] = (
    (NamedIndividual, "identifiers_wrapped"),
    (RequestDocument, "content_wrapped"),
    (Production, "package_wrapped"),
    (AccountingEntry, "sealed"),
)


def rewrap_sealed(session: Session, keyring: Keyring) -> int:
    """Rewrap every sealed copy not yet under the newest KEK; returns how many."""
    count = 0
    for model, column in _SEALED:
        rows = session.scalars(
            sa.select(model).where(
                model.kek_id != keyring.current_kek_id, getattr(model, column).is_not(None)
            )
        ).all()
        for row in rows:
            blob: bytes = getattr(row, column)
            key = keyring.unwrap(blob[:WRAPPED_KEY_BYTES], row.kek_id)
            kek_id, (wrapped,) = keyring.wrap_keys(key)
            setattr(row, column, wrapped + blob[WRAPPED_KEY_BYTES:])
            row.kek_id = kek_id
            count += 1
    return count
