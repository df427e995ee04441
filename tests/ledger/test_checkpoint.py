"""C2SP tlog-checkpoint bodies and their cosignatures (tlog-cosignature v1)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from haven.clock import ManualClock
from haven.ledger.checkpoint import Checkpoint, MalformedCheckpoint, open_checkpoint
from haven.ledger.cosignature import (
    CosignatureVerifier,
    Cosigner,
    cosignature_timestamp,
    cosigned_message,
    verifier_from_vkey,
)
from haven.ledger.note import (
    MalformedNote,
    UnverifiedNote,
    Verifier,
    generate_signer,
    open_note,
    split_note,
)

ROOT = base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
CLOCK_START = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def test_the_spec_example_round_trips() -> None:
    checkpoint = Checkpoint.parse(SPEC_BODY)
    assert checkpoint == Checkpoint("example.com/behind-the-sofa", 20852163, ROOT)
    assert checkpoint.text() == SPEC_BODY


def test_extension_lines_are_kept() -> None:
    body = SPEC_BODY + "ext one\next two\n"
    checkpoint = Checkpoint.parse(body)
    assert checkpoint.extensions == ("ext one", "ext two")
    assert checkpoint.text() == body


def test_the_empty_tree_has_size_zero() -> None:
    checkpoint = Checkpoint.parse(f"log.example\n0\n{base64.b64encode(bytes(32)).decode()}\n")
    assert checkpoint.size == 0


@pytest.mark.parametrize(
    "body",
    [
        "example.com/log\n20852163\n",  # no root line
        "example.com/log\n020852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "example.com/log\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "example.com/log\n+5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "example.com/log\n99999999999999999999\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",  # no padding
        "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx\n",  # 30 bytes
        "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",  # no final newline
        "\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",  # empty origin
        "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",  # empty extension
    ],
)
def test_malformed_bodies_are_rejected(body: str) -> None:
    with pytest.raises(MalformedNote):
        Checkpoint.parse(body)


def test_signed_checkpoint_opens_with_the_log_key_and_origin() -> None:
    log = generate_signer("haven.example/log")
    note = Checkpoint("haven.example/log", 3, ROOT).sign([log])
    opened = open_checkpoint(note, [log.verifier], origin="haven.example/log")
    assert opened.checkpoint.size == 3
    with pytest.raises(MalformedCheckpoint):
        open_checkpoint(note, [log.verifier], origin="other.example/log")
    with pytest.raises(UnverifiedNote):
        open_checkpoint(note, [generate_signer("haven.example/log").verifier])


def test_cosignature_verifies_and_carries_the_clock_time() -> None:
    clock = ManualClock(CLOCK_START)
    witness = Cosigner.generate("witness.example/w1", clock)
    log = generate_signer("haven.example/log")
    body = Checkpoint("haven.example/log", 7, ROOT).text()
    cosigned = Checkpoint.parse(body).sign([log, witness])
    opened = open_note(cosigned, [witness.verifier])
    assert [s.name for s in opened.verified] == ["witness.example/w1"]
    assert cosignature_timestamp(opened.verified[0].signature) == int(CLOCK_START.timestamp())


def test_cosignature_message_matches_the_spec_layout() -> None:
    assert cosigned_message(SPEC_BODY.encode(), 1679315147) == (
        b"cosignature/v1\ntime 1679315147\n" + SPEC_BODY.encode()
    )


def test_cosignature_is_not_an_ed25519_note_signature() -> None:
    # Same key, different type byte: the key IDs differ, and neither signature passes the other.
    clock = ManualClock(CLOCK_START)
    witness = Cosigner.generate("w.example", clock)
    as_note_key = Verifier("w.example", 0, witness.verifier.public_key)
    signature = witness.sign(SPEC_BODY.encode())
    assert not as_note_key.verify(SPEC_BODY.encode(), signature[8:])
    assert witness.verifier.verify(SPEC_BODY.encode(), signature)
    assert not witness.verifier.verify(SPEC_BODY.replace("3\n", "4\n").encode(), signature)
    tampered_time = (int.from_bytes(signature[:8], "big") + 1).to_bytes(8, "big") + signature[8:]
    assert not witness.verifier.verify(SPEC_BODY.encode(), tampered_time)


def test_cosigner_keys_round_trip_through_strings() -> None:
    clock = ManualClock(CLOCK_START)
    witness = Cosigner.generate("w.example", clock)
    assert Cosigner.from_skey(witness.skey, clock).vkey == witness.vkey
    parsed = verifier_from_vkey(witness.vkey)
    assert isinstance(parsed, CosignatureVerifier)
    assert parsed.key_id == witness.key_id
    assert isinstance(verifier_from_vkey(generate_signer("x").vkey), Verifier)
    with pytest.raises(MalformedNote):
        CosignatureVerifier.from_vkey(generate_signer("x").vkey)


def test_split_note_keeps_cosignature_lines_in_order() -> None:
    clock = ManualClock(CLOCK_START)
    log = generate_signer("haven.example/log")
    witnesses = [Cosigner.generate(f"w{i}.example", clock) for i in range(3)]
    note = Checkpoint("haven.example/log", 1, ROOT).sign([log, *witnesses])
    _, signatures = split_note(note)
    assert [s.name for s in signatures] == [
        "haven.example/log",
        "w0.example",
        "w1.example",
        "w2.example",
    ]
