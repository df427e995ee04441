"""`haven log`: audit, export and read the ledger (verify, export-tiles, tail, show, integrate)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx
import typer
from sqlalchemy.orm import Session

from haven.config import Settings
from haven.db import unit_of_work
from haven.errors import HavenError
from haven.ledger import service
from haven.ledger.cosignature import verifier_from_vkey
from haven.ledger.keys import load_log_signer
from haven.ledger.note import NoteVerifier, Verifier
from haven.ledger.store import integrate as integrate_entries
from haven.ledger.verify import Audit, DatabaseLog, ServedLog, audit
from haven.ledger.witness.policy import WitnessPolicy
from haven.ledger.witnessing import cosign_latest, latest_quorum, witness_reports
from haven.runtime import Runtime

app = typer.Typer(help="The ledger: verify, export, read.", no_args_is_help=True)

DatabaseOption = typer.Option(None, help="Database URL (default: HAVEN_DATABASE_URL or home).")


@contextmanager
def _session(database_url: str | None) -> Iterator[Session]:
    with (
        Runtime.build(database_url=database_url) as runtime,
        unit_of_work(runtime.sessions) as session,
    ):
        yield session


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _vkey_text(vkey: str) -> str:
    return Path(vkey).read_text(encoding="utf-8") if Path(vkey).is_file() else vkey


def _verifier(vkey: str) -> Verifier:
    try:
        return Verifier.from_vkey(_vkey_text(vkey).strip())
    except HavenError as exc:
        raise _fail(f"--vkey: {exc.message}") from None


def _witness_verifiers(vkeys: list[str], quorum: int) -> list[NoteVerifier]:
    if quorum > len(vkeys):
        raise _fail(f"--quorum: {quorum} needs at least that many --witness keys")
    try:
        return [verifier_from_vkey(_vkey_text(vkey).strip()) for vkey in vkeys]
    except HavenError as exc:
        raise _fail(f"--witness: {exc.message}") from None


@app.command()
def verify(
    vkey: str = typer.Option(..., help="The log's vkey (or a file holding it), from /log/key."),
    database_url: str | None = DatabaseOption,
    url: str | None = typer.Option(None, help="Audit a served log instead, e.g. http://host/log/"),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
    witness: list[str] = typer.Option(
        [], "--witness", help="A trusted witness's cosignature vkey (or file); repeat for more."
    ),
    quorum: int = typer.Option(
        0, min=0, help="How many of the --witness keys must cosign the latest checkpoint."
    ),
) -> None:
    """Recompute the whole tree from the entries; check every checkpoint (and the witness
    quorum on the latest); exit 1 on any fault."""
    verifier = _verifier(vkey)
    witnesses = _witness_verifiers(witness, quorum)
    if url and database_url:
        raise _fail("give --database-url or --url, not both")
    try:
        if url:
            with httpx.Client(timeout=30) as client:
                result = audit(ServedLog(client, url), verifier, witnesses=witnesses, quorum=quorum)
        else:
            with _session(database_url) as session:
                result = audit(DatabaseLog(session), verifier, witnesses=witnesses, quorum=quorum)
    except httpx.HTTPError as exc:
        raise _fail(f"--url: cannot read the log: {exc}") from None
    except HavenError as exc:
        raise _fail(exc.message) from None
    _report(result, as_json)
    if not result.ok:
        raise typer.Exit(1)


def _report(result: Audit, as_json: bool) -> None:
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": result.ok,
                    "entries": result.entries,
                    "checkpoints": result.checkpoints,
                    "checkpoint_size": result.checkpoint_size,
                    "root_hash": result.root_hash.hex(),
                    "first_bad_index": result.first_bad_index,
                    "cosigners": result.cosigners,
                    "findings": [{"index": f.index, "message": f.message} for f in result.findings],
                }
            )
        )
        return
    if result.ok:
        typer.echo(
            f"ok: {result.entries} entries recomputed; {result.checkpoints} checkpoints verified "
            f"(latest size {result.checkpoint_size}, {result.cosigners} trusted cosignatures); "
            f"root {result.root_hash.hex()}"
        )
        return
    where = result.first_bad_index
    typer.echo(f"FAILED: first bad index {where}" if where is not None else "FAILED", err=True)
    for finding in result.findings[:20]:
        typer.echo(f"  {finding.message}", err=True)


@app.command("export-tiles")
def export_tiles(
    directory: Path = typer.Argument(..., help="Where to write checkpoint and tile/..."),
    database_url: str | None = DatabaseOption,
) -> None:
    """Write the latest checkpoint's tree as static tlog-tiles files."""
    try:
        with _session(database_url) as session:
            checkpoint = service.export_static(session, directory)
    except HavenError as exc:
        raise _fail(exc.message) from None
    typer.echo(f"exported {checkpoint.size} entries to {directory}")


