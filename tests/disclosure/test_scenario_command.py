"""`haven disclosure scenario` against the app, with demo staff and demo agencies seeded the
way `haven demo` seeds them (keys written under HAVEN_HOME)."""

from __future__ import annotations

import stat

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.access.demo import seed_demo_accounts
from haven.access.passwords import PasswordCost
from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.disclosure.demo import DEMO_AGENCIES, describe_demo_agencies, seed_demo_agencies
from haven.disclosure.scenario import run_scenario
from haven.vault.keys import Keyring
from tests import factories
from tests.disclosure.support import entries


def test_the_scenario_command_replays_the_steps_and_prints_each_outcome(
    app_client: TestClient,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    settings: Settings,
) -> None:
    with unit_of_work(sessions) as session:
        office = factories.office(session, slug="harbor")
        factories.service(session, office)
        seed_demo_accounts(
            session, clock, keyring, PasswordCost.from_settings(settings), office_ids=[office.id]
        )
        agencies = seed_demo_agencies(session, clock, settings)
    for agency in agencies:
        assert stat.S_IMODE(agency.key_path.stat().st_mode) == 0o600
        assert str(agency.key_path) in describe_demo_agencies(agencies)
    lines: list[str] = []

    run_scenario(app_client, sessions, keyring, clock, settings, lines.append)

    text = "\n".join(lines)
    assert "step 1" in text
    assert "  -> denied" in text
    assert "specific_individuals_only" in text
    assert "  -> in-review (review)" in text
    assert "counsel narrowed: narrowed" in text
    assert "signature valid, fields ['future_appointments', 'identity']" in text
    assert "activation refused (recorded in the ledger)" in text
    assert len(entries(sessions, "disclosure:policy:activation_refused")) == 1


def test_seeding_the_demo_agencies_twice_reuses_them_and_their_keys(
    sessions: sessionmaker[Session], clock: ManualClock, settings: Settings
) -> None:
    with unit_of_work(sessions) as session:
        first = seed_demo_agencies(session, clock, settings)
    keys = [agency.key_path.read_bytes() for agency in first]
    with unit_of_work(sessions) as session:
        again = seed_demo_agencies(session, clock, settings)
    assert [agency.key_path.read_bytes() for agency in again] == keys
    assert [agency.name for agency in again] == [spec.name for spec in DEMO_AGENCIES]
    assert len(entries(sessions, "disclosure:agency:registered")) == len(DEMO_AGENCIES)
