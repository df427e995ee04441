"""`haven report transparency`: the public report from this office's database, or recomputed
from a served log's tiles alone (``--from-log URL``), as CSV, JSON or HTML on standard output."""

from __future__ import annotations

from enum import StrEnum

import httpx
import typer

from haven.cli.log import DatabaseOption, _fail, _session, _verifier
from haven.clock import SystemClock
from haven.config import Settings
from haven.errors import HavenError
from haven.transparency.figures import Period, parse_period, quarter_of
from haven.transparency.pages import standalone_html
from haven.transparency.report import Report
from haven.transparency.service import report_from_database, report_from_served_log

app = typer.Typer(help="Public reports.", no_args_is_help=True)


class Format(StrEnum):
    CSV = "csv"
    JSON = "json"
    HTML = "html"


@app.command()
def transparency(
    period: str | None = typer.Option(
        None, help="A quarter (2026Q4) or a range (2026-10-01..2026-12-31); default this quarter."
    ),
    output: Format = typer.Option(Format.JSON, "--format", help="csv, json or html."),
    from_log: str | None = typer.Option(
        None, "--from-log", help="Recompute from a served log instead, e.g. http://host/log/"
    ),
    vkey: str | None = typer.Option(
        None, help="The log's vkey (or a file holding it); with --from-log, default URL/key."
    ),
    band: int | None = typer.Option(
        None, help="Band width (default HAVEN_TRANSPARENCY_BAND_WIDTH)."
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Print the transparency report for a period."""
    settings = Settings()
    width = band if band is not None else settings.transparency_band_width
    try:
        chosen = parse_period(period) if period else quarter_of(SystemClock().now())
        report = (
            _from_log(from_log, vkey, chosen, width)
            if from_log
            else _local(database_url, chosen, width)
        )
    except httpx.HTTPError as exc:
        raise _fail(f"--from-log: cannot read the log: {exc}") from None
    except HavenError as exc:
        raise _fail(f"{exc.field + ': ' if exc.field else ''}{exc.message}") from None
    if output == Format.CSV:
        typer.echo(report.csv_text(), nl=False)
    elif output == Format.HTML:
        typer.echo(standalone_html(report))
    else:
        typer.echo(report.json_text(), nl=False)


def _local(database_url: str | None, period: Period, width: int) -> Report:
    with _session(database_url) as session:
        return report_from_database(session, period, width)


def _from_log(url: str, vkey: str | None, period: Period, width: int) -> Report:
    prefix = url if url.endswith("/") else url + "/"
    with httpx.Client(timeout=30) as client:
        key = vkey if vkey is not None else client.get(prefix + "key").raise_for_status().text
        return report_from_served_log(client, prefix, _verifier(key), period, width)
