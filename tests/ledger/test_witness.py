"""The C2SP tlog-witness protocol against the real witness app, and the log's client for it."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from haven.clock import ManualClock
from haven.config import Settings
from haven.ledger.checkpoint import Checkpoint
from haven.ledger.cosignature import Cosigner, cosignature_timestamp
from haven.ledger.memtree import MemoryTree, bench_entries
from haven.ledger.note import MalformedNote, Signer, generate_signer, open_note
from haven.ledger.proof_bundle import build_receipt, verify_receipt
from haven.ledger.witness.app import create_witness_app
from haven.ledger.witness.client import (
    WitnessEndpoint,
    WitnessError,
    cosign_checkpoint,
    prover,
    submit_checkpoint,
)
from haven.ledger.witness.policy import WitnessPolicy, WitnessPolicyError
from haven.ledger.witness.protocol import build_request
from haven.ledger.witness.service import Witness
from haven.ledger.witness.state import WitnessState

ORIGIN = "haven.example/log"
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


@dataclass
class Log:
    """A log in memory: its key, its tree, and checkpoints signed at any size."""

    signer: Signer
    tree: MemoryTree

    def note(self, size: int) -> str:
        return Checkpoint(ORIGIN, size, self.tree.root(size)).sign([self.signer])

    def prove(self, old: int, new: int) -> list[bytes]:
        return self.tree.consistency_proof(old, new)

    def body(self, old: int, size: int, proof: list[bytes] | None = None) -> bytes:
        if proof is None:
            proof = self.prove(old, size) if 0 < old < size else []
        return build_request(old, proof, self.note(size)).body()


@dataclass
class WitnessSetup:
    client: TestClient
    witness: Witness
    state_path: Path


@pytest.fixture
def log() -> Log:
    tree = MemoryTree()
    tree.extend(bench_entries(40))
    return Log(generate_signer(ORIGIN), tree)


@pytest.fixture
def witness(tmp_path: Path, log: Log) -> Iterator[WitnessSetup]:
    clock = ManualClock(NOW)
    state_path = tmp_path / "witness.db"
    served = Witness(
        Cosigner.generate("witness.example/w1", clock),
        [log.signer.verifier],
        WitnessState(state_path),
        clock,
    )
    with TestClient(create_witness_app(served)) as client:
        yield WitnessSetup(client, served, state_path)


def _post(setup: WitnessSetup, body: bytes) -> tuple[int, str, str]:
    response = setup.client.post("/add-checkpoint", content=body)
    return response.status_code, response.headers.get("content-type", ""), response.text


def test_first_checkpoint_is_cosigned_and_recorded(witness: WitnessSetup, log: Log) -> None:
    status, _, text = _post(witness, log.body(0, 10))
    assert status == 200
    assert text.startswith("\u2014 witness.example/w1 ")
    opened = open_note(log.note(10) + text, [witness.witness.cosigner.verifier])
    assert cosignature_timestamp(opened.verified[0].signature) == int(NOW.timestamp())
    recorded = witness.witness.state.latest(ORIGIN)
    assert recorded is not None
    assert (recorded.size, recorded.root_hash) == (10, log.tree.root(10))


def test_consistent_growth_is_cosigned(witness: WitnessSetup, log: Log) -> None:
    assert _post(witness, log.body(0, 3))[0] == 200
    assert _post(witness, log.body(3, 17))[0] == 200
    assert _post(witness, log.body(17, 17))[0] == 200  # same size, same root: cosigned again
    assert _post(witness, log.body(17, 40))[0] == 200


def test_unknown_origin_is_404(witness: WitnessSetup) -> None:
    stranger = generate_signer("other.example/log")
    note = Checkpoint("other.example/log", 1, bytes(32)).sign([stranger])
    status, content_type, text = _post(witness, build_request(0, [], note).body())
    assert status == 404
    assert content_type == "application/json"
    assert "origin" in text


def test_checkpoint_signed_by_another_key_is_403(witness: WitnessSetup, log: Log) -> None:
    impostor = generate_signer(ORIGIN)
    note = Checkpoint(ORIGIN, 5, log.tree.root(5)).sign([impostor])
    assert _post(witness, build_request(0, [], note).body())[0] == 403
    tampered = log.note(5).replace("\n5\n", "\n6\n")
    assert _post(witness, build_request(0, [], tampered).body())[0] == 403


@pytest.mark.parametrize(
    "make_body",
    [
        lambda log: log.body(0, 5).replace(b"old 0\n", b""),
        lambda log: log.body(0, 5).replace(b"old 0", b"old 00"),
        lambda log: log.body(0, 5).replace(b"old 0", b"old -1"),
        lambda log: log.body(0, 5).replace(b"old 0\n", b"old 0\n!!notbase64\n"),
        lambda log: log.body(0, 5).replace(b"old 0\n", b"old 0\nAAAA\n"),
        lambda log: log.body(0, 5).replace(b"old 0\n\n", b"old 0\n"),
        lambda log: b"old 0\n" + b"".join(b"A" * 43 + b"=\n" for _ in range(64)) + b"\n",
        lambda log: log.body(0, 5).replace(b"\n5\n", b"\nfive\n"),
        lambda log: b"\xff\xfe",
        lambda log: log.body(7, 5),  # old size beyond the checkpoint
    ],
)
def test_malformed_requests_are_400(witness: WitnessSetup, log: Log, make_body: object) -> None:
    body = make_body(log)  # type: ignore[operator]
    status, content_type, _ = _post(witness, body)
    assert status == 400
    assert content_type == "application/json"


def test_old_size_mismatch_is_409_with_the_size(witness: WitnessSetup, log: Log) -> None:
    assert _post(witness, log.body(0, 12))[0] == 200
    status, content_type, text = _post(witness, log.body(0, 20))
    assert (status, content_type, text) == (409, "text/x.tlog.size", "12\n")
    assert _post(witness, log.body(5, 20))[2] == "12\n"


def test_bad_consistency_proof_is_422_and_not_recorded(witness: WitnessSetup, log: Log) -> None:
    assert _post(witness, log.body(0, 12))[0] == 200
    proof = log.prove(12, 30)
    proof[0] = bytes([proof[0][0] ^ 1]) + proof[0][1:]
    assert _post(witness, log.body(12, 30, proof))[0] == 422
    assert _post(witness, log.body(12, 30, []))[0] == 422
    recorded = witness.witness.state.latest(ORIGIN)
    assert recorded is not None
    assert recorded.size == 12


def test_proof_lines_with_old_size_zero_are_422(witness: WitnessSetup, log: Log) -> None:
    assert _post(witness, log.body(0, 12, log.prove(4, 12)))[0] == 422


def test_fork_at_the_same_size_is_409(witness: WitnessSetup, log: Log) -> None:
    assert _post(witness, log.body(0, 8))[0] == 200
    forked = Checkpoint(ORIGIN, 8, log.tree.root(9)).sign([log.signer])
    status, _, text = _post(witness, build_request(8, [], forked).body())
    assert status == 409
    assert "root" in text


def test_a_forked_tree_fails_the_consistency_proof(witness: WitnessSetup, log: Log) -> None:
    assert _post(witness, log.body(0, 8))[0] == 200
    other = MemoryTree()
    other.extend([*bench_entries(7), b"rewritten entry", *bench_entries(30)[8:]])
    note = Checkpoint(ORIGIN, 30, other.root()).sign([log.signer])
    body = build_request(8, other.consistency_proof(8), note).body()
    assert _post(witness, body)[0] == 422


def test_state_survives_a_restart(witness: WitnessSetup, log: Log, tmp_path: Path) -> None:
    assert _post(witness, log.body(0, 9))[0] == 200
    clock = ManualClock(NOW)
    restarted = Witness(
        witness.witness.cosigner, [log.signer.verifier], WitnessState(witness.state_path), clock
    )
    with TestClient(create_witness_app(restarted)) as client:
        response = client.post("/add-checkpoint", content=log.body(0, 15))
    assert (response.status_code, response.text) == (409, "9\n")


def test_vkey_is_published(witness: WitnessSetup) -> None:
    response = witness.client.get("/vkey")
    assert response.text == witness.witness.cosigner.vkey + "\n"
    assert witness.client.get("/add-checkpoint").status_code == 405


def _endpoint(setup: WitnessSetup) -> WitnessEndpoint:
    return WitnessEndpoint.parse(f"{setup.witness.cosigner.vkey} http://testserver/")


def test_client_resends_after_409_with_the_witness_size(witness: WitnessSetup, log: Log) -> None:
    assert _post(witness, log.body(0, 6))[0] == 200
    result = submit_checkpoint(
        _endpoint(witness), log.note(25), 0, log.prove, client=witness.client
    )
    assert result.size == 25
    assert [s.name for s in result.cosignatures] == ["witness.example/w1"]


def test_client_refuses_a_witness_ahead_of_the_log(witness: WitnessSetup, log: Log) -> None:
    assert _post(witness, log.body(0, 30))[0] == 200
    with pytest.raises(WitnessError, match="beyond"):
        submit_checkpoint(_endpoint(witness), log.note(20), 0, log.prove, client=witness.client)


def test_client_reports_a_refusal(witness: WitnessSetup, log: Log) -> None:
    impostor = Log(generate_signer(ORIGIN), log.tree)
    with pytest.raises(WitnessError, match="403"):
        submit_checkpoint(
            _endpoint(witness), impostor.note(5), 0, impostor.prove, client=witness.client
        )


def test_client_ignores_cosignatures_from_other_keys(witness: WitnessSetup, log: Log) -> None:
    other_key = Cosigner.generate("witness.example/w1", ManualClock(NOW))
    endpoint = WitnessEndpoint.parse(f"{other_key.vkey} http://testserver")
    with pytest.raises(WitnessError, match="no valid cosignature"):
        submit_checkpoint(endpoint, log.note(5), 0, log.prove, client=witness.client)


def test_cosigned_checkpoint_meets_a_quorum_in_a_receipt(witness: WitnessSetup, log: Log) -> None:
    reachable = _endpoint(witness)
    unreachable = WitnessEndpoint.parse(
        f"{Cosigner.generate('w2.example', ManualClock(NOW)).vkey} http://testserver/missing"
    )
    cosigned = cosign_checkpoint(
        log.note(33), [reachable, unreachable], log.prove, {}, client=witness.client
    )
    assert cosigned.meets(1)
    assert not cosigned.meets(2)
    assert list(cosigned.failures) == ["http://testserver/missing"]
    receipt = build_receipt(31, cosigned.note, log.tree.get_node)
    entry = bench_entries(32)[31]
    verify_receipt(receipt, entry, log.signer.verifier, witnesses=[reachable.verifier], quorum=1)
    # Submitting the next checkpoint with the remembered size needs no 409 round trip.
    again = cosign_checkpoint(
        log.note(40), [reachable], log.prove, {reachable.url: 33}, client=witness.client
    )
    assert again.meets(1)


def test_witness_endpoint_config_is_checked() -> None:
    vkey = Cosigner.generate("w.example", ManualClock(NOW)).vkey
    assert WitnessEndpoint.parse(f"{vkey} https://w.example/sub/").url == "https://w.example/sub"
    with pytest.raises(MalformedNote, match="URL"):
        WitnessEndpoint.parse(vkey)
    with pytest.raises(MalformedNote, match="vkey"):
        WitnessEndpoint.parse(f"{generate_signer('x').vkey} https://w.example")
    assert base64.b64decode(vkey.split("+", 2)[2])[0] == 0x04


def test_policy_comes_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    witnesses = [Cosigner.generate(f"w{i}.example", ManualClock(NOW)) for i in range(2)]
    specs = [f"{w.vkey} http://127.0.0.1:{8100 + i}" for i, w in enumerate(witnesses)]
    monkeypatch.setenv("HAVEN_LOG_WITNESSES", json.dumps(specs))
    monkeypatch.setenv("HAVEN_LOG_WITNESS_QUORUM", "2")
    policy = WitnessPolicy.from_settings(Settings())
    assert [e.url for e in policy.endpoints] == ["http://127.0.0.1:8100", "http://127.0.0.1:8101"]
    assert [v.key_id for v in policy.verifiers] == [w.key_id for w in witnesses]


@pytest.mark.parametrize(("witnesses", "quorum"), [([], 1), (["not a witness"], 0)])
def test_unusable_policies_are_refused(witnesses: list[str], quorum: int) -> None:
    settings = Settings(log_witnesses=witnesses, log_witness_quorum=quorum)
    with pytest.raises(WitnessPolicyError):
        WitnessPolicy.from_settings(settings)


def test_concurrent_submissions_from_one_old_size_cosign_only_one(
    witness: WitnessSetup, log: Log
) -> None:
    # The check of the old size and the update are one transaction: of several checkpoints
    # all claiming to extend size 5, exactly one is cosigned and the rest learn the new size.
    assert _post(witness, log.body(0, 5))[0] == 200
    bodies = [log.body(5, size) for size in range(10, 40, 5)]
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        outcomes = list(pool.map(lambda body: _post(witness, body), bodies))
    statuses = sorted(status for status, _, _ in outcomes)
    assert statuses == [200] + [409] * (len(bodies) - 1)
    recorded = witness.witness.state.latest(ORIGIN)
    assert recorded is not None
    winner = next(i for i, (status, _, _) in enumerate(outcomes) if status == 200)
    assert recorded.size == range(10, 40, 5)[winner]
    assert {text for status, _, text in outcomes if status == 409} == {f"{recorded.size}\n"}


def test_prover_reads_the_log_tree(log: Log) -> None:
    assert list(prover(log.tree.get_node)(3, 9)) == log.prove(3, 9)
