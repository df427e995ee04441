"""The log key: created once under HAVEN_HOME (owner-only), or given by HAVEN_LOG_KEY."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from haven.config import Settings
from haven.ledger.keys import LogKeyError, load_log_signer, log_key_path
from haven.ledger.note import generate_signer


def test_first_start_creates_an_owner_only_key_that_later_starts_reuse(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", log_origin="haven.example/log")
    signer = load_log_signer(settings)
    path = log_key_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert signer.name == "haven.example/log"
    assert load_log_signer(settings).vkey == signer.vkey
    assert list(path.parent.iterdir()) == [path]  # no draft file left behind


def test_key_from_the_environment_is_used_and_no_file_is_written(tmp_path: Path) -> None:
    given = generate_signer("haven.example/log")
    settings = Settings(
        home=tmp_path / "home", log_origin="haven.example/log", log_key=SecretStr(given.skey)
    )
    assert load_log_signer(settings).vkey == given.vkey
    assert not log_key_path(settings).exists()


def test_a_key_named_for_another_origin_is_refused(tmp_path: Path) -> None:
    other = generate_signer("elsewhere.example/log")
    settings = Settings(
        home=tmp_path / "home", log_origin="haven.example/log", log_key=SecretStr(other.skey)
    )
    with pytest.raises(LogKeyError, match="origin"):
        load_log_signer(settings)


def test_a_malformed_key_is_refused_without_echoing_it(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", log_key=SecretStr("PRIVATE+KEY+oops"))
    with pytest.raises(LogKeyError, match="HAVEN_LOG_KEY") as caught:
        load_log_signer(settings)
    assert "oops" not in caught.value.message
