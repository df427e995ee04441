"""`haven db`: schema migrations."""

from __future__ import annotations

import typer

from haven import migrate
from haven.clock import SystemClock
from haven.config import Settings
from haven.db import make_engine, make_sessionmaker, unit_of_work
from haven.disclosure.policy.governance import install_bundled_pack
from haven.ledger.store import integrate

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Bring the database schema up to date (SQLite or PostgreSQL, same migrations)."""
    settings = Settings()
    settings.ensure_home()
    migrate.upgrade(settings.resolved_database_url(), revision)
    typer.echo(f"database at {revision}")
    if revision == "head":
        _install_default_policy(settings)


def _install_default_policy(settings: Settings) -> None:
    """On a fresh install, the bundled disclosure policy becomes version 1 (a ledger entry)."""
    engine = make_engine(settings.resolved_database_url())
    sessions = make_sessionmaker(engine)
    try:
        with unit_of_work(sessions) as session:
            installed = install_bundled_pack(session, now=SystemClock().now())
            digest = installed.sha256 if installed is not None else None
        with unit_of_work(sessions) as session:
            integrate(session)
    finally:
        engine.dispose()
    if digest is not None:
        typer.echo(f"disclosure policy version 1 installed, sha256 {digest}")
