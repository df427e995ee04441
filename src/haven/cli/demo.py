"""`haven demo`: prepare (or reuse) the demo database, say what is in it, then serve."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import typer

from haven import migrate
from haven.access.demo import describe_demo_accounts, seed_demo_accounts
from haven.access.passwords import PasswordCost
from haven.cli.serve import run_server
from haven.config import Settings
from haven.db import unit_of_work
from haven.disclosure.demo import describe_demo_agencies, seed_demo_agencies
from haven.runtime import Runtime
from haven.scheduling.demo import DemoSummary, seed_demo

_TICK = timedelta(microseconds=1)


def demo(
    port: int = typer.Option(8000, help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Only prepare the demo data."),
) -> None:
    """Create or reuse the demo database (three offices, a few weeks of bookings) and serve it."""
    settings = Settings()
    if "base_url" not in settings.model_fields_set:
        settings = settings.model_copy(update={"base_url": f"http://{host}:{port}"})
    settings.ensure_home()
    url = settings.resolved_database_url()
    migrate.upgrade(url)
    with Runtime.build(settings) as runtime, unit_of_work(runtime.sessions) as session:
        summary = seed_demo(
            session,
            clock=runtime.clock,
            keyring=runtime.keyring,
            base_url=settings.base_url,
        )
        demo_staff = seed_demo_accounts(
            session,
            runtime.clock,
            runtime.keyring,
            PasswordCost.from_settings(settings),
            office_ids=[office_id for office_id, _name, _zone in summary.offices[:1]],
        )
        demo_agencies = seed_demo_agencies(session, runtime.clock, settings)
    typer.echo(_describe(summary, sa.make_url(url).render_as_string(hide_password=True)))
    typer.echo(describe_demo_accounts(demo_staff))
    typer.echo(describe_demo_agencies(demo_agencies))
    if no_serve:
        typer.echo(f"not serving (--no-serve); without it, haven demo serves {settings.base_url}/")
        return
    typer.echo(f"serving at {settings.base_url}/  (Ctrl+C stops)")
    run_server(settings, host, port)


def _describe(summary: DemoSummary, database: str) -> str:
    verb = "created" if summary.created else "reused (already seeded)"
    lines = [f"demo database {verb}: {database}", "offices:"]
    lines += [f"  {i:>3}  {name} ({zone})" for i, name, zone in summary.offices]
    lines.append(f"appointments: {summary.appointments} (invented people only)")
    if summary.dst is not None:
        note = summary.dst
        zone = ZoneInfo(note.timezone)
        after = note.change_at.astimezone(zone)
        before = (note.change_at - _TICK).astimezone(zone)
        lines.append(
            f"DST: {note.office} ({note.timezone}) changes its clocks on {after:%Y-%m-%d}: "
            f"{before.replace(tzinfo=None) + _TICK:%H:%M} {before:%Z} becomes "
            f"{after:%H:%M %Z} ({note.change_at:%H:%M} UTC); its "
            f"services book up to {note.max_days_ahead} days ahead and "
            f"{note.appointments_after} demo appointments lie past the change, at the same "
            "wall-clock times as before it"
        )
    return "\n".join(lines)
