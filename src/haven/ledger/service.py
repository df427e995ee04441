"""The ledger's actions beyond appending: checkpoints, receipts, reads, and the background
integrator that folds entries into the tree after each commit and signs checkpoints.

Each action takes the caller's session and never commits; the integrator runs its own units of
work. ``publish_checkpoint`` and ``store.integrate`` are the synchronous forms (CLI, tests).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import Clock
from haven.config import Settings
from haven.db import unit_of_work
from haven.errors import HavenError, NotFound
from haven.ledger.checkpoint import Checkpoint
from haven.ledger.keys import load_log_signer
from haven.ledger.merkle import root_from_nodes
from haven.ledger.models import LogEntry, PublishedCheckpoint
from haven.ledger.note import Signer
from haven.ledger.proof_bundle import build_receipt
from haven.ledger.store import APPENDED, integrate, lock_tree_state, tree_state
from haven.ledger.tiles import (
    TileAddress,
    TileSet,
    parse_tile_path,
    read_entry_bundle,
    read_tile,
    tiles_for_size,
)
from haven.ledger.witness.policy import WitnessPolicy
from haven.ledger.witnessing import WitnessRound, cosign_latest
from haven.ledger.witnessing import latest_checkpoint as latest_checkpoint

logger = logging.getLogger(__name__)

# How often an idle integrator looks for entries other processes appended.
IDLE_POLL_SECONDS = 10.0


class LedgerCorrupted(HavenError):
    """The stored tree no longer matches a checkpoint the log signed; nothing more is signed."""

    status_code = 500
    code = "ledger_corrupted"


class EntryNotFound(NotFound):
    code = "ledger_entry_not_found"


def all_checkpoints(session: Session) -> list[PublishedCheckpoint]:
    """Every checkpoint the log signed, oldest first."""
    query = select(PublishedCheckpoint).order_by(PublishedCheckpoint.id)
    return list(session.execute(query).scalars())


def publish_checkpoint(
    session: Session, signer: Signer, clock: Clock
) -> PublishedCheckpoint | None:
    """Sign and store a checkpoint of the integrated tree, unless the latest one already says it.

    Before signing, the stored tiles must still give the latest checkpoint's root at its size:
    a log never signs a tree that does not extend what it signed before.
    """
    lock_tree_state(session)  # one signer at a time, so no two checkpoints of one size
    state = tree_state(session)
    latest = latest_checkpoint(session)
    if latest is not None:
        if (latest.size, latest.origin) == (state.size, signer.name):
            return None
        tiles = TileSet(session)
        if latest.size > state.size or (
            root_from_nodes(latest.size, tiles.get_node) != latest.root_hash
        ):
            raise LedgerCorrupted(
                f"the stored tree does not extend checkpoint {latest.id} (size {latest.size})"
            )
    body = Checkpoint(signer.name, state.size, state.root_hash)
    published = PublishedCheckpoint(
        size=state.size,
        root_hash=state.root_hash,
        origin=signer.name,
        note=body.sign([signer]),
        signed_at=clock.now(),
    )
    session.add(published)
    session.flush()
    return published


def publish_pending(
    sessions: sessionmaker[Session], signer: Signer, clock: Clock
) -> PublishedCheckpoint | None:
    """Integrate every committed entry, then sign a checkpoint if the tree grew (two units of
    work, so integration commits even if signing refuses)."""
    with unit_of_work(sessions) as session:
        integrate(session)
    with unit_of_work(sessions) as session:
        return publish_checkpoint(session, signer, clock)


def receipt(session: Session, index: int) -> str:
    """A C2SP tlog-proof for entry ``index`` against the latest signed checkpoint."""
    latest = latest_checkpoint(session)
    if latest is None or not 0 <= index < latest.size:
        raise EntryNotFound(
            f"entry {index} is not in the latest signed checkpoint yet; try again shortly",
            field="index",
        )
    return build_receipt(index, latest.served_note, TileSet(session).get_node).text()


def entry_at(session: Session, index: int) -> bytes:
    """The stored bytes of entry ``index``."""
    data = session.execute(select(LogEntry.data).where(LogEntry.index == index)).scalar()
    if data is None:
        raise EntryNotFound(f"there is no entry {index}", field="index")
    return data


def entries_from(session: Session, start: int, limit: int) -> list[tuple[int, bytes]]:
    """Up to ``limit`` entries from index ``start`` on, in order."""
    rows = session.execute(
        select(LogEntry.index, LogEntry.data)
        .where(LogEntry.index >= start)
        .order_by(LogEntry.index)
        .limit(limit)
    )
    return [(index, data) for index, data in rows]


class Integrator:
    """Integrates after every commit that appended, signs a checkpoint at most every
    ``checkpoint_seconds``, and has the witnesses cosign it. One daemon thread per process;
    ``stop`` ends it."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        signer: Signer,
        clock: Clock,
        *,
        checkpoint_seconds: float,
        witnesses: WitnessPolicy | None = None,
    ) -> None:
        self.signer = signer
        self.witnesses = witnesses or WitnessPolicy((), 0)
        self.last_witness_round: WitnessRound | None = None
        self._sessions = sessions
        self._clock = clock
        self._interval = checkpoint_seconds
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_published = float("-inf")

    def run_once(self) -> PublishedCheckpoint | None:
        """Integrate every committed entry, sign a checkpoint if the tree grew, then (with no
        transaction open) submit the latest checkpoint to the witnesses that lack it."""
        published = publish_pending(self._sessions, self.signer, self._clock)
        # Also when nothing new was signed: a witness that was down catches up here.
        self.last_witness_round = cosign_latest(self._sessions, self.witnesses, self._clock)
        return published

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="haven-ledger", daemon=True)
        self._thread.start()
        self._wake.set()  # catch up with whatever was appended while no one integrated

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def install_commit_hook(self) -> None:
        """Wake this integrator after each commit of ``sessions`` that appended an entry."""
        event.listen(self._sessions, "after_commit", self._after_commit)
        event.listen(self._sessions, "after_rollback", _forget_appended)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(APPENDED, False):
            self._wake.set()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(IDLE_POLL_SECONDS)
            self._wake.clear()
            if self._stopping.is_set():
                return
            self._guarded(self._integrate)
            due = self._last_published + self._interval - time.monotonic()
            # Wait until a checkpoint may be signed; entries committed meanwhile join the batch.
            if due > 0 and self._stopping.wait(due):
                return
            if self._guarded(self.run_once) is not _FAILED:
                self._last_published = time.monotonic()

    def _integrate(self) -> None:
        with unit_of_work(self._sessions) as session:
            integrate(session)

    def _guarded(self, step: Callable[[], Any]) -> Any:
        try:
            return step()
        except Exception:
            # A background thread has no caller to raise to: log the fault (with its traceback)
            # and keep going, so a passing database hiccup does not stop the log for good.
            logger.exception("ledger integration failed; retrying on the next commit")
            return _FAILED


