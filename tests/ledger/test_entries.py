"""Entries: canonical JSON, declared kinds and fields only, subject tags that only a key links."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from haven.ledger.entries import (
    MAX_ENTRY_BYTES,
    EntryRefused,
    build_entry,
    declare_kind,
    parse_entry,
    subject_tag,
)
from tests.ledger.sample_kinds import SampleEvent

AT = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def test_entry_is_canonical_json_with_the_common_fields() -> None:
    data = build_entry(
        SampleEvent.BOOKING_MADE,
        actor="staff:7",
        time=AT,
        purpose="booking",
        refs=["appointment:1"],
        fields={"service": "benefits", "office": "nord"},
        nonce=bytes(16),
    )
    value = json.loads(data)
    assert data == json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    assert value == {
        "kind": "sample:booking:made",
        "time": "2026-11-30T15:00:00.000Z",
        "actor": "staff:7",
        "purpose": "booking",
        "refs": ["appointment:1"],
        "subject_tags": [],
        "nonce": "00" * 16,
        "office": "nord",
        "service": "benefits",
    }


def test_non_ascii_text_is_utf8_not_escaped() -> None:
    data = build_entry(
        SampleEvent.RECORD_READ, actor="system", time=AT, fields={"office": "Zürich"}
    )
    assert "Zürich".encode() in data


def test_time_is_stored_in_utc_whatever_zone_it_came_in() -> None:
    eastern = AT.astimezone(timezone(timedelta(hours=-5)))
    assert parse_entry(build_entry(SampleEvent.RECORD_READ, actor="a", time=eastern))["time"] == (
        "2026-11-30T15:00:00.000Z"
    )


def test_undeclared_field_is_refused_and_named() -> None:
    with pytest.raises(EntryRefused, match="'name' is not declared") as caught:
        build_entry(SampleEvent.BOOKING_MADE, actor="a", time=AT, fields={"name": "Ada"})
    assert caught.value.field == "name"
    assert caught.value.status_code == 422


def test_a_field_declared_for_another_kind_is_refused() -> None:
    with pytest.raises(EntryRefused, match="'count'"):
        build_entry(SampleEvent.BOOKING_MADE, actor="a", time=AT, fields={"count": 1})


def test_undeclared_kind_is_refused() -> None:
    with pytest.raises(EntryRefused, match="not declared") as caught:
        build_entry(SampleEvent.NEVER_DECLARED, actor="a", time=AT)
    assert caught.value.field == "kind"


@pytest.mark.parametrize("value", [1.5, b"raw", {1: "x"}, 2**60, object()])
def test_values_json_cannot_say_exactly_are_refused(value: object) -> None:
    with pytest.raises(EntryRefused) as caught:
        build_entry(SampleEvent.RECORD_READ, actor="a", time=AT, fields={"office": value})
    assert caught.value.field == "office"


def test_naive_time_is_refused() -> None:
    with pytest.raises(EntryRefused, match="aware"):
        build_entry(SampleEvent.RECORD_READ, actor="a", time=AT.replace(tzinfo=None))


def test_entries_over_the_bundle_limit_are_refused() -> None:
    small = build_entry(SampleEvent.RECORD_READ, actor="a", time=AT, fields={"office": ""})
    fits = "x" * (MAX_ENTRY_BYTES - len(small))
    data = build_entry(SampleEvent.RECORD_READ, actor="a", time=AT, fields={"office": fits})
    assert len(data) == MAX_ENTRY_BYTES
    with pytest.raises(EntryRefused, match="65535"):
        build_entry(SampleEvent.RECORD_READ, actor="a", time=AT, fields={"office": fits + "x"})


def test_kinds_must_be_shaped_domain_subject_action() -> None:
    from enum import StrEnum

    class Bad(StrEnum):
        FLAT = "booked"

    with pytest.raises(ValueError, match="domain:subject:action"):
        declare_kind(Bad.FLAT)


def test_redeclaring_a_kind_with_other_fields_is_an_error() -> None:
    declare_kind(SampleEvent.BOOKING_MADE, fields={"office", "service"})  # same: harmless
    with pytest.raises(ValueError, match="already declared"):
        declare_kind(SampleEvent.BOOKING_MADE, fields={"office"})


def test_common_fields_cannot_be_redeclared() -> None:
    from enum import StrEnum

    class Other(StrEnum):
        X = "sample:other:x"

    with pytest.raises(ValueError, match="common field"):
        declare_kind(Other.X, fields={"actor"})


def test_subject_tag_is_hmac_of_the_nonce_under_the_persons_key() -> None:
    key, nonce = b"k" * 32, b"n" * 16
    assert subject_tag(key, nonce) == hmac.new(key, nonce, hashlib.sha256).hexdigest()


def test_each_entry_has_a_fresh_nonce_so_one_persons_tags_do_not_repeat() -> None:
    key = b"person-tag-key-0123456789abcdef"
    first = parse_entry(
        build_entry(SampleEvent.RECORD_READ, actor="a", time=AT, subject_tag_keys=[key])
    )
    second = parse_entry(
        build_entry(SampleEvent.RECORD_READ, actor="a", time=AT, subject_tag_keys=[key])
    )
    assert first["nonce"] != second["nonce"]
    assert first["subject_tags"] != second["subject_tags"]
    # ...yet the person, holding the key, recognises both.
    for entry in (first, second):
        assert entry["subject_tags"] == [subject_tag(key, bytes.fromhex(entry["nonce"]))]
