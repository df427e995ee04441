"""C2SP tlog-proof receipts: build, print, parse and verify, with a witness quorum."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from haven.clock import ManualClock
from haven.ledger.checkpoint import Checkpoint
from haven.ledger.cosignature import Cosigner
from haven.ledger.memtree import MemoryTree, bench_entries
from haven.ledger.merkle import InvalidProof
from haven.ledger.note import MalformedNote, UnverifiedNote, generate_signer
from haven.ledger.proof_bundle import (
    HEADER,
    MalformedProof,
    TlogProof,
    build_receipt,
    parse_proof,
    verify_receipt,
)

ORIGIN = "haven.example/log"
CLOCK = ManualClock(datetime(2026, 11, 30, 15, 0, tzinfo=UTC))


def _log(size: int) -> tuple[MemoryTree, list[bytes]]:
    entries = bench_entries(size)
    tree = MemoryTree()
    tree.extend(entries)
    return tree, entries


def test_receipt_round_trips_and_verifies() -> None:
    tree, entries = _log(11)
    log = generate_signer(ORIGIN)
    note = Checkpoint(ORIGIN, tree.size, tree.root()).sign([log])
    receipt = build_receipt(6, note, tree.get_node, extra=b"context")
    text = receipt.text()
    assert text.startswith(f"{HEADER}\nextra Y29udGV4dA==\nindex 6\n")
    assert text.endswith(note)
    assert parse_proof(text) == receipt
    checkpoint = verify_receipt(text, entries[6], log.verifier)
    assert checkpoint.size == 11


def test_receipt_for_a_one_entry_log_has_no_proof_lines() -> None:
    tree, entries = _log(1)
    log = generate_signer(ORIGIN)
    note = Checkpoint(ORIGIN, 1, tree.root()).sign([log])
    text = build_receipt(0, note, tree.get_node).text()
    assert text == f"{HEADER}\nindex 0\n\n{note}"
    verify_receipt(text.encode(), entries[0], log.verifier)


def test_receipt_for_another_entry_or_key_fails() -> None:
    tree, entries = _log(9)
    log = generate_signer(ORIGIN)
    note = Checkpoint(ORIGIN, tree.size, tree.root()).sign([log])
    receipt = build_receipt(3, note, tree.get_node)
    with pytest.raises(InvalidProof):
        verify_receipt(receipt, entries[4], log.verifier)
    with pytest.raises(UnverifiedNote):
        verify_receipt(receipt, entries[3], generate_signer(ORIGIN).verifier)
    moved = TlogProof(4, receipt.inclusion_proof, receipt.checkpoint_note)
    with pytest.raises(InvalidProof):
        verify_receipt(moved, entries[3], log.verifier)


def test_witness_quorum_is_enforced() -> None:
    tree, entries = _log(5)
    log = generate_signer(ORIGIN)
    witnesses = [Cosigner.generate(f"w{i}.example", CLOCK) for i in range(3)]
    note = Checkpoint(ORIGIN, tree.size, tree.root()).sign([log, witnesses[0], witnesses[1]])
    receipt = build_receipt(2, note, tree.get_node)
    trusted = [w.verifier for w in witnesses]
    verify_receipt(receipt, entries[2], log.verifier, witnesses=trusted, quorum=2)
    with pytest.raises(UnverifiedNote):
        verify_receipt(receipt, entries[2], log.verifier, witnesses=trusted, quorum=3)
    with pytest.raises(UnverifiedNote):
        verify_receipt(receipt, entries[2], log.verifier, witnesses=trusted[2:], quorum=1)


@pytest.mark.parametrize(
    "text",
    [
        "c2sp.org/tlog-proof@v2\nindex 0\n\nx\n",
        "c2sp.org/tlog-proof@v1\nindex 01\n\nx\n",
        "c2sp.org/tlog-proof@v1\n\nx\n",
        "c2sp.org/tlog-proof@v1\nindex 0\nnot-base64!\n\nx\n",
        "c2sp.org/tlog-proof@v1\nindex 0\nAAAA\n\nx\n",  # not a 32-byte hash
        "c2sp.org/tlog-proof@v1\nindex 0\n",  # no checkpoint
        "c2sp.org/tlog-proof@v1\nextra !!\nindex 0\n\nx\n",
    ],
)
def test_malformed_receipts_are_rejected(text: str) -> None:
    with pytest.raises(MalformedNote):
        parse_proof(text)


def test_malformed_proof_is_a_note_error() -> None:
    assert issubclass(MalformedProof, MalformedNote)
