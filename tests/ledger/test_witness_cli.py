"""`haven witness serve` as an operator runs it: a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from haven.cli.main import app
from haven.ledger.checkpoint import Checkpoint
from haven.ledger.memtree import MemoryTree, bench_entries
from haven.ledger.note import Signer, generate_signer, open_note
from haven.ledger.witness.client import WitnessEndpoint, submit_checkpoint

ORIGIN = "haven.example/log"
HAVEN = Path(sys.executable).with_name("haven")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for_vkey(url: str, process: subprocess.Popen[bytes]) -> str:
    # Bounded: the server is up within seconds or the test fails with its output.
    for _ in range(200):
        if process.poll() is not None:
            break
        try:
            return httpx.get(f"{url}/vkey", timeout=1).text.strip()
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    output = process.communicate()[0].decode(errors="replace")
    pytest.fail(f"haven witness serve did not come up: {output}")


@pytest.fixture
def log_signer() -> Signer:
    return generate_signer(ORIGIN)


@pytest.fixture
def served_witness(tmp_path: Path, log_signer: Signer) -> Iterator[tuple[str, str]]:
    port = _free_port()
    command = [
        str(HAVEN),
        "witness",
        "serve",
        "--port",
        str(port),
        "--key-file",
        str(tmp_path / "keys" / "witness.skey"),
        "--state",
        str(tmp_path / "witness.db"),
        "--name",
        "witness.example/w1",
        "--log-vkey",
        log_signer.vkey,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        yield url, _wait_for_vkey(url, process)
    finally:
        process.terminate()
        process.communicate(timeout=20)


def test_served_witness_cosigns_and_resyncs(
    served_witness: tuple[str, str], log_signer: Signer, tmp_path: Path
) -> None:
    url, vkey = served_witness
    assert vkey.startswith("witness.example/w1+")
    assert (tmp_path / "keys" / "witness.skey").stat().st_mode & 0o777 == 0o600
    tree = MemoryTree()
    tree.extend(bench_entries(20))
    endpoint = WitnessEndpoint.parse(f"{vkey} {url}")
    first = Checkpoint(ORIGIN, 8, tree.root(8)).sign([log_signer])
    assert submit_checkpoint(endpoint, first, 0, tree.consistency_proof).size == 8
    later = Checkpoint(ORIGIN, 20, tree.root(20)).sign([log_signer])
    # The log forgot what the witness holds: the 409 tells it, and it resends from size 8.
    result = submit_checkpoint(endpoint, later, 0, tree.consistency_proof)
    opened = open_note(
        later.split("\n\n")[0] + "\n\n" + result.cosignatures[0].line(), [endpoint.verifier]
    )
    assert opened.text == Checkpoint(ORIGIN, 20, tree.root(20)).text()
    response = httpx.post(f"{url}/add-checkpoint", content=b"old 0\n", timeout=5)
    assert response.status_code == 400


def test_bad_log_vkey_exits_with_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["witness", "serve", "--log-vkey", "nonsense", "--key-file", str(tmp_path / "k")],
    )
    assert result.exit_code == 2
    assert "vkey" in result.output
    assert not (tmp_path / "k").exists()


def test_key_command_prints_the_same_vkey_each_time(tmp_path: Path) -> None:
    runner = CliRunner()
    arguments = ["witness", "key", "--key-file", str(tmp_path / "w.skey"), "--name", "w.example"]
    first = runner.invoke(app, arguments)
    second = runner.invoke(app, arguments)
    assert first.exit_code == 0
    assert first.output == second.output
    assert first.output.startswith("w.example+")
    (tmp_path / "bad.skey").write_text("PRIVATE+KEY+nonsense\n")
    broken = runner.invoke(app, ["witness", "key", "--key-file", str(tmp_path / "bad.skey")])
    assert broken.exit_code == 2
