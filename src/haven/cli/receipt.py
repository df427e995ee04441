"""`haven verify-receipt FILE --vkey VKEY`: check a person's receipt offline (exit 0 when it
holds, 1 with one line saying why when it does not)."""

from __future__ import annotations

from pathlib import Path

import typer

from haven.cli.log import _verifier
from haven.errors import HavenError
from haven.transparency.receipts import check_receipt, why


def verify_receipt(
    file: Path = typer.Argument(..., help="The receipt (.json) downloaded from /my."),
    vkey: str = typer.Option(..., help="The log's vkey (or a file holding it), from /log/key."),
) -> None:
    """Check that the receipt's entry carries its tag and is in the log the key signs."""
    verifier = _verifier(vkey)
    try:
        document = file.read_bytes()
    except OSError as exc:
        typer.echo(f"FAILED: cannot read {file}: {exc.strerror}", err=True)
        raise typer.Exit(1) from None
    try:
        checkpoint = check_receipt(document, verifier)
    except HavenError as exc:
        typer.echo(f"FAILED: {why(exc)}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"ok: the entry is in log {checkpoint.origin} (checkpoint size {checkpoint.size})")
