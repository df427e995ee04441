"""The log over HTTP: key, checkpoint, C2SP tiles and entry bundles, receipts; the integrator."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.db import unit_of_work
from haven.ledger.checkpoint import open_checkpoint
from haven.ledger.hashing import leaf_hash
from haven.ledger.merkle import InvalidProof, root_from_hashes
from haven.ledger.models import LogEntry
from haven.ledger.note import Verifier
from haven.ledger.proof_bundle import verify_receipt
from haven.ledger.service import Integrator
from haven.ledger.store import append, tree_state
from haven.ledger.tiles import (
    TileAddress,
    encode_index,
    parse_tile_path,
    split_entry_bundle,
    split_hashes,
)
from tests.ledger.sample_kinds import SampleEvent

AT = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def integrator_of(client: TestClient) -> Integrator:
    integrator: Integrator = client.app.state.haven.integrator  # type: ignore[attr-defined]
    return integrator


def app_sessions(client: TestClient) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = client.app.state.haven.sessions  # type: ignore[attr-defined]
    return sessions


def append_entries(sessions: sessionmaker[Session], count: int) -> list[bytes]:
    with unit_of_work(sessions) as session:
        for i in range(count):
            append(session, SampleEvent.RECORD_READ, actor="staff:1", time=AT, count=i)
    with unit_of_work(sessions) as session:
        return list(session.execute(sa.select(LogEntry.data).order_by(LogEntry.index)).scalars())


@pytest.fixture
def log_client(app_client: TestClient) -> TestClient:
    """The app, with the background integrator stopped so each test integrates when it says."""
    integrator_of(app_client).stop()
    return app_client


def publish(client: TestClient) -> None:
    integrator_of(client).run_once()


def test_checkpoint_verifies_with_the_served_key(log_client: TestClient) -> None:
    append_entries(app_sessions(log_client), 3)
    publish(log_client)
    key = log_client.get("/log/key")
    assert key.status_code == 200
    assert key.headers["content-type"] == "text/plain; charset=utf-8"
    verifier = Verifier.from_vkey(key.text)
    response = log_client.get("/log/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "max-age=5" in response.headers["cache-control"]
    checkpoint = open_checkpoint(response.text, [verifier], origin=verifier.name).checkpoint
    assert checkpoint.size == 3
    assert checkpoint.origin == log_client.app.state.haven.settings.resolved_log_origin()  # type: ignore[attr-defined]


def test_served_tiles_and_bundles_are_the_tree(log_client: TestClient) -> None:
    entries = append_entries(app_sessions(log_client), 300)
    publish(log_client)
    leaves = [leaf_hash(entry) for entry in entries]

    full = log_client.get("/log/tile/0/000")
    assert full.status_code == 200
    assert full.headers["content-type"] == "application/octet-stream"
    assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert split_hashes(full.content) == leaves[:256]

    partial = log_client.get("/log/tile/0/001.p/44")
    assert partial.status_code == 200
    assert "immutable" not in partial.headers["cache-control"]
    assert split_hashes(partial.content) == leaves[256:300]
    assert split_hashes(log_client.get("/log/tile/0/001.p/10").content) == leaves[256:266]

    level1 = log_client.get("/log/tile/1/000.p/1")
    assert level1.content == root_from_hashes(leaves[:256])

    bundle = log_client.get("/log/tile/entries/000")
    assert bundle.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert split_entry_bundle(bundle.content) == entries[:256]
    tail = log_client.get("/log/tile/entries/001.p/44")
    assert split_entry_bundle(tail.content) == entries[256:]


@pytest.mark.parametrize(
    "path",
    [
        "0/001",  # full tile not complete yet
        "0/001.p/45",  # wider than the tree
        "entries/001",
        "2/000.p/1",
        "0/1",  # index not in 3-digit groups
        "0/x000/000",  # non-canonical spelling of 0
        "0/000.p/0",
        "0/000.p/256",
        "64/000",
        "00/000",
        "tiles/000",
        "0/000.p/",
    ],
)
def test_tiles_not_in_the_tree_are_404_with_a_message(log_client: TestClient, path: str) -> None:
    append_entries(app_sessions(log_client), 300)
    publish(log_client)
    response = log_client.get(f"/log/tile/{path}")
    assert response.status_code == 404
    assert response.json()["message"]


def test_receipt_proves_the_entry_against_the_signed_checkpoint(log_client: TestClient) -> None:
    entries = append_entries(app_sessions(log_client), 300)
    publish(log_client)
    verifier = Verifier.from_vkey(log_client.get("/log/key").text)
    for index in (0, 5, 255, 256, 299):
        response = log_client.get(f"/log/proof/{index}")
        assert response.status_code == 200
        assert response.text.startswith("c2sp.org/tlog-proof@v1\n")
        checkpoint = verify_receipt(response.text, entries[index], verifier)
        assert checkpoint.size == 300
    other = log_client.get("/log/proof/7").text
    with pytest.raises(InvalidProof, match="root"):
        verify_receipt(other, entries[8], verifier)


def test_receipt_for_an_entry_not_yet_checkpointed_is_404(log_client: TestClient) -> None:
    append_entries(app_sessions(log_client), 2)
    publish(log_client)
    append_entries(app_sessions(log_client), 1)
    assert log_client.get("/log/proof/2").status_code == 404
    assert log_client.get("/log/proof/-1").status_code == 422
    assert log_client.get("/log/proof/abc").json()["error"] == "invalid"


def test_no_checkpoint_is_signed_twice_for_the_same_tree(log_client: TestClient) -> None:
    append_entries(app_sessions(log_client), 1)
    assert integrator_of(log_client).run_once() is not None
    assert integrator_of(log_client).run_once() is None


def test_commit_that_appended_wakes_the_background_integrator(app_client: TestClient) -> None:
    sessions = app_sessions(app_client)
    append_entries(sessions, 5)
    deadline = time.monotonic() + 30
    size = 0
    while time.monotonic() < deadline and size < 5:
        response = app_client.get("/log/checkpoint")
        if response.status_code == 200:
            size = int(response.text.split("\n")[1])
        if size < 5:
            time.sleep(0.05)
    assert size == 5
    with unit_of_work(sessions) as session:
        assert tree_state(session).size == 5


@pytest.mark.parametrize(
    ("index", "path"), [(0, "000"), (7, "007"), (1000, "x001/000"), (1234067, "x001/x234/067")]
)
def test_tile_indexes_are_spelled_as_the_spec_says(index: int, path: str) -> None:
    assert encode_index(index) == path
    assert parse_tile_path(f"0/{path}.p/3") == TileAddress(0, index, 3)
    assert parse_tile_path(f"entries/{path}") == TileAddress(None, index)
