"""`haven worker [--once]`: run the due jobs of `haven.worker.JOBS`."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime
from types import FrameType

import typer

from haven import migrate
from haven.clock import Clock, ManualClock, SystemClock
from haven.config import Settings
from haven.notify.senders import SendersNotConfigured
from haven.runtime import Runtime
from haven.worker import Worker, WorkerContext


def worker(
    once: bool = typer.Option(False, "--once", help="Run the due jobs once and exit."),
    poll_seconds: float = typer.Option(60.0, min=1.0, help="Seconds between rounds."),
    as_of: datetime | None = typer.Option(
        None,
        "--as-of",
        help="Run as if it were this UTC instant (drills, tests); implies --once.",
        formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"],
    ),
) -> None:
    """Run the jobs that are due: retention (shredding), messages, the waitlist, and the rest."""
    settings = Settings()
    if not migrate.is_current(settings.resolved_database_url()):
        typer.echo("the database schema is not current: run `haven db upgrade` first", err=True)
        raise typer.Exit(2)
    clock: Clock = SystemClock()
    if as_of is not None:
        clock = ManualClock(as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC))
        once = True
    with Runtime.build(settings, clock) as runtime:
        try:
            _ = runtime.senders  # fail closed: no channel, no worker
        except SendersNotConfigured as exc:
            typer.echo(f"messages cannot be sent: {exc}", err=True)
            raise typer.Exit(2) from None
        context = WorkerContext(
            settings=settings, clock=clock, sessions=runtime.sessions, keyring=runtime.keyring
        )
        runner = Worker(context)
        if once:
            for name, count in runner.run_round().items():
                typer.echo(f"{name}: {count}")
            return
        stop = threading.Event()

        def _stop(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        runner.run_until(stop, poll_seconds)
