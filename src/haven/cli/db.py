"""`haven db`: schema migrations."""

from __future__ import annotations

import typer

from haven import migrate
from haven.config import Settings
from haven.db import unit_of_work
from haven.disclosure.policy.governance import install_bundled_pack
from haven.ledger.store import integrate
from haven.runtime import Runtime

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
    with Runtime.build(settings) as runtime:
        with unit_of_work(runtime.sessions) as session:
            installed = install_bundled_pack(session, now=runtime.clock.now())
            digest = installed.sha256 if installed is not None else None
        with unit_of_work(runtime.sessions) as session:
            integrate(session)
    if digest is not None:
        typer.echo(f"disclosure policy version 1 installed, sha256 {digest}")
