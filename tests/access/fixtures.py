"""Staff fixtures for every test package that signs staff in (imported by tests/access and
tests/disclosure conftests): settings with a test-speed argon2 cost (dev mode allows it;
production refuses it), and the access policy and keyring built from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from haven.access.sessions import AccessPolicy
from haven.config import Settings
from haven.vault.keys import Keyring, load_keyring


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
