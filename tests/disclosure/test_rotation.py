"""The gateway's sealed copies follow a KEK rotation and still open afterwards."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.disclosure import accounting
from haven.disclosure.models import NamedIndividual
from haven.disclosure.rotation import rewrap_sealed
from haven.vault import rotation
from haven.vault.keys import load_keyring
from tests.disclosure.support import AgencyApi, World, warrant_request


def test_rotation_rewraps_the_sealed_copies_and_they_still_open(
    agency_api: AgencyApi,
    world: World,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    settings: Settings,
) -> None:
    assert agency_api.submit(warrant_request(world.office_id)).status_code == 201
    with unit_of_work(sessions) as session:
        accounting.record_disclosure(
            session,
            load_keyring(settings),
            person_id=world.target_person_id,
            lookup="x" * 64,
            disclosure=accounting.Disclosure(
                clock.now(), ("identity",), "criminal", "court_order", "Agency", "1 Plaza", "r-1"
            ),
        )
    rotation.rotate_kek_files(settings)
    keyring = load_keyring(settings)
    with unit_of_work(sessions) as session:
        # One named individual, one document, one accounting entry.
        assert rewrap_sealed(session, keyring) == 3
        assert rewrap_sealed(session, keyring) == 0
        assert {p.kek_id for p in session.query(NamedIndividual)} == {keyring.current_kek_id}
    with unit_of_work(sessions) as session:
        [line] = accounting.for_person(
            session, keyring, clock.now(), person_id=world.target_person_id
        )
        assert line.disclosure.recipient_name == "Agency"
