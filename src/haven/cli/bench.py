"""`haven bench ...`: speed measurements that print figures (and --json); never pass/fail tests.

Each domain adds its command here (`ledger`, `booking`, `availability`, ...). The harnesses live
under `bench/` in the source checkout, not in the installed package: `load_harness` imports them.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import typer

app = typer.Typer(
    help="Benchmarks: print measured figures (add --json for machines).", no_args_is_help=True
)

SOURCE_ROOT = Path(__file__).resolve().parents[3]


def load_harness(name: str) -> ModuleType:
    """Import `bench/<name>.py` from the source checkout; exit 2 with one line if it is absent."""
    if not (SOURCE_ROOT / "bench" / f"{name}.py").is_file():
        typer.echo(f"bench/{name}.py not found: run benchmarks from a source checkout", err=True)
        raise typer.Exit(2)
    if str(SOURCE_ROOT) not in sys.path:
        sys.path.insert(0, str(SOURCE_ROOT))
    return importlib.import_module(f"bench.{name}")


@app.command()
def ledger(
    entries: int = typer.Option(100_000, min=1, help="Entries per measurement."),
    database_url: str | None = typer.Option(
        None, help="PostgreSQL URL for the 32-writer sequencing figure (skipped without one)."
    ),
    writers: int = typer.Option(32, min=1, help="Concurrent writers on PostgreSQL."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Haven's ledger against pymerkle 7.0.0 on the same entries, in the same run."""
    harness = load_harness("ledger")
    harness.main(entries=entries, database_url=database_url, writers=writers, as_json=as_json)


@app.command()
def availability(
    database_url: str | None = typer.Option(
        None, help="PostgreSQL server URL (a scratch database is created and dropped there)."
    ),
    runs: int = typer.Option(50, min=5, help="Repeated queries to take the median and p95 of."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Milliseconds per availability query: 20 resources, 10,000 appointments, 31 days."""
    harness = load_harness("availability")
    harness.main(database_url=database_url, runs=runs, as_json=as_json)


@app.command()
def booking(
    clients: int = typer.Option(32, min=1, max=256, help="Concurrent HTTP clients."),
    slots: int = typer.Option(10, min=1, help="Slots the clients race for."),
    database_url: str | None = typer.Option(
        None, help="PostgreSQL server URL (a scratch database is created and dropped there)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """N clients race for M slots through the real HTTP API, against a bare-insert baseline."""
    harness = load_harness("booking")
    harness.main(clients=clients, slots=slots, database_url=database_url, as_json=as_json)


@app.command()
def policy(
    decisions: int = typer.Option(20_000, min=100, help="Decisions to time."),
    database_url: str | None = typer.Option(
        None, help="PostgreSQL server URL (a scratch database is created and dropped there)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Disclosure policy decisions per second and p99 latency over a realistic request mix."""
    harness = load_harness("policy")
    harness.main(decisions=decisions, database_url=database_url, as_json=as_json)
