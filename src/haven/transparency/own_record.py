"""A person's own view of their record (`/my`): their appointments, their accounting of
disclosures as the law lets them see it, every ledger entry that carries their tag, and a receipt
for each entry that they can check against the public log without trusting this office.

Finding their entries: each entry tags a person as HMAC(their tag key, the entry's nonce), so the
only way to find them is to recompute that over entries. Nothing about the person can predate
their record, so the scan starts at the first entry made around the record's creation (found by
a binary search on entry time over the dense index) and stops at the log's end.

What is withheld: an entry that concerns a disclosure the person may not see ((b)(7) law
enforcement, or under a running delayed-notice order) would reveal it, so any entry naming a
disclosure request that is not in the person's visible accounting, and any read made for a
disclosure review, is left out, exactly as the accounting leaves the disclosure out.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.disclosure import accounting
from haven.disclosure.accounting import AccountingLine
from haven.ledger import service as ledger
from haven.ledger.entries import subject_tag
from haven.ledger.models import LogEntry, entry_bytes
from haven.scheduling.models import Appointment
from haven.scheduling.tokens import normalise_confirmation_code
from haven.transparency.figures import REQUEST_REF
from haven.transparency.one_time import CodeDesk, CodeSender
from haven.transparency.receipts import RECEIPT_FORMAT
from haven.vault.keys import Keyring
from haven.vault.models import PersonRecord
from haven.vault.reads import ReadPurpose, read_people
from haven.vault.service import person_tag_key

SCAN_CHUNK = 2_000
# Clocks of several processes differ a little; start the scan this much before the record.
CLOCK_SLACK = timedelta(minutes=10)
WITHHELD_PURPOSES = frozenset({str(ReadPurpose.DISCLOSURE_REVIEW)})


@dataclass(frozen=True)
class OwnEntry:
    """One ledger entry that carries the person's tag."""

    index: int
    kind: str
    time: str
    purpose: str | None
    in_checkpoint: bool


@dataclass(frozen=True)
class OwnRecord:
    appointments: list[Appointment]
    disclosures: list[AccountingLine]
    entries: list[OwnEntry]


def own_record(session: Session, keyring: Keyring, clock: Clock, person_id: int) -> OwnRecord:
    """What `/my` shows; opening it is itself a recorded read for the person's own request."""
    read_people(
        session,
        keyring,
        clock,
        actor="public",
        purpose=ReadPurpose.OWN_REQUEST,
        person_ids=[person_id],
        context="my record",
    )
    appointments = list(
        session.scalars(
            sa.select(Appointment)
            .where(Appointment.person_id == person_id)
            .order_by(Appointment.starts_at)
        )
    )
    disclosures = accounting.for_person(session, keyring, clock.now(), person_id=person_id)
    visible = {REQUEST_REF + line.disclosure.request for line in disclosures}
    checkpoint = ledger.latest_checkpoint(session)
    signed = checkpoint.size if checkpoint is not None else 0
    entries = [
        OwnEntry(
            index=index,
            kind=str(entry["kind"]),
            time=str(entry["time"]),
            purpose=entry.get("purpose"),
            in_checkpoint=index < signed,
        )
        for index, _, entry in _own_entries(session, keyring, person_id, visible)
    ]
    return OwnRecord(appointments, disclosures, entries)


def code_key(typed: str) -> str:
    """The key a typed confirmation code is counted and stored under: its normal form when it
    can be a code, else the typed text itself (so nonsense is counted like any other try)."""
    return normalise_confirmation_code(typed) or typed.strip().upper()


def send_one_time_code(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    desk: CodeDesk,
    sender: CodeSender,
    typed: str,
    address: str,
    language: str,
) -> str:
    """Count the try, and if the code is an appointment's, send its person a one-time code in
    ``language`` (reading their contact is a recorded read for their own request). Returns the
    code's key; says nothing about whether it exists."""
    key = code_key(typed)
    now = clock.now()
    desk.count_ask(key, address, now)
    person_id = session.scalar(
        sa.select(Appointment.person_id).where(Appointment.confirmation_code == key)
    )
    if person_id is None:
        return key
    read = read_people(
        session,
        keyring,
        clock,
        actor="public",
        purpose=ReadPurpose.OWN_REQUEST,
        person_ids=[person_id],
        context="one-time code",
    )
    if person_id in read.gone:
        return key
    person = read.person(person_id)
    if person.contact:
        code = desk.issue(key, person_id, now)
        sender.send_code(person.contact_kind, person.contact, code, language)
    return key


