"""`haven witness serve`: run a C2SP tlog-witness for one or more logs."""

from __future__ import annotations

import socket
from pathlib import Path

import typer
import uvicorn

from haven.clock import SystemClock
from haven.errors import HavenError
from haven.ledger.note import Verifier
from haven.ledger.witness.app import create_witness_app
from haven.ledger.witness.keys import load_or_create_cosigner
from haven.ledger.witness.service import Witness
from haven.ledger.witness.state import WitnessState

app = typer.Typer(help="A transparency-log witness that cosigns Haven checkpoints.")


@app.command()
def serve(
    log_vkey: list[str] = typer.Option(
        ..., "--log-vkey", help="A followed log's Ed25519 vkey (repeat for more logs)."
    ),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8100, help="Port to listen on."),
    key_file: Path = typer.Option(
        Path("witness.skey"), help="The witness's private key file (created when absent)."
    ),
    state: Path = typer.Option(Path("witness.db"), help="The witness's SQLite state file."),
    name: str | None = typer.Option(
        None, help="Key name for a newly created key (default: <host name>/witness)."
    ),
) -> None:
    """Serve POST /add-checkpoint and GET /vkey."""
    clock = SystemClock()
    try:
        verifiers = [Verifier.from_vkey(vkey) for vkey in log_vkey]
        key_name = name or f"{socket.gethostname()}/witness"
        cosigner = load_or_create_cosigner(key_file, key_name, clock)
    except HavenError as exc:
        typer.echo(f"witness: {exc.message}", err=True)
        raise typer.Exit(2) from None
    witness = Witness(cosigner, verifiers, WitnessState(state), clock)
    typer.echo(f"witness key: {cosigner.vkey}")
    uvicorn.run(create_witness_app(witness), host=host, port=port, access_log=False)
