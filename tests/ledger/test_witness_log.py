"""A witness cosigns checkpoints of the stored log (tiles in the database), on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.db import unit_of_work
from haven.ledger.cosignature import Cosigner
from haven.ledger.note import Signer, UnverifiedNote, generate_signer
from haven.ledger.proof_bundle import verify_receipt
from haven.ledger.service import entry_at, publish_checkpoint, receipt
from haven.ledger.store import append, integrate
from haven.ledger.tiles import TileSet
from haven.ledger.witness.app import create_witness_app
from haven.ledger.witness.client import WitnessEndpoint, cosign_checkpoint, prover
from haven.ledger.witness.service import Witness
from haven.ledger.witness.state import WitnessState
from tests.ledger.sample_kinds import SampleEvent

AT = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def _grow_and_sign(
    sessions: sessionmaker[Session], count: int, signer: Signer, clock: ManualClock
) -> str:
    with unit_of_work(sessions) as session:
        for i in range(count):
            append(session, SampleEvent.RECORD_READ, actor="staff:1", time=AT, office=f"o{i}")
    with unit_of_work(sessions) as session:
        integrate(session)
        published = publish_checkpoint(session, signer, clock)
        assert published is not None
        return published.note


def test_witness_cosigns_the_stored_log_as_it_grows(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    clock = ManualClock(AT)
    log = generate_signer("haven.test/log")
    witness = Witness(
        Cosigner.generate("witness.test/w1", clock),
        [log.verifier],
        WitnessState(tmp_path / "witness.db"),
        clock,
    )
    endpoint = WitnessEndpoint.parse(f"{witness.cosigner.vkey} http://testserver")
    sizes: dict[str, int] = {}
    with TestClient(create_witness_app(witness)) as client:
        for batch in (5, 300, 1):
            note = _grow_and_sign(sessions, batch, log, clock)
            with unit_of_work(sessions) as session:
                get_node = TileSet(session).get_node
                cosigned = cosign_checkpoint(
                    note, [endpoint], prover(get_node), sizes, client=client
                )
            assert cosigned.failures == {}
            assert cosigned.meets(1)
            sizes[endpoint.url] = cosigned.results[0].size
    assert sizes[endpoint.url] == 306
    recorded = witness.state.latest("haven.test/log")
    assert recorded is not None
    assert recorded.size == 306
    with unit_of_work(sessions) as session:
        proof = receipt(session, 250)
        entry = entry_at(session, 250)
    # The stored receipt carries only the log's signature; the cosigned note is the caller's to
    # keep, and verifies with the witness in the policy.
    verify_receipt(proof, entry, log.verifier)
    with pytest.raises(UnverifiedNote):
        verify_receipt(proof, entry, log.verifier, witnesses=[endpoint.verifier], quorum=1)
