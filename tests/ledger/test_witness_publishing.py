"""The log side of witnessing, end to end on both databases: a real witness served by uvicorn on
127.0.0.1, a Haven app configured with it, cosigned checkpoints at /log/checkpoint, a witness
that goes down and comes back (through the 409 resend), and the quorum enforced by auditors."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from haven.cli.main import app as cli
from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.ledger.checkpoint import open_checkpoint
from haven.ledger.cosignature import Cosigner
from haven.ledger.keys import load_log_signer
from haven.ledger.models import WitnessStatus
from haven.ledger.note import Signer, UnverifiedNote, open_note
from haven.ledger.proof_bundle import verify_receipt
from haven.ledger.service import Integrator, entry_at, latest_checkpoint
from haven.ledger.store import append
from haven.ledger.witness.app import create_witness_app
from haven.ledger.witness.service import Witness
from haven.ledger.witness.state import WitnessState
from haven.vault.keys import load_keyring
from haven.web.app import create_app
from haven.worker import Worker, WorkerContext
from tests.ledger.sample_kinds import SampleEvent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServedWitness:
    """A tlog-witness under uvicorn in a thread, which a test can stop and start again."""

    def __init__(self, witness: Witness) -> None:
        self.witness = witness
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(
            create_witness_app(self.witness),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        # Bounded: the server is up within seconds or the test fails.
        for _ in range(500):
            if self._server.started:
                return
            time.sleep(0.01)
        pytest.fail("the witness server did not start")

    def stop(self) -> None:
        assert self._server is not None
        assert self._thread is not None
        self._server.should_exit = True
        self._thread.join(30)
        assert not self._thread.is_alive()


@pytest.fixture
def log_signer(settings: Settings) -> Signer:
    """The log key the app will load from HAVEN_HOME (created here first)."""
    settings.ensure_home()
    return load_log_signer(settings)


@pytest.fixture
def served_witness(
    log_signer: Signer, clock: ManualClock, tmp_path: Path
) -> Iterator[ServedWitness]:
    witness = Witness(
        Cosigner.generate("witness.test/w1", clock),
        [log_signer.verifier],
        WitnessState(tmp_path / "witness.db"),
        clock,
    )
    served = ServedWitness(witness)
    served.start()
    try:
        yield served
    finally:
        if served._server is not None and not served._server.should_exit:
            served.stop()


@pytest.fixture
def witnessed_settings(settings: Settings, served_witness: ServedWitness) -> Settings:
    spec = f"{served_witness.witness.cosigner.vkey} {served_witness.url}"
    return settings.model_copy(update={"log_witnesses": [spec], "log_witness_quorum": 1})


@pytest.fixture
def haven(witnessed_settings: Settings, clock: ManualClock) -> tuple[TestClient, Integrator]:
    # Without the lifespan: the test runs the integrator's step itself instead of racing its
    # background thread.
    app = create_app(witnessed_settings, clock=clock)
    integrator: Integrator = app.state.haven.integrator
    return TestClient(app), integrator


def _append(sessions: sessionmaker[Session], count: int, clock: ManualClock) -> None:
    with unit_of_work(sessions) as session:
        for i in range(count):
            append(session, SampleEvent.RECORD_READ, actor="staff:1", time=clock.now(), count=i)


def _served_size(client: TestClient, log_signer: Signer) -> int:
    response = client.get("/log/checkpoint")
    assert response.status_code == 200
    return open_checkpoint(response.text, [log_signer.verifier]).checkpoint.size


def _status(sessions: sessionmaker[Session]) -> WitnessStatus:
    with unit_of_work(sessions) as session:
        row = session.execute(select(WitnessStatus)).scalar_one()
        session.expunge(row)
        return row


def test_served_checkpoint_carries_the_witness_cosignature(
    haven: tuple[TestClient, Integrator],
    served_witness: ServedWitness,
    log_signer: Signer,
    sessions: sessionmaker[Session],
    clock: ManualClock,
) -> None:
    client, integrator = haven
    witness_key = served_witness.witness.cosigner.verifier
    for batch, size in ((5, 5), (300, 305)):
        _append(sessions, batch, clock)
        integrator.run_once()
        assert _served_size(client, log_signer) == size
        served = client.get("/log/checkpoint").text
        # Both the log's signature line and the witness's cosignature/v1 line verify.
        opened = open_note(served, [log_signer.verifier, witness_key])
        assert {s.name for s in opened.verified} == {log_signer.name, witness_key.name}
        recorded = served_witness.witness.state.latest(log_signer.name)
        assert recorded is not None
        assert recorded.size == size
        assert _status(sessions).cosigned_size == size
    receipt = client.get("/log/proof/42").text
    with unit_of_work(sessions) as session:
        entry = entry_at(session, 42)
    checkpoint = verify_receipt(
        receipt, entry, log_signer.verifier, witnesses=[witness_key], quorum=1
    )
    assert checkpoint.size == 305
    stranger = Cosigner.generate("witness.test/w1", clock).verifier
    with pytest.raises(UnverifiedNote):
        verify_receipt(receipt, entry, log_signer.verifier, witnesses=[stranger], quorum=1)


def test_a_down_witness_does_not_stop_the_log_and_catches_up_through_a_409(
    haven: tuple[TestClient, Integrator],
    served_witness: ServedWitness,
    log_signer: Signer,
    sessions: sessionmaker[Session],
    clock: ManualClock,
) -> None:
    client, integrator = haven
    witness_key = served_witness.witness.cosigner.verifier
    _append(sessions, 7, clock)
    integrator.run_once()
    served_witness.stop()

    _append(sessions, 20, clock)
    integrator.run_once()
    assert _served_size(client, log_signer) == 27  # the log signed without its witness
    with pytest.raises(UnverifiedNote):
        open_note(client.get("/log/checkpoint").text, [witness_key])
    round_ = integrator.last_witness_round
    assert round_ is not None
    assert list(round_.failures) == [served_witness.url]
    down = _status(sessions)
    assert (down.cosigned_size, down.failures) == (7, 1)
    assert down.last_error is not None
    assert "unreachable" in down.last_error

    # The log's belief about the witness is now wrong (3, the witness holds 7): the witness
    # answers 409 with its size and the log resends from 7.
    with unit_of_work(sessions) as session:
        session.execute(update(WitnessStatus).values(cosigned_size=3))
    served_witness.start()
    integrator.run_once()  # nothing new to sign: this round only catches the witness up
    opened = open_note(client.get("/log/checkpoint").text, [witness_key])
    assert [s.name for s in opened.verified] == [witness_key.name]
    recorded = served_witness.witness.state.latest(log_signer.name)
    assert recorded is not None
    assert recorded.size == 27
    back = _status(sessions)
    assert (back.cosigned_size, back.last_error) == (27, None)
    round_ = integrator.last_witness_round
    assert round_ is not None
    assert round_.failures == {}


def test_log_verify_and_status_enforce_the_quorum(
    haven: tuple[TestClient, Integrator],
    served_witness: ServedWitness,
    witnessed_settings: Settings,
    log_signer: Signer,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    database_url: str,
) -> None:
    _, integrator = haven
    runner = CliRunner()
    env = {
        "HAVEN_HOME": str(witnessed_settings.home),
        "HAVEN_DATABASE_URL": database_url,
        "HAVEN_LOG_WITNESSES": json.dumps(witnessed_settings.log_witnesses),
        "HAVEN_LOG_WITNESS_QUORUM": "1",
    }
    witness_vkey = served_witness.witness.cosigner.vkey
    stranger_vkey = Cosigner.generate("witness.test/w2", clock).vkey
    verify = ["log", "verify", "--database-url", database_url, "--vkey", log_signer.vkey]

    served_witness.stop()
    _append(sessions, 3, clock)
    integrator.run_once()
    status = runner.invoke(cli, ["log", "witnesses", "--json"], env=env)
    assert status.exit_code == 1, status.output
    report = json.loads(status.stdout)
    assert (report["quorum"], report["cosigners"], report["met"]) == (1, 0, False)
    assert report["witnesses"][0]["last_error"]
    result = runner.invoke(cli, [*verify, "--witness", witness_vkey, "--quorum", "1"])
    assert result.exit_code == 1, result.output
    assert "witness quorum of 1" in result.output

    served_witness.start()
    integrator.run_once()
    status = runner.invoke(cli, ["log", "witnesses"], env=env)
    assert status.exit_code == 0, status.output
    assert "met" in status.stdout
    assert "cosigned latest" in status.stdout
    result = runner.invoke(cli, [*verify, "--witness", witness_vkey, "--quorum", "1"])
    assert result.exit_code == 0, result.output
    assert "1 trusted cosignatures" in result.stdout
    result = runner.invoke(
        cli, [*verify, "--witness", witness_vkey, "--witness", stranger_vkey, "--quorum", "2"]
    )
    assert result.exit_code == 1, result.output
    result = runner.invoke(cli, [*verify, "--witness", witness_vkey, "--quorum", "2"])
    assert result.exit_code == 2
    assert "--quorum" in result.output


def test_the_worker_publishes_and_gathers_cosignatures(
    witnessed_settings: Settings,
    served_witness: ServedWitness,
    log_signer: Signer,
    sessions: sessionmaker[Session],
    clock: ManualClock,
) -> None:
    _append(sessions, 12, clock)
    context = WorkerContext(witnessed_settings, clock, sessions, load_keyring(witnessed_settings))
    done = Worker(context).run_round()
    assert done["ledger"] == 2  # one checkpoint signed, one cosignature gathered
    with unit_of_work(sessions) as session:
        latest = latest_checkpoint(session)
        assert latest is not None
        note = latest.served_note
    opened = open_note(note, [log_signer.verifier, served_witness.witness.cosigner.verifier])
    assert len(opened.verified) == 2
    recorded = served_witness.witness.state.latest(log_signer.name)
    assert recorded is not None
    assert recorded.size == 12
