"""The one way to read personal data: with an actor, a purpose, and a ledger entry.

`read_people` is the only code outside the vault's own internals that decrypts anything. Every
call appends exactly ONE ledger entry (one per page view or answer), carrying the subject tag of
every record it opens, in the caller's transaction and before anything is decrypted: if the
append fails, the call raises and nothing is returned.

The purpose decides which fields come back. Checking someone in needs their name; serving them
also their accommodation note; only a reschedule on request, the person's own request and a
disclosure review need a way to reach them. Anything a purpose does not need is left out
(None), so a page cannot show it by mistake.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.errors import Invalid, NotFound
from haven.ledger.store import append
from haven.vault.errors import PersonGone
from haven.vault.events import PersonalDataEvent
from haven.vault.keys import Keyring
from haven.vault.models import PersonRecord
from haven.vault.service import PersonData, _decrypt_for_person, _decrypt_person, _tag_key

# A page shows at most this many people per view; anything more is a list, and lists of
# people leave Haven only through the disclosure gateway.
MAX_RECORDS_PER_READ = 200
MAX_REASON_LENGTH = 1000
MIN_REASON_LENGTH = 20


class ReadPurpose(StrEnum):
    """Why personal data is being read; a fixed list, recorded with every read."""

    FRONT_DESK_CHECK_IN = "front-desk check-in"
    SERVE_VISIT = "serve visit"
    RESCHEDULE_ON_REQUEST = "reschedule on request"
    OWN_REQUEST = "answer the person's own request"
    DISCLOSURE_REVIEW = "disclosure review"
    # The outbox's send step: the contact only, to deliver a message the person is owed (their
    # confirmation, reminder, a closure notice, a waitlist offer or a disclosure notice).
    SEND_MESSAGE = "send the person a message they asked for"


class PersonField(StrEnum):
    NAME = "name"
    CONTACT = "contact"
    ACCOMMODATION_NOTE = "accommodation_note"


FIELDS_FOR_PURPOSE: Mapping[ReadPurpose, frozenset[PersonField]] = {
    ReadPurpose.FRONT_DESK_CHECK_IN: frozenset({PersonField.NAME}),
    ReadPurpose.SERVE_VISIT: frozenset({PersonField.NAME, PersonField.ACCOMMODATION_NOTE}),
    ReadPurpose.RESCHEDULE_ON_REQUEST: frozenset({PersonField.NAME, PersonField.CONTACT}),
    ReadPurpose.OWN_REQUEST: frozenset(PersonField),
    ReadPurpose.DISCLOSURE_REVIEW: frozenset(PersonField),
    ReadPurpose.SEND_MESSAGE: frozenset({PersonField.CONTACT}),
}


class ReadRefused(Invalid):
    """A read asked for too much, or without what it needs (a purpose, a reason)."""


@dataclass(frozen=True)
class SealedDocument:
    """Something sealed with seal_for_person (a stored answer) to open in the same read."""

    person_id: int
    sealed: bytes
    context: str


@dataclass(frozen=True)
class PeopleRead:
    """What one read returned: the people still held, those whose record is gone, documents."""

    ledger_index: int
    purpose: ReadPurpose
    people: Mapping[int, PersonData]
    gone: frozenset[int]
    documents: tuple[bytes, ...] = field(default=())

    def person(self, person_id: int) -> PersonData:
        """One person's data as the purpose allows; PersonGone once their record was shredded."""
        if person_id in self.gone:
            raise PersonGone("this person's record was deleted on schedule")
        try:
            return self.people[person_id]
        except KeyError:
            raise NotFound("this read did not include that record") from None


def read_people(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    *,
    actor: str,
    purpose: ReadPurpose,
    person_ids: Collection[int],
    context: str = "",
    refs: Sequence[str] = (),
    documents: Sequence[SealedDocument] = (),
    break_glass_reason: str | None = None,
) -> PeopleRead:
    """Open these people's records for `purpose`, recorded as one ledger entry (see module doc).

    `context` names the page or action (not personal data). With `break_glass_reason` the read
    is recorded as break-glass (the reason's hash goes into the ledger; callers keep the text
    for the privacy officer). Records shredded on schedule come back in `gone`, never opened.
    """
    purpose = ReadPurpose(purpose)
    wanted = {*person_ids, *(doc.person_id for doc in documents)}
    if not wanted:
        raise ReadRefused("a read needs at least one record", field="person_ids")
    if len(wanted) > MAX_RECORDS_PER_READ:
        raise ReadRefused(
            f"a read may open at most {MAX_RECORDS_PER_READ} records; lists of people are "
            "disclosures and go through the disclosure gateway",
            field="person_ids",
        )
    records = _records(session, wanted)
    held = {pid: r for pid, r in records.items() if r.wrapped_data_key is not None}
    gone = frozenset(records) - frozenset(held)
    shown = sorted(FIELDS_FOR_PURPOSE[purpose])
    kind, extra = PersonalDataEvent.READ, {}
    if break_glass_reason is not None:
        kind, extra = (
            PersonalDataEvent.BREAK_GLASS,
            {"reason_sha256": _reason_hash(break_glass_reason)},
        )
    index = append(
        session,
        kind,
        actor=actor,
        time=clock.now(),
        purpose=str(purpose),
        refs=refs,
        subject_tag_keys=[_tag_key(keyring, held[pid]) for pid in sorted(held)],
        records=len(held),
        gone=len(gone),
        shown=[str(name) for name in shown],
        context=context,
        **extra,
    )
    # Decrypted only now, after the read is sequenced: a failed append leaves nothing in memory.
    people = {pid: _limit(_decrypt_person(keyring, r), purpose) for pid, r in held.items()}
    opened = tuple(_open_document(keyring, records[doc.person_id], doc) for doc in documents)
    return PeopleRead(
        ledger_index=index, purpose=purpose, people=people, gone=gone, documents=opened
    )


def check_break_glass_reason(reason: str) -> str:
    """The reason, stripped, when it is long enough to say something; ReadRefused otherwise."""
    text = reason.strip()
    if len(text) < MIN_REASON_LENGTH:
        raise ReadRefused(
            f"write why you need this record (at least {MIN_REASON_LENGTH} characters)",
            field="reason",
        )
    if len(text) > MAX_REASON_LENGTH:
        raise ReadRefused(f"keep the reason under {MAX_REASON_LENGTH} characters", field="reason")
    return text


def _reason_hash(reason: str) -> str:
    return hashlib.sha256(check_break_glass_reason(reason).encode()).hexdigest()


def _records(session: Session, person_ids: set[int]) -> dict[int, PersonRecord]:
    rows = session.scalars(sa.select(PersonRecord).where(PersonRecord.id.in_(person_ids))).all()
    records = {row.id: row for row in rows}
    if len(records) != len(person_ids):
        raise NotFound("no such person record", field="person_ids")
    return records


def _limit(person: PersonData, purpose: ReadPurpose) -> PersonData:
    allowed = FIELDS_FOR_PURPOSE[purpose]
    contact = PersonField.CONTACT in allowed
    return PersonData(
        name=person.name,
        phone=person.phone if contact else None,
        email=person.email if contact else None,
        accommodation_note=person.accommodation_note
        if PersonField.ACCOMMODATION_NOTE in allowed
        else None,
    )


def _open_document(keyring: Keyring, record: PersonRecord, document: SealedDocument) -> bytes:
    if record.wrapped_data_key is None:
        raise PersonGone("this person's record was deleted on schedule")
    return _decrypt_for_person(keyring, record, document.sealed, document.context)
