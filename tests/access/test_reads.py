"""Purpose-bound reads: one ledger entry per read, carrying every shown record's tag; nothing
returned when the entry cannot be written; only the fields the purpose needs."""

from __future__ import annotations

import ast
import hashlib
import hmac
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.db import unit_of_work
from haven.ledger.models import LogEntry
from haven.vault.events import PersonalDataEvent
from haven.vault.keys import Keyring
from haven.vault.reads import (
    MAX_RECORDS_PER_READ,
    ReadPurpose,
    ReadRefused,
    read_people,
)
from haven.vault.service import PersonData, person_tag_key, seal_person
from tests.access.people_support import entries, raw_ledger

SRC = Path(__file__).resolve().parents[2] / "src" / "haven"
ANA = PersonData(name="Ana Canary", phone="+12025550143", accommodation_note="step-free please")
BO = PersonData(name="Bo Canary", email="bo@example.org")
CY = PersonData(name="Cy Canary", phone="+12025550199")


def _tags(tag_keys: list[bytes], nonce_hex: str) -> list[str]:
    nonce = bytes.fromhex(nonce_hex)
    return sorted(hmac.new(key, nonce, hashlib.sha256).hexdigest() for key in tag_keys)


def test_a_read_appends_exactly_one_entry_with_the_tags_of_every_record_shown(
    session: Session, keyring: Keyring, clock: ManualClock
) -> None:
    ana, bo, cy = (seal_person(session, keyring, clock, p) for p in (ANA, BO, CY))
    before = len(entries(session))
    read = read_people(
        session,
        keyring,
        clock,
        actor="staff:7",
        purpose=ReadPurpose.FRONT_DESK_CHECK_IN,
        person_ids=[ana.id, bo.id],
        context="clerk-day",
    )
    after = entries(session)
    assert len(after) == before + 1
    entry = after[-1]
    assert entry["kind"] == PersonalDataEvent.READ
    assert (entry["actor"], entry["purpose"], entry["context"]) == (
        "staff:7",
        "front-desk check-in",
        "clerk-day",
    )
    assert (entry["records"], entry["gone"], entry["shown"]) == (2, 0, ["name"])
    expected = [person_tag_key(session, keyring, p.id) for p in (ana, bo)]
    assert entry["subject_tags"] == _tags(expected, entry["nonce"])
    assert (
        _tags([person_tag_key(session, keyring, cy.id)], entry["nonce"])[0]
        not in (entry["subject_tags"])
    )
    assert read.ledger_index == session.scalar(sa.select(sa.func.max(LogEntry.index)))
    assert read.person(ana.id).name == "Ana Canary"
    assert b"Canary" not in raw_ledger(session)


@pytest.mark.parametrize(
    ("purpose", "phone", "note"),
    [
        (ReadPurpose.FRONT_DESK_CHECK_IN, None, None),
        (ReadPurpose.SERVE_VISIT, None, "step-free please"),
        (ReadPurpose.RESCHEDULE_ON_REQUEST, "+12025550143", None),
        (ReadPurpose.OWN_REQUEST, "+12025550143", "step-free please"),
    ],
)
def test_the_purpose_decides_which_fields_come_back(
    session: Session,
    keyring: Keyring,
    clock: ManualClock,
    purpose: ReadPurpose,
    phone: str | None,
    note: str | None,
) -> None:
    ana = seal_person(session, keyring, clock, ANA)
    shown = read_people(
        session, keyring, clock, actor="staff:1", purpose=purpose, person_ids=[ana.id]
    ).person(ana.id)
    assert (shown.name, shown.phone, shown.accommodation_note) == ("Ana Canary", phone, note)


def _refuse_ledger_writes(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sa.text(
                "CREATE FUNCTION refuse_entries() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'ledger closed'; END $$"
            )
        )
        session.execute(
            sa.text(
                "CREATE TRIGGER refuse BEFORE INSERT ON ledger_entries "
                "FOR EACH ROW EXECUTE FUNCTION refuse_entries()"
            )
        )
    else:
        session.execute(
            sa.text(
                "CREATE TRIGGER refuse BEFORE INSERT ON ledger_entries "
                "BEGIN SELECT RAISE(ABORT, 'ledger closed'); END"
            )
        )


