"""Disclosure fixtures: fast staff settings (from tests/access/fixtures.py), an office with
people booked, two registered agencies with their keys, reviewers with TOTP, and a signing API
client."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.access.sessions import AccessPolicy
from haven.clock import ManualClock
from haven.vault.keys import Keyring
from tests.access.fixtures import keyring, policy, settings
from tests.disclosure.support import AgencyApi, World, arrange_world

# Re-exported so pytest finds them here too.
__all__ = ["keyring", "policy", "settings"]


@pytest.fixture
def world(
    sessions: sessionmaker[Session], clock: ManualClock, keyring: Keyring, policy: AccessPolicy
) -> World:
    return arrange_world(sessions, clock, keyring, policy)


@pytest.fixture
def agency_api(app_client: TestClient, world: World, clock: ManualClock) -> AgencyApi:
    return AgencyApi(app_client, world.immigration, clock)
