"""`haven disclosure scenario`: replay the disclosure scenario against a running demo."""

from __future__ import annotations

import httpx
import typer

from haven.clock import SystemClock
from haven.config import Settings
from haven.db import make_engine, make_sessionmaker
from haven.disclosure.scenario import ScenarioFailed, run_scenario
from haven.errors import HavenError
from haven.vault.keys import load_keyring

app = typer.Typer(help="The disclosure gateway.", no_args_is_help=True)


@app.command()
def scenario(
    url: str = typer.Option("http://127.0.0.1:8000", help="The running demo's base URL."),
) -> None:
    """Replay the issue's four scenario steps against a running `haven demo` and print each."""
    settings = Settings()
    engine = make_engine(settings.resolved_database_url())
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            run_scenario(
                http,
                make_sessionmaker(engine),
                load_keyring(settings),
                SystemClock(),
                settings,
                typer.echo,
            )
    except (ScenarioFailed, HavenError, httpx.HTTPError, OSError) as exc:
        typer.echo(f"scenario stopped: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
