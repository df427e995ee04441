"""Sealing and opening personal data under per-person data keys.

Nothing here hands decrypted personal data to other domains: every read goes through
`haven.vault.reads.read_people`, which needs a purpose and records the read in the ledger.

Each person gets a fresh AES-256-GCM data key and a separate tag key (for their ledger subject
tags), both wrapped by the KEK. Their name, contact and accommodation note are one sealed JSON
document. Destroying the wrapped keys (retention) makes all of it unreadable for good.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.errors import NotFound
from haven.vault.errors import PersonGone
from haven.vault.keys import KEY_BYTES, NONCE_BYTES, Keyring
from haven.vault.models import PersonRecord

_PERSON_CONTEXT = b"haven:person:v1"
# The blind-index column of a record with no contact (a walk-in) or a shredded one.
NO_CONTACT_INDEX = ""


@dataclass(frozen=True)
class PersonData:
    """Everything Haven holds about a person: a name and one way to reach them."""

    name: str
    phone: str | None = None
    email: str | None = None
    accommodation_note: str | None = None

    @property
    def contact(self) -> str:
        contact = self.phone or self.email
        if contact is None:
            raise ValueError("a person needs a phone number or an email address")
        return contact

    @property
    def contact_kind(self) -> str:
        return "phone" if self.phone else "email"


def seal_person(session: Session, keyring: Keyring, clock: Clock, data: PersonData) -> PersonRecord:
    """Encrypt a person's data under a new data key and store it; returns the new record."""
    data_key = secrets.token_bytes(KEY_BYTES)
    kek_id, (wrapped_data_key, wrapped_tag_key) = keyring.wrap_keys(
        data_key, secrets.token_bytes(KEY_BYTES)
    )
    record = PersonRecord(
        kek_id=kek_id,
        wrapped_data_key=wrapped_data_key,
        wrapped_tag_key=wrapped_tag_key,
        ciphertext=_seal(data_key, json.dumps(asdict(data)).encode(), _PERSON_CONTEXT),
        # A walk-in may give only a name: nothing to look them up by, so no index.
        contact_index=contact_index(keyring, data.contact_kind, data.contact)
        if data.phone or data.email
        else NO_CONTACT_INDEX,
        created_at=clock.now(),
    )
    session.add(record)
    session.flush()
    return record


def _decrypt_person(keyring: Keyring, record: PersonRecord) -> PersonData:
    """Decrypt a loaded record. Vault-private: reads go through haven.vault.reads.read_people,
    which records them in the ledger. Raises PersonGone after the keys were destroyed."""
    document = _open(_data_key(keyring, record), record.ciphertext, _PERSON_CONTEXT)
    return PersonData(**json.loads(document))


def seal_for_person(
    session: Session, keyring: Keyring, person_id: int, plaintext: bytes, context: str
) -> bytes:
    """Seal other data (a stored response, a notice) so it dies with the person's key."""
    record = _record(session, person_id)
    return _seal(_data_key(keyring, record), plaintext, context.encode())


def _decrypt_for_person(
    keyring: Keyring, record: PersonRecord, sealed: bytes, context: str
) -> bytes:
    """Open data sealed with seal_for_person. Vault-private, like _decrypt_person."""
    return _open(_data_key(keyring, record), sealed, context.encode())


def person_tag_key(session: Session, keyring: Keyring, person_id: int) -> bytes:
    """The key that makes this person's ledger subject tags; gone when they are shredded."""
    return _tag_key(keyring, _record(session, person_id))


def _tag_key(keyring: Keyring, record: PersonRecord) -> bytes:
    if record.wrapped_tag_key is None:
        raise PersonGone("this person's record was deleted on schedule")
    return keyring.unwrap(record.wrapped_tag_key, record.kek_id)


def contact_index(keyring: Keyring, kind: str, normalised_contact: str) -> str:
    return keyring.blind_index(f"contact:{kind}", normalised_contact)


def _record(session: Session, person_id: int) -> PersonRecord:
    record = session.get(PersonRecord, person_id)
    if record is None:
        raise NotFound("no such person record")
    return record


def _data_key(keyring: Keyring, record: PersonRecord) -> bytes:
    if record.wrapped_data_key is None:
        raise PersonGone("this person's record was deleted on schedule")
    return keyring.unwrap(record.wrapped_data_key, record.kek_id)


def _seal(key: bytes, plaintext: bytes, context: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, context)


def _open(key: bytes, sealed: bytes, context: bytes) -> bytes:
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)
