"""The accounting of disclosures: per person, the recipient's name and address, hidden from
the person for (b)(7) and while a delayed-notice order runs (yet kept), and still readable
after the person's record is shredded on schedule."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.disclosure import accounting
from haven.disclosure.models import AccountingEntry, LegalBasis
from haven.vault.keys import Keyring
from haven.vault.retention import shred_person
from haven.worker import Worker, WorkerContext
from tests.disclosure.support import World, entries


def _disclose(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    person_id: int,
    basis: LegalBasis,
    request: str,
) -> None:
    with unit_of_work(sessions) as session:
        accounting.record_disclosure(
            session,
            keyring,
            person_id=person_id,
            lookup=accounting.contact_lookup(keyring, "phone", "+12025550111"),
            disclosure=accounting.Disclosure(
                disclosed_at=clock.now(),
                nature=("identity",),
                purpose="criminal",
                basis=str(basis),
                recipient_name="Agency",
                recipient_address="1 Plaza",
                request=request,
            ),
        )


def test_law_enforcement_disclosures_are_hidden_from_the_person_but_still_accounted_for(
    world: World, sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock
) -> None:
    person = world.target_person_id
    _disclose(sessions, keyring, clock, person, LegalBasis.COURT_ORDER, "r-court")
    _disclose(sessions, keyring, clock, person, LegalBasis.LAW_ENFORCEMENT, "r-b7")
    with unit_of_work(sessions) as session:
        mine = accounting.for_person(session, keyring, clock.now(), person_id=person)
        kept = session.scalars(
            sa.select(AccountingEntry)
            .where(AccountingEntry.person_id == person)
            .order_by(AccountingEntry.id)
        ).all()
    assert [line.disclosure.request for line in mine] == ["r-court"]
    assert [(e.request_public_id, e.hidden_from_person) for e in kept] == [
        ("r-court", False),
        ("r-b7", True),
    ]


def test_a_delayed_notice_order_hides_the_entry_until_it_ends(
    world: World, sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock
) -> None:
    _disclose(sessions, keyring, clock, world.target_person_id, LegalBasis.COURT_ORDER, "r-1")
    with unit_of_work(sessions) as session:
        accounting.delay_for_request(session, "r-1", clock.now() + timedelta(days=90))
        assert (
            accounting.for_person(session, keyring, clock.now(), person_id=world.target_person_id)
            == []
        )
    clock.advance(timedelta(days=91))
    with unit_of_work(sessions) as session:
        lines = accounting.for_person(
            session, keyring, clock.now(), person_id=world.target_person_id
        )
    assert [line.disclosure.request for line in lines] == ["r-1"]


def test_the_accounting_outlives_shredding_and_is_pruned_only_after_five_years(
    world: World, sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock
) -> None:
    _disclose(sessions, keyring, clock, world.target_person_id, LegalBasis.COURT_ORDER, "r-1")
    with unit_of_work(sessions) as session:
        shred_person(session, keyring, clock, world.target_person_id, retention_days=30)
    lookup = accounting.contact_lookup(keyring, "phone", "+12025550111")
    with unit_of_work(sessions) as session:
        lines = accounting.for_person(session, keyring, clock.now(), lookup=lookup)
        assert [line.disclosure.recipient_name for line in lines] == ["Agency"]
        assert accounting.prune_accounting(session, clock.now() + timedelta(days=4 * 365)) == 0
    with unit_of_work(sessions) as session:
        assert accounting.prune_accounting(session, clock.now() + timedelta(days=5 * 365 + 3)) == 1
        assert session.query(AccountingEntry).count() == 0
    assert len(entries(sessions, "disclosure:accounting:pruned")) == 1


def test_an_entry_of_a_person_still_on_file_is_kept_past_five_years(
    world: World, sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock
) -> None:
    _disclose(sessions, keyring, clock, world.target_person_id, LegalBasis.COURT_ORDER, "r-1")
    with unit_of_work(sessions) as session:
        assert accounting.prune_accounting(session, clock.now() + timedelta(days=6 * 365)) == 0


def test_the_worker_prunes_entries_past_the_limit_and_keeps_younger_ones(
    world: World,
    sessions: sessionmaker[Session],
    keyring: Keyring,
    clock: ManualClock,
    settings: Settings,
) -> None:
    person = world.target_person_id
    _disclose(sessions, keyring, clock, person, LegalBasis.COURT_ORDER, "r-old")
    clock.advance(timedelta(days=365))
    _disclose(sessions, keyring, clock, person, LegalBasis.COURT_ORDER, "r-young")
    with unit_of_work(sessions) as session:
        shred_person(session, keyring, clock, person, retention_days=30)
    # Past the limit for the first entry by a day; the second has a year to go.
    clock.advance(accounting.KEEP_FOR - timedelta(days=365) + timedelta(days=1))
    worker = Worker(WorkerContext(settings, clock, sessions, keyring))
    done = worker.run_round()
    assert done["accounting"] == 1
    assert list(done)[-1] == "ledger"  # it published the entry the prune appended
    with unit_of_work(sessions) as session:
        kept = session.scalars(sa.select(AccountingEntry.request_public_id)).all()
    assert kept == ["r-young"]
    [pruned] = entries(sessions, "disclosure:accounting:pruned")
    assert (pruned["actor"], pruned["removed"]) == ("system", 1)
    clock.advance(timedelta(hours=23))
    assert "accounting" not in worker.run_round()  # once a day
    clock.advance(timedelta(days=366))
    assert worker.run_round()["accounting"] == 1
    with unit_of_work(sessions) as session:
        assert session.scalars(sa.select(AccountingEntry)).all() == []


def test_the_stored_entry_holds_no_readable_recipient_or_purpose(
    world: World, sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock
) -> None:
    _disclose(sessions, keyring, clock, world.target_person_id, LegalBasis.COURT_ORDER, "r-1")
    with unit_of_work(sessions) as session:
        [row] = session.query(AccountingEntry).all()
        assert b"Agency" not in row.sealed
        assert b"criminal" not in row.sealed
