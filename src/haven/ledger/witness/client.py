"""The log's side of C2SP tlog-witness: submit a signed checkpoint, collect cosignatures.

A witness is configured as ``"<cosignature vkey> <submission prefix URL>"``. On a 409 the witness
says which size it last cosigned; the client resends once from that size with a fresh consistency
proof. Cosignatures come back verified with the witness's key; unknown keys are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx

from haven.errors import HavenError
from haven.ledger.checkpoint import Checkpoint
from haven.ledger.cosignature import CosignatureVerifier
from haven.ledger.merkle import GetNode, consistency_proof
from haven.ledger.note import (
    MalformedNote,
    NoteSignature,
    UnverifiedNote,
    open_note,
    split_note,
)
from haven.ledger.witness.protocol import (
    SIZE_CONTENT_TYPE,
    BadWitnessRequest,
    build_request,
    parse_size,
)

ProveConsistency = Callable[[int, int], Sequence[bytes]]
"""``prove(old_size, new_size)``: the log's consistency proof between two of its sizes."""


def prover(get_node: GetNode) -> ProveConsistency:
    """A ``prove(old_size, new_size)`` over a tree's perfect nodes (storage or memory)."""

    def prove(old_size: int, new_size: int) -> Sequence[bytes]:
        return consistency_proof(old_size, new_size, get_node)

    return prove


class WitnessError(HavenError):
    """A witness refused the checkpoint, answered nonsense, or could not be reached."""

    status_code = 502
    code = "witness_error"


@dataclass(frozen=True)
class WitnessEndpoint:
    """A witness the log submits to: its submission prefix and cosignature key."""

    url: str
    verifier: CosignatureVerifier

    @classmethod
    def parse(cls, spec: str) -> WitnessEndpoint:
        """``"<vkey> <url>"`` (the form used in HAVEN_LOG_WITNESSES)."""
        vkey, _, url = spec.strip().partition(" ")
        url = url.strip()
        if not url.startswith(("http://", "https://")):
            raise MalformedNote("a witness is '<vkey> <http(s) URL>'", field="log_witnesses")
        return cls(url.rstrip("/"), CosignatureVerifier.from_vkey(vkey))


@dataclass(frozen=True)
class WitnessResult:
    """What one witness said: its recorded size afterwards and its verified cosignatures."""

    endpoint: WitnessEndpoint
    size: int
    cosignatures: tuple[NoteSignature, ...]


def submit_checkpoint(
    endpoint: WitnessEndpoint,
    checkpoint_note: str,
    old_size: int,
    prove: ProveConsistency,
    *,
    client: httpx.Client | None = None,
    timeout: float = 10.0,
) -> WitnessResult:
    """POST the checkpoint to ``endpoint/add-checkpoint`` from ``old_size`` (the size this
    witness is believed to hold; 0 when unknown), resending once on 409. Raises
    :class:`WitnessError` when no verified cosignature comes back."""
    text = split_note(checkpoint_note)[0]
    size = Checkpoint.parse(text).size
    own_client = client is None
    http = client or httpx.Client(timeout=timeout)
    try:
        for _ in range(2):
            response = _post(http, endpoint, checkpoint_note, old_size, size, prove)
            if response.status_code == 409 and _is_size_body(response):
                witness_size = _witness_size(response)
                if witness_size > size:
                    raise WitnessError(
                        f"witness {endpoint.url} has cosigned size {witness_size}, "
                        f"beyond this checkpoint's {size}"
                    )
                old_size = witness_size
                continue
            return _cosignatures(endpoint, text, size, response)
        raise WitnessError(f"witness {endpoint.url} kept answering 409")
    finally:
        if own_client:
            http.close()


def _post(
    http: httpx.Client,
    endpoint: WitnessEndpoint,
    checkpoint_note: str,
    old_size: int,
    size: int,
    prove: ProveConsistency,
) -> httpx.Response:
    proof = prove(old_size, size) if 0 < old_size < size else ()
    body = build_request(old_size, proof, checkpoint_note).body()
    try:
        return http.post(f"{endpoint.url}/add-checkpoint", content=body)
    except httpx.HTTPError as exc:
        raise WitnessError(f"witness {endpoint.url} is unreachable: {type(exc).__name__}") from None


def _is_size_body(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    return content_type.split(";")[0].strip() == SIZE_CONTENT_TYPE


def _witness_size(response: httpx.Response) -> int:
    try:
        return parse_size(response.text)
    except BadWitnessRequest as exc:
        raise WitnessError(f"witness sent a malformed 409 body: {exc.message}") from None


def _cosignatures(
    endpoint: WitnessEndpoint, text: str, size: int, response: httpx.Response
) -> WitnessResult:
    if response.status_code != 200:
        raise WitnessError(
            f"witness {endpoint.url} refused the checkpoint with HTTP {response.status_code}"
        )
    try:
        opened = open_note(text + "\n" + response.text, [endpoint.verifier])
    except (MalformedNote, UnverifiedNote) as exc:
        raise WitnessError(
            f"witness {endpoint.url} sent no valid cosignature: {exc.message}"
        ) from None
    return WitnessResult(endpoint, size, opened.verified)


def add_cosignatures(checkpoint_note: str, cosignatures: Sequence[NoteSignature]) -> str:
    """The checkpoint note with the cosignature lines added; a key's older line is replaced."""
    text, existing = split_note(checkpoint_note)
    newer = {(s.name, s.key_id) for s in cosignatures}
    kept = [s for s in existing if (s.name, s.key_id) not in newer]
    return text + "\n" + "".join(s.line() for s in [*kept, *cosignatures])


@dataclass(frozen=True)
class CosignedCheckpoint:
    """The checkpoint with every cosignature gathered, and which witnesses failed and why."""

    note: str
    results: tuple[WitnessResult, ...]
    failures: dict[str, str] = field(default_factory=dict)

    def meets(self, quorum: int) -> bool:
        """True when at least ``quorum`` distinct witnesses cosigned."""
        return len(self.results) >= quorum


def cosign_checkpoint(
    checkpoint_note: str,
    endpoints: Sequence[WitnessEndpoint],
    prove: ProveConsistency,
    known_sizes: dict[str, int] | None = None,
    *,
    client: httpx.Client | None = None,
) -> CosignedCheckpoint:
    """Submit to every witness in turn; a witness that fails is recorded, not fatal.

    ``known_sizes`` maps a witness URL to the size it last cosigned (the results carry the new
    sizes for the caller to keep), which saves a 409 round trip.
    """
    sizes = known_sizes or {}
    results: list[WitnessResult] = []
    failures: dict[str, str] = {}
    for endpoint in endpoints:
        try:
            result = submit_checkpoint(
                endpoint, checkpoint_note, sizes.get(endpoint.url, 0), prove, client=client
            )
        except WitnessError as exc:
            failures[endpoint.url] = exc.message
            continue
        results.append(result)
    cosignatures = [s for r in results for s in r.cosignatures]
    note = add_cosignatures(checkpoint_note, cosignatures) if cosignatures else checkpoint_note
    return CosignedCheckpoint(note, tuple(results), failures)
