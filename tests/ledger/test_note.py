"""C2SP signed-note: the published vectors, key strings and the format's rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from haven.ledger.note import (
    MalformedNote,
    Signer,
    UnverifiedNote,
    Verifier,
    generate_signer,
    key_id_for,
    open_note,
    sign_note,
)

SIGNER = generate_signer("property.example/log")
VECTORS = (Path(__file__).resolve().parents[1] / "vectors" / "signed-note.md").read_text()


def _vector(number: int) -> dict[str, str]:
    block = VECTORS.split(f"\n{number}.\n", 1)[1].split("\n\n", 1)[0]
    fields: dict[str, str] = {}
    for line in block.splitlines():
        key, _, value = line.strip().partition(": ")
        fields[key] = value
    text = fields["text"]
    fields["text"] = text[1:-1].replace("\\n", "\n")
    return fields


@pytest.mark.parametrize("number", [1, 2])
def test_published_notes_verify(number: int) -> None:
    vector = _vector(number)
    verifier = Verifier.from_vkey(vector["vkey"])
    note = vector["text"] + "\n" + vector["signature line"] + "\n"
    opened = open_note(note.encode(), [verifier])
    assert opened.text == vector["text"]
    assert [s.name for s in opened.verified] == [verifier.name]


def test_signature_one_is_reproduced_from_its_skey() -> None:
    vector = _vector(1)
    signer = Signer.from_skey(vector["skey"])
    assert signer.vkey == vector["vkey"]
    assert signer.skey == vector["skey"]
    assert (
        sign_note(vector["text"], [signer])
        == vector["text"] + "\n" + vector["signature line"] + "\n"
    )


def test_key_id_matches_the_vkey() -> None:
    vector = _vector(2)
    verifier = Verifier.from_vkey(vector["vkey"])
    assert f"{key_id_for(verifier.name, 1, verifier.public_key):08x}" == "530d903a"


def test_generated_signer_round_trips() -> None:
    signer = generate_signer("haven.example/log")
    again = Signer.from_skey(signer.skey)
    assert again.vkey == signer.vkey
    note = sign_note("hello\n\nworld\n", [signer])
    assert open_note(note, [Verifier.from_vkey(signer.vkey)]).text == "hello\n\nworld\n"
    assert "PRIVATE" not in repr(signer)


def test_unknown_signers_are_ignored_but_one_known_is_required() -> None:
    ours, theirs = generate_signer("ours.example"), generate_signer("theirs.example")
    # Same name as ours but another key: a different key ID, so it is an unknown key.
    impostor = generate_signer("ours.example")
    note = sign_note("text\n", [theirs, impostor, ours])
    opened = open_note(note, [ours.verifier])
    assert [s.name for s in opened.verified] == ["ours.example"]
    assert len(opened.signatures) == 3
    with pytest.raises(UnverifiedNote):
        open_note(sign_note("text\n", [theirs]), [ours.verifier])


def test_a_bad_signature_from_a_known_key_rejects_the_note() -> None:
    signer = generate_signer("log.example")
    note = sign_note("size 1\n", [signer])
    with pytest.raises(UnverifiedNote):
        open_note(note.replace("size 1", "size 2"), [signer.verifier])


@pytest.mark.parametrize(
    "note",
    [
        "no blank line\n\u2014 a AAAAAAA=\n",
        "text\n\n",  # no signature lines
        "text\n\n\u2014 a AAAAAAA=",  # no final newline
        "text\n\n- a AAAAAAA=\n",  # hyphen, not an em dash
        "text\n\n\u2014 a not*base64\n",
        "text\n\n\u2014 a AAAA\n",  # shorter than a key ID and one byte
        "text\n\n\u2014 a+b AAAAAAA=\n",  # plus in a key name
        "te\x07xt\n\n\u2014 a AAAAAAA=\n",  # control character
        "text\n\n\u2014 aAAAAAAA=\n",  # no space after the name
    ],
)
def test_malformed_notes_are_rejected(note: str) -> None:
    with pytest.raises(MalformedNote):
        open_note(note.encode(), [generate_signer("a").verifier])


def test_invalid_utf8_is_rejected() -> None:
    with pytest.raises(MalformedNote):
        open_note(b"\xff\xfe\n\n\xe2\x80\x94 a AAAAAAA=\n", [generate_signer("a").verifier])


@pytest.mark.parametrize("text", ["no newline", "bell\x07\n"])
def test_signing_refuses_bad_text(text: str) -> None:
    with pytest.raises(MalformedNote):
        sign_note(text, [generate_signer("a")])


@pytest.mark.parametrize(
    "vkey",
    [
        "name+zzzzzzzz+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # 7 digits
        "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # wrong ID
        "example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # wrong type
        "example.com/foo+530d903a",
    ],
)
def test_bad_vkeys_are_rejected(vkey: str) -> None:
    with pytest.raises(MalformedNote):
        Verifier.from_vkey(vkey)


def test_skey_needs_its_prefix() -> None:
    skey = generate_signer("a").skey
    with pytest.raises(MalformedNote):
        Signer.from_skey(re.sub("^PRIVATE[+]KEY[+]", "", skey))


def test_upper_case_key_ids_are_read_as_hex() -> None:
    vkey = "example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
    assert Verifier.from_vkey(vkey).vkey == vkey.replace("530D903A", "530d903a")


note_texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), min_codepoint=0x20) | st.just("\n"),
    max_size=200,
).map(lambda text: text + "\n")


@given(note_texts, st.data())
def test_any_text_round_trips_and_any_change_is_caught(text: str, data: st.DataObject) -> None:
    signer = SIGNER
    note = sign_note(text, [signer])
    assert open_note(note.encode(), [signer.verifier]).text == text
    position = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    replacement = "x" if text[position] != "x" else "y"
    changed = text[:position] + replacement + text[position + 1 :]
    with pytest.raises((UnverifiedNote, MalformedNote)):
        open_note(note.replace(text, changed, 1), [signer.verifier])
