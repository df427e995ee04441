"""`haven serve`: run the web app with uvicorn."""

from __future__ import annotations

import typer
import uvicorn

from haven import migrate
from haven.config import Settings
from haven.web.app import create_app


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
) -> None:
    """Serve Haven over HTTP (the schema must be current: `haven db upgrade`)."""
    settings = Settings()
    if not migrate.is_current(settings.resolved_database_url()):
        typer.echo("the database schema is not current: run `haven db upgrade` first", err=True)
        raise typer.Exit(2)
    run_server(settings, host, port)


def run_server(settings: Settings, host: str, port: int) -> None:
    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)
