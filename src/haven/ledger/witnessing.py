"""The log's side of witnessing: submit the latest signed checkpoint to each configured witness,
keep the cosignatures with the checkpoint, and remember each witness's size and health.

Network calls happen outside any database transaction: the checkpoint and the witnesses' sizes
are read in one short unit of work, the witnesses are asked with none open (each consistency
proof reads the tiles in its own short unit of work), and the answers are written in another.
A witness that is down is recorded and asked again on the next round; the log goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import Clock
from haven.db import unit_of_work
from haven.ledger.merkle import consistency_proof
from haven.ledger.models import PublishedCheckpoint, WitnessStatus
from haven.ledger.proof_bundle import count_witness_quorum
from haven.ledger.tiles import TileSet
from haven.ledger.witness.client import (
    CosignedCheckpoint,
    ProveConsistency,
    WitnessEndpoint,
    add_cosignatures,
    cosign_checkpoint,
)
from haven.ledger.witness.policy import WitnessPolicy

# A witness that does not answer within this long is recorded as down for this round.
WITNESS_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class WitnessRound:
    """One round of submissions: which checkpoint, who cosigned it, who failed and why."""

    checkpoint_id: int
    size: int
    cosigned: tuple[str, ...]
    failures: dict[str, str]


@dataclass(frozen=True)
class WitnessReport:
    """One configured witness as ``haven log witnesses`` shows it."""

    url: str
    name: str
    cosigned_size: int
    cosigned_latest: bool
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_error: str | None
    failures: int


def latest_checkpoint(session: Session) -> PublishedCheckpoint | None:
    """The newest signed checkpoint (``service`` re-exports this; it runs the witnesses)."""
    query = select(PublishedCheckpoint).order_by(PublishedCheckpoint.id.desc()).limit(1)
    return session.execute(query).scalar_one_or_none()


def stored_prover(sessions: sessionmaker[Session]) -> ProveConsistency:
    """``prove(old, new)`` reading the stored tiles in its own short unit of work per proof."""

    def prove(old_size: int, new_size: int) -> Sequence[bytes]:
        with unit_of_work(sessions) as session:
            return consistency_proof(old_size, new_size, TileSet(session).get_node)

    return prove


def cosign_latest(
    sessions: sessionmaker[Session],
    policy: WitnessPolicy,
    clock: Clock,
    *,
    client: httpx.Client | None = None,
) -> WitnessRound | None:
    """Submit the latest checkpoint to every witness that has not cosigned it yet; store the
    cosignatures with the checkpoint and each witness's outcome. None when nothing was due."""
    if not policy.endpoints:
        return None
    with unit_of_work(sessions) as session:
        latest = latest_checkpoint(session)
        if latest is None:
            return None
        statuses = _statuses(session, policy)
        due = [e for e in policy.endpoints if statuses[e.url].cosigned_checkpoint_id != latest.id]
        checkpoint_id, note = latest.id, latest.note
        known_sizes = {e.url: statuses[e.url].cosigned_size for e in due}
    if not due:
        return None
    own_client = client is None
    http = client or httpx.Client(timeout=WITNESS_TIMEOUT_SECONDS)
    try:
        cosigned = cosign_checkpoint(note, due, stored_prover(sessions), known_sizes, client=http)
    finally:
        if own_client:
            http.close()
    with unit_of_work(sessions) as session:
        return _record(session, checkpoint_id, cosigned, clock.now())


def _statuses(session: Session, policy: WitnessPolicy) -> dict[str, WitnessStatus]:
    """Each configured witness's row, created when new; a witness whose key changed starts over."""
    rows = {row.url: row for row in session.execute(select(WitnessStatus)).scalars()}
    for endpoint in policy.endpoints:
        row = rows.get(endpoint.url)
        if row is None or row.vkey != endpoint.verifier.vkey:
            if row is not None:
                session.delete(row)
                session.flush()
            row = WitnessStatus(
                url=endpoint.url, vkey=endpoint.verifier.vkey, cosigned_size=0, failures=0
            )
            session.add(row)
            rows[endpoint.url] = row
    session.flush()
    return rows


def _record(
    session: Session, checkpoint_id: int, cosigned: CosignedCheckpoint, now: datetime
) -> WitnessRound:
    checkpoint = session.get_one(PublishedCheckpoint, checkpoint_id)
    new_signatures = [s for result in cosigned.results for s in result.cosignatures]
    if new_signatures:
        checkpoint.cosigned_note = add_cosignatures(checkpoint.served_note, new_signatures)
    for result in cosigned.results:
        status = session.get_one(WitnessStatus, result.endpoint.url)
        status.cosigned_size = result.size
        status.cosigned_checkpoint_id = checkpoint_id
        status.last_success_at = now
        status.last_error = None
    for url, message in cosigned.failures.items():
        status = session.get_one(WitnessStatus, url)
        status.last_failure_at = now
        status.last_error = message
        status.failures += 1
    return WitnessRound(
        checkpoint_id,
        checkpoint.size,
        tuple(result.endpoint.url for result in cosigned.results),
        dict(cosigned.failures),
    )


def witness_reports(session: Session, policy: WitnessPolicy) -> list[WitnessReport]:
    """Every configured witness with what the log last heard from it."""
    latest = latest_checkpoint(session)
    rows = {row.url: row for row in session.execute(select(WitnessStatus)).scalars()}
    return [_report(endpoint, rows.get(endpoint.url), latest) for endpoint in policy.endpoints]


def _report(
    endpoint: WitnessEndpoint, row: WitnessStatus | None, latest: PublishedCheckpoint | None
) -> WitnessReport:
    name = endpoint.verifier.name
    if row is None or row.vkey != endpoint.verifier.vkey:
        return WitnessReport(endpoint.url, name, 0, False, None, None, None, 0)
    return WitnessReport(
        endpoint.url,
        name,
        row.cosigned_size,
        latest is not None and row.cosigned_checkpoint_id == latest.id,
        row.last_success_at,
        row.last_failure_at,
        row.last_error,
        row.failures,
    )


def latest_quorum(session: Session, policy: WitnessPolicy) -> tuple[int, bool]:
    """How many of the policy's witnesses cosigned the latest checkpoint, and whether that
    meets the quorum."""
    latest = latest_checkpoint(session)
    if latest is None:
        return 0, policy.quorum == 0
    count = cosigner_count(latest.served_note, policy)
    return count, count >= policy.quorum


def cosigner_count(note: str, policy: WitnessPolicy) -> int:
    """The number of the policy's witnesses with a valid cosignature on ``note``."""
    if not policy.endpoints:
        return 0
    return count_witness_quorum(note, policy.verifiers, 0)