def own_receipt(
    session: Session, keyring: Keyring, clock: Clock, person_id: int, index: int
) -> dict[str, Any]:
    """A receipt for one of the person's entries: the C2SP tlog-proof, the exact entry bytes,
    and this entry's nonce and the person's tag in it.

    The person's tag key is deliberately not in it. A receipt is made to be handed on (to a
    lawyer, an advocate, a journalist); with the key, its holder could recognise every other entry
    of the person in the public log, which is the linking the tags exist to prevent. Per-entry
    evidence (nonce, tag, the entry and its inclusion proof) proves what was recorded and that it
    is in the log; that the tag is the person's is what this office states by handing the receipt
    only to the holder of their manage link.
    """
    tag_key = person_tag_key(session, keyring, person_id)
    visible = _visible_requests(session, keyring, clock, person_id)
    data = ledger.entry_at(session, index)
    entry = json.loads(data)
    if not _is_theirs(entry, tag_key) or _withheld(entry, visible):
        raise ledger.EntryNotFound("none of your entries has that number", field="index")
    proof = ledger.receipt(session, index)
    return {
        "format": RECEIPT_FORMAT,
        "index": index,
        "entry": base64.b64encode(data).decode(),
        "nonce": entry["nonce"],
        "tag": subject_tag(tag_key, bytes.fromhex(entry["nonce"])),
        "proof": proof,
    }


def _visible_requests(session: Session, keyring: Keyring, clock: Clock, person_id: int) -> set[str]:
    lines = accounting.for_person(session, keyring, clock.now(), person_id=person_id)
    return {REQUEST_REF + line.disclosure.request for line in lines}


def _own_entries(
    session: Session, keyring: Keyring, person_id: int, visible: set[str]
) -> Iterator[tuple[int, bytes, dict[str, Any]]]:
    tag_key = person_tag_key(session, keyring, person_id)
    record = session.get(PersonRecord, person_id)
    assert record is not None  # person_tag_key found it
    size = tree_state_size(session)
    start = first_index_at(session, record.created_at - CLOCK_SLACK, size)
    while start < size:
        chunk = ledger.entries_from(session, start, SCAN_CHUNK)
        if not chunk:
            return
        for index, raw in chunk:
            data = entry_bytes(raw)
            entry = json.loads(data)
            if _is_theirs(entry, tag_key) and not _withheld(entry, visible):
                yield index, data, entry
        start = chunk[-1][0] + 1


def tree_state_size(session: Session) -> int:
    """Entries committed so far (integrated or not)."""
    last = session.scalar(sa.select(sa.func.max(LogEntry.index)))
    return 0 if last is None else int(last) + 1


def first_index_at(session: Session, instant: datetime, size: int) -> int:
    """The first index whose entry is at or after ``instant`` (entries are in time order up to
    the slack between processes' clocks, which the caller allows for)."""
    low, high = 0, size
    while low < high:
        middle = (low + high) // 2
        entry = json.loads(ledger.entry_at(session, middle))
        if _instant(entry["time"]) < instant:
            low = middle + 1
        else:
            high = middle
    return low


def _is_theirs(entry: dict[str, Any], tag_key: bytes) -> bool:
    nonce = entry.get("nonce")
    tags = entry.get("subject_tags") or ()
    if not isinstance(nonce, str) or not tags:
        return False
    try:
        return subject_tag(tag_key, bytes.fromhex(nonce)) in tags
    except ValueError:
        return False


def _withheld(entry: dict[str, Any], visible: set[str]) -> bool:
    """True for an entry that would reveal a disclosure the person may not see."""
    if entry.get("purpose") in WITHHELD_PURPOSES:
        return True
    refs = [r for r in entry.get("refs") or () if isinstance(r, str) and r.startswith(REQUEST_REF)]
    return any(ref not in visible for ref in refs)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
