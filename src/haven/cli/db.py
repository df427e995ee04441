"""`haven db`: schema migrations."""

from __future__ import annotations

import typer

from haven import migrate
from haven.config import Settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Bring the database schema up to date (SQLite or PostgreSQL, same migrations)."""
    settings = Settings()
    settings.ensure_home()
    migrate.upgrade(settings.resolved_database_url(), revision)
    typer.echo(f"database at {revision}")
