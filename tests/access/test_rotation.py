"""KEK rotation: every record stays readable, the old KEK wraps nothing afterwards, and a
process that loaded its keys before the rotation keeps reading and seals under the new KEK."""

from __future__ import annotations

import base64

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from haven.access.models import Role, StaffAccount
from haven.access.sessions import AccessPolicy
from haven.cli.main import app as cli
from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.vault.keys import Keyring, key_id, load_keyring
from haven.vault.models import PersonRecord
from haven.vault.reads import ReadPurpose, read_people
from haven.vault.rotation import rewrap_person_keys, rotate_kek_files
from haven.vault.service import PersonData, seal_person
from tests.access.support import add_staff, grant

PEOPLE = [PersonData(name=f"Rota Canary {i}", phone="+12025550143") for i in range(7)]


def _seal_all(sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock) -> list[int]:
    with unit_of_work(sessions) as session:
        return [seal_person(session, keyring, clock, p).id for p in PEOPLE]


def _names(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, ids: list[int]
) -> list[str]:
    with unit_of_work(sessions) as session:
        read = read_people(
            session, keyring, clock, actor="system", purpose=ReadPurpose.OWN_REQUEST, person_ids=ids
        )
        return [read.person(i).name for i in ids]


def test_rotation_rewraps_every_key_and_the_old_kek_wraps_nothing(
    sessions: sessionmaker[Session], settings: Settings, clock: ManualClock
) -> None:
    before = load_keyring(settings)
    ids = _seal_all(sessions, before, clock)
    rotated = rotate_kek_files(settings)
    assert rotated.retired_kek_id == before.current_kek_id
    retired_file = settings.home / "keys" / "retired-keks" / before.current_kek_id
    assert base64.b64decode(retired_file.read_text()) == before.current_kek
    # A process started before the rotation keeps reading while keys move under its feet.
    after = load_keyring(settings)
    assert rewrap_person_keys(sessions, after, batch=3) == len(ids)
    assert _names(sessions, before, clock, ids) == [p.name for p in PEOPLE]
    with unit_of_work(sessions) as session:
        kek_ids = set(session.scalars(sa.select(PersonRecord.kek_id)))
    assert kek_ids == {rotated.new_kek_id}
    # The new KEK alone opens everything: nothing depends on the old one any more.
    only_new = Keyring(current_kek=after.current_kek, blind_index_key=after.blind_index_key)
    assert _names(sessions, only_new, clock, ids) == [p.name for p in PEOPLE]
    # The old process seals new people under the new KEK.
    with unit_of_work(sessions) as session:
        fresh = seal_person(session, before, clock, PEOPLE[0])
        assert fresh.kek_id == rotated.new_kek_id == key_id(after.current_kek)


def test_haven_keys_rotate_from_the_command_line(
    sessions: sessionmaker[Session],
    settings: Settings,
    clock: ManualClock,
    policy: AccessPolicy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = load_keyring(settings)
    ids = _seal_all(sessions, before, clock)
    auditor = add_staff(
        sessions, clock, before, policy, "rota", grant(Role.AUDITOR), with_second_factor=True
    )
    monkeypatch.setenv("HAVEN_HOME", str(settings.home))
    monkeypatch.setenv("HAVEN_DATABASE_URL", settings.resolved_database_url())
    result = CliRunner().invoke(cli, ["keys", "rotate", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert f"rewrapped {len(ids)} person keys" in result.output
    after = load_keyring(settings)
    assert after.current_kek_id != before.current_kek_id
    assert _names(sessions, after, clock, ids) == [p.name for p in PEOPLE]
    with unit_of_work(sessions) as session:
        old = sa.select(sa.func.count()).where(PersonRecord.kek_id == before.current_kek_id)
        assert session.scalar(old) == 0
        account = session.get(StaffAccount, auditor.account_id)
        assert account is not None
        assert account.totp_kek_id == after.current_kek_id
    assert "rewrapped 1 second-factor secrets" in result.output


def test_a_kek_from_the_environment_is_not_rotated_by_the_command(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HAVEN_HOME", str(settings.home))
    monkeypatch.setenv("HAVEN_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setenv("HAVEN_KEK", base64.b64encode(bytes(32)).decode())
    result = CliRunner().invoke(cli, ["keys", "rotate"])
    assert result.exit_code == 2
    assert "HAVEN_KEK comes from the environment" in result.output
