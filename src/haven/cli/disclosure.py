"""`haven disclosure scenario`: replay the disclosure scenario against a running demo."""

from __future__ import annotations

import httpx
import typer

from haven.disclosure.scenario import ScenarioFailed, run_scenario
from haven.errors import HavenError
from haven.runtime import Runtime

app = typer.Typer(help="The disclosure gateway.", no_args_is_help=True)


@app.command()
def scenario(
    url: str = typer.Option("http://127.0.0.1:8000", help="The running demo's base URL."),
) -> None:
    """Replay the issue's four scenario steps against a running `haven demo` and print each."""
    with Runtime.build() as runtime:
        try:
            with httpx.Client(base_url=url, timeout=30) as http:
                run_scenario(
                    http,
                    runtime.sessions,
                    runtime.keyring,
                    runtime.clock,
                    runtime.settings,
                    typer.echo,
                )
        except (ScenarioFailed, HavenError, httpx.HTTPError, OSError) as exc:
            typer.echo(f"scenario stopped: {exc}", err=True)
            raise typer.Exit(1) from None
