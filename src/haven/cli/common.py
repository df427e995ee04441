"""What several `haven` commands share: one unit of work that ends in the ledger's tree."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.config import Settings
from haven.db import unit_of_work
from haven.errors import HavenError
from haven.ledger.store import integrate
from haven.runtime import Runtime
from haven.vault.keys import Keyring


@contextmanager
def ledgered_command(label: str) -> Iterator[tuple[Session, Settings, Keyring, Clock]]:
    """One unit of work for the command called `label` (e.g. "staff add"), its new ledger
    entries folded into the tree afterwards; a HavenError becomes one line on stderr naming
    the command (and the field) and exit code 2."""
    with Runtime.build() as runtime:
        try:
            keyring = runtime.keyring
            with unit_of_work(runtime.sessions) as session:
                yield session, runtime.settings, keyring, runtime.clock
            # Fold the new ledger entries into the tree now; a running server would do it later.
            with unit_of_work(runtime.sessions) as session:
                integrate(session)
        except HavenError as exc:
            field = f" ({exc.field})" if exc.field else ""
            typer.echo(f"{label}: {exc.message}{field}", err=True)
            raise typer.Exit(2) from None
