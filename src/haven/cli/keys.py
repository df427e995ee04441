"""`haven keys rotate`: a new key-encryption key, every wrapped key rewrapped, no downtime."""

from __future__ import annotations

from collections.abc import Callable

import typer
from sqlalchemy.orm import Session

from haven.access.second_factor import rewrap_secrets
from haven.db import unit_of_work
from haven.disclosure.rotation import rewrap_sealed
from haven.errors import HavenError
from haven.ledger.store import integrate
from haven.runtime import Runtime
from haven.vault import rotation
from haven.vault.keys import Keyring

app = typer.Typer(help="Vault keys.", no_args_is_help=True)

# Everything else the KEK wraps, each rewrapped in one transaction after the person records.
# A domain that wraps keys of its own with the KEK adds its step here.
OTHER_WRAPPED: list[tuple[str, Callable[[Session, Keyring], int]]] = [
    ("second-factor secrets", rewrap_secrets),
    ("disclosure sealed copies", rewrap_sealed),
]


@app.command()
def rotate(
    batch: int = typer.Option(rotation.DEFAULT_BATCH, min=1, help="Records per transaction."),
    rewrap_only: bool = typer.Option(
        False, "--rewrap-only", help="Keep the current KEK; rewrap what older ones still wrap."
    ),
) -> None:
    """Retire the KEK to HAVEN_HOME/keys/retired-keks, make a new one, rewrap every key."""
    with Runtime.build() as runtime:
        try:
            rotated = None if rewrap_only else rotation.rotate_kek_files(runtime.settings)
            # Loaded after the rotation, so it holds the new KEK.
            keyring = runtime.keyring
        except HavenError as exc:
            typer.echo(f"keys rotate: {exc.message}", err=True)
            raise typer.Exit(2) from None
        sessions = runtime.sessions
        people = rotation.rewrap_person_keys(sessions, keyring, batch=batch)
        with unit_of_work(sessions) as session:
            others = {name: step(session, keyring) for name, step in OTHER_WRAPPED}
            if rotated is not None:
                rotation.record_rotation(session, runtime.clock, rotated)
            left = rotation.keys_under_other_keks(session, keyring)
        with unit_of_work(sessions) as session:
            integrate(session)
    if rotated is not None:
        typer.echo(f"new KEK {rotated.new_kek_id}; retired {rotated.retired_kek_id}")
    typer.echo(f"rewrapped {people} person keys")
    for name, count in others.items():
        typer.echo(f"rewrapped {count} {name}")
    if left:
        # Only a process that sealed under the old KEK between our batches leaves any.
        typer.echo(f"{left} records still under an older KEK: run with --rewrap-only", err=True)
        raise typer.Exit(1)
