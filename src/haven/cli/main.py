"""`haven`: every command (serve, demo, worker, db, log, witness, keys, policy, staff, report,
disclosure, bench, verify-receipt), each in its own module."""

from __future__ import annotations

import typer

from haven.cli import bench as bench_commands
from haven.cli import db as db_commands
from haven.cli import disclosure as disclosure_commands
from haven.cli import keys as keys_commands
from haven.cli import log as log_commands
from haven.cli import policy as policy_commands
from haven.cli import report as report_commands
from haven.cli import staff as staff_commands
from haven.cli import witness as witness_commands
from haven.cli.demo import demo
from haven.cli.receipt import verify_receipt
from haven.cli.serve import serve
from haven.cli.worker import worker

app = typer.Typer(
    help="Haven: appointments for public-service field offices.", no_args_is_help=True
)
app.add_typer(db_commands.app, name="db")
app.add_typer(bench_commands.app, name="bench")
app.add_typer(log_commands.app, name="log")
app.add_typer(witness_commands.app, name="witness")
app.add_typer(keys_commands.app, name="keys")
app.add_typer(policy_commands.app, name="policy")
app.add_typer(staff_commands.app, name="staff")
app.add_typer(disclosure_commands.app, name="disclosure")
app.add_typer(report_commands.app, name="report")
app.command()(worker)
app.command()(serve)
app.command()(demo)
app.command("verify-receipt")(verify_receipt)
