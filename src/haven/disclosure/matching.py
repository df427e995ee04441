"""Matching each person a request names to exactly one record, without bulk decryption.

Two steps. ``count_candidates`` uses blind indexes only: the phone or email the agency gave is
normalised and HMAC-indexed the way the vault indexes contacts, and the records carrying that
index are counted. Nothing is decrypted, so a request the policy denies has opened nobody.
``confirm_matches`` runs only for requests going to review: one purpose-bound read
("disclosure review", recorded in the ledger) of the single candidate per person, comparing
the name the agency gave with the record's. A person stays matched only when both agree.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.disclosure.models import NamedIndividual
from haven.disclosure.sealing import unseal
from haven.errors import HavenError
from haven.vault.contact import normalise_email, normalise_phone
from haven.vault.keys import Keyring
from haven.vault.models import PersonRecord
from haven.vault.reads import ReadPurpose, read_people
from haven.vault.service import contact_index

IDENTIFIERS_CONTEXT = "disclosure:identifiers"


@dataclass(frozen=True)
class Identifiers:
    """What the agency gave for one person (kept wrapped by the KEK, never in the clear)."""

    name: str
    phone: str | None = None
    email: str | None = None

    def to_bytes(self) -> bytes:
        return json.dumps({"name": self.name, "phone": self.phone, "email": self.email}).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Identifiers:
        return cls(**json.loads(data))

    @property
    def count(self) -> int:
        return 1 + (self.phone is not None) + (self.email is not None)


def contact_indexes(keyring: Keyring, identifiers: Identifiers) -> list[str]:
    """The blind indexes the given contacts would have in the vault (unreadable ones skipped)."""
    found: list[str] = []
    for kind, raw, normalise in (
        ("phone", identifiers.phone, normalise_phone),
        ("email", identifiers.email, normalise_email),
    ):
        if not raw:
            continue
        try:
            found.append(contact_index(keyring, kind, normalise(raw)))
        except HavenError:
            continue
    return found


def count_candidates(session: Session, indexes: Sequence[str]) -> list[int]:
    """Ids of the live records carrying any of these blind indexes (no decryption)."""
    if not indexes:
        return []
    rows = session.scalars(
        sa.select(PersonRecord.id)
        .where(
            PersonRecord.contact_index.in_(list(indexes)),
            PersonRecord.wrapped_data_key.is_not(None),
        )
        .order_by(PersonRecord.id)
        .limit(5)
    )
    return list(rows)


def confirm_matches(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    individuals: Sequence[NamedIndividual],
    *,
    actor: str,
    request_ref: str,
) -> int:
    """Confirm each single candidate by name in one purpose-bound read; returns how many hold."""
    single = [person for person in individuals if person.matched_person_id is not None]
    if not single:
        return 0
    read = read_people(
        session,
        keyring,
        clock,
        actor=actor,
        purpose=ReadPurpose.DISCLOSURE_REVIEW,
        person_ids=[person.matched_person_id for person in single if person.matched_person_id],
        context="disclosure matching",
        refs=[request_ref],
    )
    confirmed = 0
    for person in single:
        given = Identifiers.from_bytes(
            unseal(keyring, person.kek_id, person.identifiers_wrapped, IDENTIFIERS_CONTEXT)
        )
        record = read.people.get(person.matched_person_id or 0)
        if record is not None and _same_name(record.name, given.name):
            confirmed += 1
        else:
            person.matched_person_id = None
    return confirmed


def _same_name(held: str, given: str) -> bool:
    return _folded(held) == _folded(given)


def _folded(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(text.replace(".", " ").replace(",", " ").split())
