"""The accounting of disclosures (5 U.S.C. 552a(c); 45 CFR 164.528): one entry per person per
disclosure, with the date, nature, purpose, and the recipient's name and address.

How it outlives retention shredding, and stays minimal:

- An entry is written in the same transaction as the production it accounts for.
- Its body (date, nature = the data elements released, purpose, basis, recipient name and
  address, request id) is sealed under its own fresh key wrapped by the KEK (sealing.py), not
  under the person's data key. Shredding the person destroys their data key and tag key, so
  their record and ledger tags become unreadable, but this entry still opens.
- Nothing in it identifies the person except the record id (``person_id``, which after
  shredding points at ciphertext nobody can read) and ``contact_lookup``: a blind index of the
  contact the person gave, under an accounting-only index kind. After shredding the record's
  own contact index is cleared, so this lookup is how a person who proves they hold that phone
  or email can still be shown their accounting; it is a keyed HMAC, so the table alone reveals
  nothing.
- ``keep_until`` is five years after the disclosure. ``prune_accounting`` removes an entry
  only once that has passed AND the person's record has been shredded: "at least five years
  or the life of the record, whichever is longer".
- Visibility: the person sees their entries except (b)(7) law-enforcement disclosures
  (552a(c)(3)) and, while a written delayed-notice order runs, entries under it. Those are kept
  all the same (``hidden_from_person``, ``delayed_until``); no page shows them to auditors yet.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.disclosure.events import AccountingEvent
from haven.disclosure.models import AccountingEntry, LegalBasis
from haven.disclosure.sealing import seal, unseal
from haven.ledger.store import append
from haven.vault.keys import Keyring
from haven.vault.models import PersonRecord

KEEP_FOR = timedelta(days=5 * 365 + 2)
ACCOUNTING_CONTEXT = "disclosure:accounting"
_LOOKUP_KIND = "accounting:contact"


@dataclass(frozen=True)
class Disclosure:
    """What one accounting entry says."""

    disclosed_at: datetime
    nature: tuple[str, ...]
    purpose: str
    basis: str
    recipient_name: str
    recipient_address: str
    request: str


@dataclass(frozen=True)
class AccountingLine:
    entry_id: int
    person_id: int
    disclosure: Disclosure
    hidden_from_person: bool
    delayed_until: datetime | None


def contact_lookup(keyring: Keyring, contact_kind: str, contact: str) -> str:
    """The accounting-only blind index of a person's contact (see module doc)."""
    return keyring.blind_index(f"{_LOOKUP_KIND}:{contact_kind}", contact)


def record_disclosure(
    session: Session,
    keyring: Keyring,
    *,
    person_id: int,
    lookup: str,
    disclosure: Disclosure,
    delayed_until: datetime | None = None,
) -> AccountingEntry:
    """Add one entry (the caller records the production in the ledger in the same transaction)."""
    body = {
        "disclosed_at": disclosure.disclosed_at.isoformat(),
        "nature": list(disclosure.nature),
        "purpose": disclosure.purpose,
        "basis": disclosure.basis,
        "recipient_name": disclosure.recipient_name,
        "recipient_address": disclosure.recipient_address,
        "request": disclosure.request,
    }
    sealed = seal(keyring, json.dumps(body, sort_keys=True).encode(), ACCOUNTING_CONTEXT)
    entry = AccountingEntry(
        person_id=person_id,
        contact_lookup=lookup,
        request_public_id=disclosure.request,
        disclosed_at=disclosure.disclosed_at,
        basis=disclosure.basis,
        hidden_from_person=disclosure.basis == LegalBasis.LAW_ENFORCEMENT,
        delayed_until=delayed_until,
        keep_until=disclosure.disclosed_at + KEEP_FOR,
        sealed=sealed.blob,
        kek_id=sealed.kek_id,
    )
    session.add(entry)
    session.flush()
    return entry


def delay_for_request(session: Session, request_public_id: str, until: datetime | None) -> int:
    """Apply (or lift, with None) a written delayed-notice order to a request's entries."""
    result = session.execute(
        sa.update(AccountingEntry)
        .where(AccountingEntry.request_public_id == request_public_id)
        .values(delayed_until=until)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def for_person(
    session: Session,
    keyring: Keyring,
    now: datetime,
    *,
    person_id: int | None = None,
    lookup: str | None = None,
) -> list[AccountingLine]:
    """What the person may see: not (b)(7), not under a running delayed-notice order."""
    if person_id is None and lookup is None:
        raise ValueError("name the person by record id or by contact lookup")
    query = sa.select(AccountingEntry).where(
        AccountingEntry.hidden_from_person.is_(False),
        sa.or_(AccountingEntry.delayed_until.is_(None), AccountingEntry.delayed_until <= now),
    )
    if person_id is not None:
        query = query.where(AccountingEntry.person_id == person_id)
    if lookup is not None:
        query = query.where(AccountingEntry.contact_lookup == lookup)
    return _lines(keyring, session.scalars(query.order_by(AccountingEntry.id)).all())


def prune_accounting(session: Session, now: datetime, *, actor: str = "system") -> int:
    """Remove entries past five years whose record is shredded; one ledger entry if any went."""
    shredded = sa.select(PersonRecord.id).where(PersonRecord.shredded_at.is_not(None))
    result = session.execute(
        sa.delete(AccountingEntry).where(
            AccountingEntry.keep_until < now, AccountingEntry.person_id.in_(shredded)
        )
    )
    removed = int(getattr(result, "rowcount", 0) or 0)
    if removed:
        append(session, AccountingEvent.PRUNED, actor=actor, time=now, removed=removed)
    return removed


def _lines(keyring: Keyring, entries: Sequence[AccountingEntry]) -> list[AccountingLine]:
    return [
        AccountingLine(
            entry_id=entry.id,
            person_id=entry.person_id,
            disclosure=_open(keyring, entry),
            hidden_from_person=entry.hidden_from_person,
            delayed_until=entry.delayed_until,
        )
        for entry in entries
    ]


def _open(keyring: Keyring, entry: AccountingEntry) -> Disclosure:
    body = json.loads(unseal(keyring, entry.kek_id, entry.sealed, ACCOUNTING_CONTEXT))
    return Disclosure(
        disclosed_at=datetime.fromisoformat(body["disclosed_at"]),
        nature=tuple(body["nature"]),
        purpose=body["purpose"],
        basis=body["basis"],
        recipient_name=body["recipient_name"],
        recipient_address=body["recipient_address"],
        request=body["request"],
    )
