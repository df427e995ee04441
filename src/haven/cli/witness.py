"""`haven witness serve | key`: run a C2SP tlog-witness for one or more logs."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer
import uvicorn

from haven.clock import SystemClock
from haven.errors import HavenError
from haven.ledger.cosignature import Cosigner
from haven.ledger.note import Verifier
from haven.ledger.witness.app import create_witness_app
from haven.ledger.witness.keys import load_or_create_cosigner
from haven.ledger.witness.service import Witness
from haven.ledger.witness.state import WitnessState

app = typer.Typer(help="A transparency-log witness that cosigns Haven checkpoints.")

KEY_FILE_OPTION = typer.Option(
    Path("witness.skey"), help="The witness's private key file (created when absent)."
)
NAME_OPTION = typer.Option(
    None, help="Key name for a newly created key (default: <host name>/witness)."
)

T = TypeVar("T")


def _or_exit(step: Callable[[], T]) -> T:
    """Run a set-up step; a bad key or vkey ends the command with one line and exit code 2."""
    try:
        return step()
    except HavenError as exc:
        typer.echo(f"witness: {exc.message}", err=True)
        raise typer.Exit(2) from None


def _cosigner(key_file: Path, name: str | None) -> Cosigner:
    key_name = name or f"{socket.gethostname()}/witness"
    return _or_exit(lambda: load_or_create_cosigner(key_file, key_name, SystemClock()))


@app.command()
def key(key_file: Path = KEY_FILE_OPTION, name: str | None = NAME_OPTION) -> None:
    """Print the witness's cosignature vkey (for the log's HAVEN_LOG_WITNESSES)."""
    typer.echo(_cosigner(key_file, name).vkey)


@app.command()
def serve(
    log_vkey: list[str] = typer.Option(
        ..., "--log-vkey", help="A followed log's Ed25519 vkey (repeat for more logs)."
    ),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8100, help="Port to listen on."),
    key_file: Path = KEY_FILE_OPTION,
    state: Path = typer.Option(Path("witness.db"), help="The witness's SQLite state file."),
    name: str | None = NAME_OPTION,
) -> None:
    """Serve POST /add-checkpoint (C2SP tlog-witness) and GET /vkey."""
    verifiers = _or_exit(lambda: [Verifier.from_vkey(vkey) for vkey in log_vkey])
    cosigner = _cosigner(key_file, name)
    witness = Witness(cosigner, verifiers, WitnessState(state), SystemClock())
    typer.echo(f"witness key: {cosigner.vkey}")
    uvicorn.run(create_witness_app(witness), host=host, port=port, access_log=False)