@app.command()
def tail(
    start: int = typer.Option(0, "--from", min=0, help="First index."),
    limit: int = typer.Option(20, min=1, max=10_000, help="How many entries."),
    database_url: str | None = DatabaseOption,
) -> None:
    """Print entries from an index on, one `index<TAB>json` line each."""
    with _session(database_url) as session:
        for index, data in service.entries_from(session, start, limit):
            typer.echo(f"{index}\t{data.decode('utf-8')}")


@app.command()
def show(
    index: int = typer.Argument(..., min=0, help="Entry index."),
    raw: bool = typer.Option(False, "--raw", help="The exact stored bytes (what receipts hash)."),
    database_url: str | None = DatabaseOption,
) -> None:
    """Print one entry's JSON."""
    try:
        with _session(database_url) as session:
            data = service.entry_at(session, index)
    except HavenError as exc:
        raise _fail(exc.message, 1) from None
    if raw:
        sys.stdout.buffer.write(data)
        return
    typer.echo(json.dumps(json.loads(data), indent=2, ensure_ascii=False))


@app.command("integrate")
def integrate_command(database_url: str | None = DatabaseOption) -> None:
    """Integrate pending entries and sign a checkpoint now (what the app does after commits)."""
    with Runtime.build(database_url=database_url) as runtime:
        signer = load_log_signer(runtime.settings)
        policy = _policy(runtime.settings)
        with unit_of_work(runtime.sessions) as session:
            size = integrate_entries(session)
            published = service.publish_checkpoint(session, signer, runtime.clock)
        signed = "checkpoint signed" if published else "checkpoint current"
        typer.echo(f"tree size {size}; {signed}")
        # After the commit above: witnesses are asked with no transaction open.
        witnessed = cosign_latest(runtime.sessions, policy, runtime.clock)
    if witnessed is not None:
        typer.echo(f"cosigned by {len(witnessed.cosigned)} of {len(policy.endpoints)} witnesses")
        for url, message in witnessed.failures.items():
            typer.echo(f"  {url}: {message}", err=True)


def _policy(settings: Settings) -> WitnessPolicy:
    try:
        return WitnessPolicy.from_settings(settings)
    except HavenError as exc:
        raise _fail(exc.message) from None


@app.command()
def witnesses(
    database_url: str | None = DatabaseOption,
    as_json: bool = typer.Option(False, "--json", help="Print the status as one JSON object."),
) -> None:
    """The trust policy (HAVEN_LOG_WITNESSES, HAVEN_LOG_WITNESS_QUORUM) and each witness's
    status; exit 1 when the latest checkpoint does not meet the quorum."""
    policy = _policy(Settings())
    with _session(database_url) as session:
        reports = witness_reports(session, policy)
        count, met = latest_quorum(session, policy)
    if as_json:
        rows = [
            {
                "url": r.url,
                "name": r.name,
                "cosigned_size": r.cosigned_size,
                "cosigned_latest": r.cosigned_latest,
                "last_success_at": _iso(r.last_success_at),
                "last_failure_at": _iso(r.last_failure_at),
                "last_error": r.last_error,
                "failures": r.failures,
            }
            for r in reports
        ]
        summary = {"quorum": policy.quorum, "cosigners": count, "met": met, "witnesses": rows}
        typer.echo(json.dumps(summary))
    else:
        typer.echo(
            f"quorum {policy.quorum} of {len(policy.endpoints)} witnesses; the latest checkpoint "
            f"has {count}: {'met' if met else 'NOT MET'}"
        )
        for r in reports:
            state = "cosigned latest" if r.cosigned_latest else "behind"
            typer.echo(f"  {r.name} {r.url}: {state}, size {r.cosigned_size}")
            if r.last_error:
                typer.echo(f"    last failure {_iso(r.last_failure_at)}: {r.last_error}")
    if not met:
        raise typer.Exit(1)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
