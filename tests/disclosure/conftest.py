"""Disclosure fixtures: fast staff settings (as tests/access), an office with people booked,
two registered agencies with their keys, reviewers with TOTP, and a signing API client."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.access.sessions import AccessPolicy
from haven.clock import ManualClock
from haven.config import Settings
from haven.vault.keys import Keyring, load_keyring
from tests.disclosure.support import AgencyApi, World, arrange_world


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        home=tmp_path / "home",
        database_url=database_url,
        dev_mode=True,
        staff_password_memory_kib=64,
        staff_password_time_cost=1,
        staff_password_parallelism=1,
    )


@pytest.fixture
def policy(settings: Settings) -> AccessPolicy:
    return AccessPolicy.from_settings(settings)


@pytest.fixture
def keyring(settings: Settings) -> Keyring:
    return load_keyring(settings)


@pytest.fixture
def world(
    sessions: sessionmaker[Session], clock: ManualClock, keyring: Keyring, policy: AccessPolicy
) -> World:
    return arrange_world(sessions, clock, keyring, policy)


@pytest.fixture
def agency_api(app_client: TestClient, world: World, clock: ManualClock) -> AgencyApi:
    return AgencyApi(app_client, world.immigration, clock)
