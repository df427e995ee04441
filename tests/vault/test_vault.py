"""The vault: sealed at rest, opened only with the right keys, gone after shredding."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.orm import Session

from haven.clock import ManualClock
from haven.config import Settings
from haven.vault.contact import normalise_email, normalise_phone
from haven.vault.errors import InvalidContact, PersonGone, VaultConfigError
from haven.vault.keys import Keyring, load_keyring
from haven.vault.models import PersonRecord
from haven.vault.reads import PeopleRead, ReadPurpose, SealedDocument, read_people
from haven.vault.service import (
    PersonData,
    person_tag_key,
    seal_for_person,
    seal_person,
)


def own_read(
    session: Session,
    keyring: Keyring,
    clock: ManualClock,
    person_id: int,
    documents: list[SealedDocument] | None = None,
) -> PeopleRead:
    return read_people(
        session,
        keyring,
        clock,
        actor="public",
        purpose=ReadPurpose.OWN_REQUEST,
        person_ids=[person_id],
        documents=documents or [],
    )


ALICE = PersonData(name="Alicia Example", phone="+12025550143", accommodation_note="step-free")


@pytest.fixture
def keyring(tmp_path: Path) -> Keyring:
    return load_keyring(Settings(home=tmp_path / "home"))


def test_person_round_trips_and_nothing_is_stored_in_the_clear(
    session: Session, keyring: Keyring, clock: ManualClock
) -> None:
    record = seal_person(session, keyring, clock, ALICE)
    assert own_read(session, keyring, clock, record.id).person(record.id) == ALICE
    row = session.execute(sa.select(PersonRecord.__table__)).one()
    stored = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
    for secret in (b"Alicia", b"2025550143", b"step-free"):
        assert secret not in stored


def test_each_person_has_their_own_data_key(
    session: Session, keyring: Keyring, clock: ManualClock
) -> None:
    first = seal_person(session, keyring, clock, ALICE)
    second = seal_person(session, keyring, clock, ALICE)
    assert first.wrapped_data_key != second.wrapped_data_key
    assert first.ciphertext != second.ciphertext
    assert first.contact_index == second.contact_index  # same contact, same blind index


def test_shredded_person_cannot_be_read(
    session: Session, keyring: Keyring, clock: ManualClock
) -> None:
    record = seal_person(session, keyring, clock, ALICE)
    sealed = seal_for_person(session, keyring, record.id, b"receipt", "test")
    record.wrapped_data_key = None
    record.wrapped_tag_key = None
    with pytest.raises(PersonGone):
        own_read(session, keyring, clock, record.id).person(record.id)
    with pytest.raises(PersonGone):
        own_read(session, keyring, clock, record.id, [SealedDocument(record.id, sealed, "test")])
    with pytest.raises(PersonGone):
        person_tag_key(session, keyring, record.id)


def test_another_kek_cannot_open_data_keys(
    session: Session, keyring: Keyring, clock: ManualClock, tmp_path: Path
) -> None:
    record = seal_person(session, keyring, clock, ALICE)
    stranger = load_keyring(Settings(home=tmp_path / "other"))
    with pytest.raises(VaultConfigError):
        own_read(session, stranger, clock, record.id)


def test_key_files_are_created_owner_only_and_reused(tmp_path: Path) -> None:
    first = load_keyring(Settings(home=tmp_path / "home"))
    second = load_keyring(Settings(home=tmp_path / "home"))
    assert first.current_kek == second.current_kek
    mode = stat.S_IMODE(os.stat(tmp_path / "home" / "keys" / "kek").st_mode)
    assert mode == 0o600


def test_malformed_kek_from_the_environment_fails_closed(tmp_path: Path) -> None:
    short = SecretStr(base64.b64encode(b"too short").decode())
    with pytest.raises(VaultConfigError, match="32 bytes"):
        load_keyring(Settings(home=tmp_path, kek=short))
    with pytest.raises(VaultConfigError, match="not base64"):
        load_keyring(Settings(home=tmp_path, kek=SecretStr("***")))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("(202) 555-0143", "+12025550143"), ("+52 55 1234 5678", "+525512345678")],
)
def test_phone_numbers_normalise_to_e164(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12", "not a phone", "+1 555 0000"])
def test_invalid_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidContact):
        normalise_phone(raw)


def test_email_normalises_and_refuses_garbage() -> None:
    assert normalise_email("  Maria@Example.ORG ") == "maria@example.org"
    with pytest.raises(InvalidContact):
        normalise_email("maria@")
