"""The witness's one action, ``add_checkpoint``: verify a log's checkpoint and cosign it.

Checks in the order C2SP tlog-witness gives them, each with its own status: malformed body 400,
unknown origin 404, no trusted log signature 403, old size above the checkpoint size 400, old size
not the recorded size 409 (body: the recorded size), same size with another root 409, consistency
proof that does not verify 422.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from haven.clock import Clock
from haven.errors import Conflict, Forbidden, Invalid, NotFound
from haven.ledger.checkpoint import Checkpoint
from haven.ledger.cosignature import Cosigner
from haven.ledger.merkle import InvalidProof, verify_consistency
from haven.ledger.note import (
    MalformedNote,
    NoteSignature,
    NoteVerifier,
    UnverifiedNote,
    open_note,
    split_note,
)
from haven.ledger.witness.protocol import AddCheckpointRequest, BadWitnessRequest, parse_request
from haven.ledger.witness.state import WitnessedCheckpoint, WitnessState

logger = logging.getLogger(__name__)


class UnknownLog(NotFound):
    """The checkpoint's origin is not a log this witness follows (404)."""

    code = "unknown_log"


class CheckpointNotTrusted(Forbidden):
    """No signature on the checkpoint verifies with the log's trusted keys (403)."""

    code = "untrusted_checkpoint"


class OldSizeMismatch(Conflict):
    """The request's old size is not the size the witness last cosigned (409, size body)."""

    code = "old_size_mismatch"

    def __init__(self, latest_size: int) -> None:
        super().__init__(
            f"the witness last cosigned size {latest_size}; resend with that old size",
            field="old",
        )
        self.latest_size = latest_size


class RootMismatch(Conflict):
    """Same size as the recorded checkpoint but another root hash: a fork (409)."""

    code = "root_mismatch"


class InconsistentCheckpoint(Invalid):
    """The consistency proof does not verify (422)."""

    code = "inconsistent_checkpoint"


class Witness:
    """Cosigns checkpoints of the configured logs that extend what it saw before."""

    def __init__(
        self,
        cosigner: Cosigner,
        log_verifiers: Sequence[NoteVerifier],
        state: WitnessState,
        clock: Clock,
    ) -> None:
        self.cosigner = cosigner
        self.state = state
        self.clock = clock
        # A log is known by its origin, which its key name must match (tlog-checkpoint).
        self.logs: dict[str, list[NoteVerifier]] = {}
        for verifier in log_verifiers:
            self.logs.setdefault(verifier.name, []).append(verifier)

    def add_checkpoint(self, body: bytes) -> str:
        """Handle one add-checkpoint body; return the cosignature line(s)."""
        request = parse_request(body)
        checkpoint = _checkpoint_of(request)
        verifiers = self.logs.get(checkpoint.origin)
        if verifiers is None:
            raise UnknownLog("this witness does not follow that log origin", field="origin")
        try:
            open_note(request.checkpoint_note, verifiers)
        except UnverifiedNote:
            raise CheckpointNotTrusted(
                "no signature on the checkpoint verifies with the log's key"
            ) from None
        if request.old_size > checkpoint.size:
            raise BadWitnessRequest("old size is larger than the checkpoint size", field="old")
        with self.state.transaction() as tx:
            latest = tx.latest(checkpoint.origin)
            self._check_extends(latest, request, checkpoint)
            tx.record(
                WitnessedCheckpoint(
                    checkpoint.origin,
                    checkpoint.size,
                    checkpoint.root_hash,
                    request.checkpoint_note,
                    self.clock.now(),
                )
            )
        signature = self.cosigner.sign(checkpoint.text().encode())
        return NoteSignature(self.cosigner.name, self.cosigner.key_id, signature).line()

    def _check_extends(
        self,
        latest: WitnessedCheckpoint | None,
        request: AddCheckpointRequest,
        checkpoint: Checkpoint,
    ) -> None:
        latest_size = latest.size if latest else 0
        if request.old_size != latest_size:
            raise OldSizeMismatch(latest_size)
        proof = request.consistency_proof
        if latest is None or latest.size == 0:
            if proof:
                raise InconsistentCheckpoint("the proof must be empty when old size is 0")
            return
        if latest.size == checkpoint.size and latest.root_hash != checkpoint.root_hash:
            logger.warning("log %s signed two roots for size %d", checkpoint.origin, latest.size)
            raise RootMismatch("a different root was cosigned for this size", field="root_hash")
        try:
            verify_consistency(
                latest.size, checkpoint.size, latest.root_hash, checkpoint.root_hash, proof
            )
        except InvalidProof as exc:
            logger.warning(
                "log %s sent an inconsistent checkpoint %d -> %d",
                checkpoint.origin,
                latest.size,
                checkpoint.size,
            )
            raise InconsistentCheckpoint(exc.message, field="proof") from None


def _checkpoint_of(request: AddCheckpointRequest) -> Checkpoint:
    try:
        text, _ = split_note(request.checkpoint_note)
        return Checkpoint.parse(text)
    except MalformedNote as exc:
        raise BadWitnessRequest(f"checkpoint: {exc.message}", field="checkpoint") from None
