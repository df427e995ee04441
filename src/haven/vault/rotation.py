"""Key-encryption key rotation without downtime.

`rotate_kek_files` retires the current KEK (it moves to HAVEN_HOME/keys/retired-keks, where every
keyring still finds it to unwrap) and puts a new one in its place; running processes pick the new
one up on their next seal (see Keyring.wrap_keys). `rewrap_person_keys` then rewraps every data
and tag key still under an older KEK, a batch per transaction, so no request waits long behind
it and a crash half-way loses nothing: the next run carries on where this one stopped.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import Clock
from haven.config import Settings
from haven.db import is_postgresql, unit_of_work
from haven.ledger.store import append
from haven.vault.errors import VaultConfigError
from haven.vault.events import KeyEvent
from haven.vault.keys import (
    Keyring,
    kek_file,
    key_id,
    load_keyring,
    new_key_text,
    retired_keks_dir,
    write_key_file,
)
from haven.vault.models import PersonRecord

DEFAULT_BATCH = 500
SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class RotatedFiles:
    retired_kek_id: str
    new_kek_id: str


def rotate_kek_files(settings: Settings) -> RotatedFiles:
    """Retire the KEK file's key and write a new one; refuses a KEK that comes from the env."""
    if settings.kek is not None:
        raise VaultConfigError(
            "HAVEN_KEK comes from the environment: put a new key in the secret store and the "
            "old one in HAVEN_HOME/keys/retired-keks, restart, then run "
            "'haven keys rotate --rewrap-only'"
        )
    current_path = kek_file(settings)
    old = load_keyring(settings).current_kek
    retired = retired_keks_dir(settings)
    retired.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Retired first and complete before the new KEK appears: a process that sees the new file
    # always finds the old key too. Each file is written aside and renamed into place whole.
    _write_then_rename(retired / key_id(old), settings, _key_text(old))
    _write_then_rename(current_path, settings, new_key_text())
    return RotatedFiles(
        retired_kek_id=key_id(old), new_kek_id=load_keyring(settings).current_kek_id
    )


def rewrap_person_keys(
    sessions: sessionmaker[Session], keyring: Keyring, *, batch: int = DEFAULT_BATCH
) -> int:
    """Rewrap every person's data and tag key that an older KEK wraps; returns how many."""
    total = 0
    while True:
        with unit_of_work(sessions) as session:
            done = _rewrap_batch(session, keyring, batch)
        total += done
        if done < batch:
            return total


def keys_under_other_keks(session: Session, keyring: Keyring) -> int:
    """How many person records are still wrapped by a KEK other than the current one."""
    query = sa.select(sa.func.count()).where(
        PersonRecord.kek_id != keyring.current_kek_id, PersonRecord.wrapped_data_key.is_not(None)
    )
    return int(session.scalar(query) or 0)


def record_rotation(session: Session, clock: Clock, rotated: RotatedFiles) -> None:
    append(
        session,
        KeyEvent.KEK_ROTATED,
        actor=SYSTEM_ACTOR,
        time=clock.now(),
        new_kek_id=rotated.new_kek_id,
        retired_kek_id=rotated.retired_kek_id,
    )


def _rewrap_batch(session: Session, keyring: Keyring, batch: int) -> int:
    query = (
        sa.select(PersonRecord)
        .where(
            PersonRecord.kek_id != keyring.current_kek_id,
            PersonRecord.wrapped_data_key.is_not(None),
        )
        .order_by(PersonRecord.id)
        .limit(batch)
    )
    if is_postgresql(session):
        # Another rotation (or a second run) takes other rows instead of waiting on these.
        query = query.with_for_update(skip_locked=True)
    records = session.scalars(query).all()
    for record in records:
        assert record.wrapped_data_key is not None
        keys = [keyring.unwrap(record.wrapped_data_key, record.kek_id)]
        if record.wrapped_tag_key is not None:
            keys.append(keyring.unwrap(record.wrapped_tag_key, record.kek_id))
        wrapped = [keyring.wrap(key) for key in keys]
        record.wrapped_data_key = wrapped[0]
        record.wrapped_tag_key = wrapped[1] if len(wrapped) > 1 else None
        record.kek_id = keyring.current_kek_id
    session.flush()
    return len(records)


def _key_text(key: bytes) -> str:
    return base64.b64encode(key).decode() + "\n"


def _write_then_rename(target: os.PathLike[str] | str, settings: Settings, text: str) -> None:
    staging = settings.ensure_home() / "keys" / f".staging-{os.getpid()}"
    staging.unlink(missing_ok=True)
    write_key_file(staging, text)
    os.replace(staging, target)