def test_a_read_whose_ledger_append_fails_returns_nothing(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock
) -> None:
    with unit_of_work(sessions) as session:
        person_id = seal_person(session, keyring, clock, ANA).id
        _refuse_ledger_writes(session)
    returned = []
    with (
        pytest.raises(sa.exc.DBAPIError, match="ledger closed"),
        unit_of_work(sessions) as session,
    ):
        returned.append(
            read_people(
                session,
                keyring,
                clock,
                actor="staff:1",
                purpose=ReadPurpose.SERVE_VISIT,
                person_ids=[person_id],
            )
        )
    assert returned == []
    with unit_of_work(sessions) as session:
        assert entries(session, "access:") == []


def test_break_glass_is_its_own_kind_with_only_the_reasons_hash(
    session: Session, keyring: Keyring, clock: ManualClock
) -> None:
    ana = seal_person(session, keyring, clock, ANA)
    reason = "Caller says her visit was lost; ticket 4411 needs the record"
    with pytest.raises(ReadRefused):
        read_people(
            session,
            keyring,
            clock,
            actor="staff:2",
            purpose=ReadPurpose.SERVE_VISIT,
            person_ids=[ana.id],
            break_glass_reason="because",
        )
    read_people(
        session,
        keyring,
        clock,
        actor="staff:2",
        purpose=ReadPurpose.SERVE_VISIT,
        person_ids=[ana.id],
        break_glass_reason=reason,
    )
    [entry] = entries(session, "access:")
    assert entry["kind"] == PersonalDataEvent.BREAK_GLASS
    assert entry["reason_sha256"] == hashlib.sha256(reason.encode()).hexdigest()
    assert b"ticket 4411" not in raw_ledger(session)


def test_bulk_reads_are_refused_before_anything_is_opened(
    session: Session, keyring: Keyring, clock: ManualClock
) -> None:
    with pytest.raises(ReadRefused, match="disclosure gateway"):
        read_people(
            session,
            keyring,
            clock,
            actor="staff:1",
            purpose=ReadPurpose.SERVE_VISIT,
            person_ids=range(1, MAX_RECORDS_PER_READ + 2),
        )
    assert entries(session) == []


def test_a_shredded_record_is_reported_gone_and_carries_no_tag(
    session: Session, keyring: Keyring, clock: ManualClock
) -> None:
    ana = seal_person(session, keyring, clock, ANA)
    ana.wrapped_data_key = ana.wrapped_tag_key = None
    read = read_people(
        session,
        keyring,
        clock,
        actor="public",
        purpose=ReadPurpose.OWN_REQUEST,
        person_ids=[ana.id],
    )
    assert read.gone == {ana.id}
    [entry] = entries(session, "access:")
    assert (entry["records"], entry["gone"], entry["subject_tags"]) == (0, 1, [])


VAULT_PRIVATE = {"_decrypt_person", "_decrypt_for_person", "_tag_key", "_open", "_data_key"}
# Other sealed stores with their own per-blob keys, never a person's vault record: the
# disclosure gateway's own copies (DESIGN §2: the accounting keeps its own encrypted copy).
OWN_SEALED_STORES = {SRC / "disclosure" / "sealing.py"}


def test_nothing_outside_the_vault_decrypts_personal_data() -> None:
    """Only haven.vault may import the vault's private openers, or use AES-GCM at all (but for
    stores of their own that never hold a vault key)."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.parent.name == "vault" and path.parent.parent == SRC:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = {alias.name for alias in node.names}
                if node.module.startswith("haven.vault") and names & VAULT_PRIVATE:
                    offenders.append(str(path))
                if (
                    node.module.endswith("aead")
                    and "AESGCM" in names
                    and path not in OWN_SEALED_STORES
                ):
                    offenders.append(str(path))
    assert offenders == []