_FAILED = object()


def build_integrator(
    settings: Settings, clock: Clock, sessions: sessionmaker[Session]
) -> Integrator:
    """The app's integrator, with the log key loaded (or created) and the commit hook set."""
    integrator = Integrator(
        sessions,
        load_log_signer(settings),
        clock,
        checkpoint_seconds=settings.log_checkpoint_seconds,
        witnesses=WitnessPolicy.from_settings(settings),
    )
    integrator.install_commit_hook()
    return integrator


def _forget_appended(session: Session) -> None:
    session.info.pop(APPENDED, None)


def tile_resource(session: Session, path: str) -> tuple[TileAddress, bytes]:
    """A tlog-tiles resource below ``tile/`` (hash tile or entry bundle) of the integrated tree."""
    address = parse_tile_path(path)
    size = tree_state(session).size
    if address.level is None:
        return address, read_entry_bundle(session, address, size)
    return address, read_tile(session, address, size)


def export_static(session: Session, directory: Path) -> PublishedCheckpoint:
    """Write the latest checkpoint and every tile and entry bundle it needs under ``directory``,
    laid out as tlog-tiles paths, for any static web server or object store to serve."""
    latest = latest_checkpoint(session)
    if latest is None:
        raise NotFound("the log has not signed a checkpoint yet: nothing to export")
    for address in tiles_for_size(latest.size):
        if address.level is None:
            data = read_entry_bundle(session, address, latest.size)
        else:
            data = read_tile(session, address, latest.size)
        target = directory / address.path()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    # Written last, so a mirror never points at tiles it does not have yet.
    (directory / "checkpoint").write_text(latest.served_note, encoding="utf-8")
    return latest
