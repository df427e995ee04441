"""`haven policy ...` from the server's shell: every refusal is one line, exit code 2, and a
refused activation is itself a ledger entry."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from haven.access.sessions import AccessPolicy
from haven.cli.main import app as haven_cli
from haven.clock import ManualClock, SystemClock
from haven.config import Settings
from haven.disclosure.policy.pack import bundled_files, pack_hash
from haven.vault.keys import Keyring
from tests.access.support import ledger_entries
from tests.disclosure.policy.support import Officers, add_officers, code_for

ALLOW_EVERYTHING = (
    '@id("allow_everything")\n@explanation("Everything is allowed.")\n@source("none")\n'
    "permit (principal, action, resource);\n"
)


@pytest.fixture
def officers(
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> Officers:
    monkeypatch.setenv("HAVEN_HOME", str(settings.home))
    monkeypatch.setenv("HAVEN_DATABASE_URL", settings.resolved_database_url())
    return add_officers(sessions, clock, keyring, policy)


def haven(*args: str) -> Result:
    return CliRunner().invoke(haven_cli, list(args))


def allow_everything_pack(directory: Path) -> Path:
    directory.mkdir()
    (directory / "schema.cedarschema").write_text(bundled_files()["schema.cedarschema"])
    (directory / "10_allow.cedar").write_text(ALLOW_EVERYTHING)
    return directory


def test_propose_sign_and_a_refused_activation_all_land_in_the_ledger(
    officers: Officers, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    shown = haven("policy", "show")
    assert shown.exit_code == 0, shown.output
    assert "version 1 (active)" in shown.stdout
    assert pack_hash(bundled_files()) in shown.stdout

    proposed = haven("policy", "propose", str(allow_everything_pack(tmp_path / "off")))
    assert proposed.exit_code == 0, proposed.output
    assert proposed.stdout.startswith("proposed version 2 sha256 ")

    early = haven("policy", "activate", "2")
    assert early.exit_code == 2
    assert "needs signatures from a privacy officer and counsel" in early.stderr
    [refusal] = ledger_entries(sessions, "disclosure:policy:activation_refused")
    assert refusal["version"] == 2
    assert "needs signatures" in refusal["reason"]

    now = SystemClock().now()
    first = haven(
        "policy", "sign", "2", "--as", "priya", "--code", code_for(officers.privacy_officer, now)
    )
    assert first.exit_code == 0, first.output
    assert "signed as privacy_officer" in first.stdout
    counsel_code = code_for(officers.counsel, now)
    second = haven("policy", "sign", "2", "--as", "carlos", "--code", counsel_code)
    assert second.exit_code == 0, second.output
    assert "published; it may take effect from" in second.stdout

    during_notice = haven("policy", "activate", "2")
    assert during_notice.exit_code == 2
    assert "notice period runs until" in during_notice.stderr
    kinds = [entry["kind"] for entry in ledger_entries(sessions, "disclosure:policy:")]
    assert kinds == [
        "disclosure:policy:installed",
        "disclosure:policy:proposed",
        "disclosure:policy:activation_refused",
        "disclosure:policy:signed",
        "disclosure:policy:signed",
        "disclosure:policy:published",
        "disclosure:policy:activation_refused",
    ]
    still = haven("policy", "show")
    assert "version 1 (active)" in still.stdout
    assert "v2 published" in still.stdout

    diff = haven("policy", "diff", "1", "2")
    assert diff.exit_code == 0
    assert "+++ v2/10_allow.cedar" in diff.stdout


def test_refusals_are_one_line_and_exit_2(officers: Officers, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "10_allow.cedar").write_text(ALLOW_EVERYTHING)
    proposed = haven("policy", "propose", str(bad))
    assert proposed.exit_code == 2
    assert proposed.stderr.strip() == (
        "policy propose: a pack has exactly one .cedarschema file (files)"
    )
    unknown = haven("policy", "sign", "7", "--as", "priya", "--code", "123456")
    assert unknown.exit_code == 2
    assert "Policy version 7 does not exist" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1


def test_only_counsel_keeps_the_injunction_registry(officers: Officers) -> None:
    arguments = [
        "policy", "injunction", "add", "--court", "U.S. District Court", "--case", "1:26-cv-7",
        "--summary", "No civil immigration sharing", "--from", "2026-11-01T00:00:00",
        "--agency-category", "immigration_enforcement",
    ]  # fmt: skip
    refused = haven(*arguments, "--as", "priya")
    assert refused.exit_code == 2
    assert "only counsel" in refused.stderr
    recorded = haven(*arguments, "--as", "carlos")
    assert recorded.exit_code == 0, recorded.output
    assert recorded.stdout.strip() == "injunction 1 recorded"
    listed = haven("policy", "injunction", "list")
    assert "1:26-cv-7" in listed.stdout
    lifted = haven("policy", "injunction", "lift", "1", "--as", "carlos")
    assert lifted.exit_code == 0
    assert "lifted" in haven("policy", "injunction", "list").stdout


def test_show_bundled_prints_the_hash_anyone_can_recompute() -> None:
    shown = haven("policy", "show", "--bundled")
    assert shown.exit_code == 0
    assert shown.stdout.strip() == f"bundled sha256 {pack_hash(bundled_files())}"


def test_db_upgrade_installs_the_bundled_pack_once(
    settings: Settings, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HAVEN_HOME", str(settings.home))
    monkeypatch.setenv("HAVEN_DATABASE_URL", settings.resolved_database_url())
    first = haven("db", "upgrade")
    assert first.exit_code == 0, first.output
    assert f"version 1 installed, sha256 {pack_hash(bundled_files())}" in first.stdout
    again = haven("db", "upgrade")
    assert again.exit_code == 0
    assert "installed" not in again.stdout
    [installed] = ledger_entries(sessions, "disclosure:policy:")
    assert installed["kind"] == "disclosure:policy:installed"


def test_counsel_records_a_matching_agreement_of_at_most_18_months(officers: Officers) -> None:
    arguments = [
        "policy", "agreement", "add", "--title", "Benefit eligibility match", "--agency", "7",
        "--parties", "Haven; State benefits agency", "--purpose", "benefit_fraud",
        "--purpose-text", "Detect duplicate claims", "--element", "identity",
        "--starts", "2027-01-01",
    ]  # fmt: skip
    too_long = haven(*arguments, "--ends", "2028-08-01", "--as", "carlos")
    assert too_long.exit_code == 2
    assert too_long.stderr.strip() == (
        "policy agreement add: a matching agreement runs at most 18 months (ends_on)"
    )
    recorded = haven(*arguments, "--ends", "2028-07-01", "--as", "carlos")
    assert recorded.exit_code == 0, recorded.output
    assert recorded.stdout.strip() == "matching agreement 1 recorded"


def test_a_shown_version_proposes_to_the_same_hash(officers: Officers, tmp_path: Path) -> None:
    exported = haven("policy", "show", "1", "--json")
    assert exported.exit_code == 0
    bundle = tmp_path / "v1.json"
    bundle.write_text(exported.stdout)
    again = haven("policy", "propose", str(bundle))
    assert again.exit_code == 2
    assert "this pack is already version 1" in again.stderr
