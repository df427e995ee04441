"""`/transparency/policy`: the public copy of the policy in force, and nothing that changes it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.disclosure.policy import evaluate, governance
from haven.disclosure.policy.examples import COURT_ORDER
from haven.disclosure.policy.pack import bundled_files, pack_hash


def test_before_first_use_the_page_publishes_the_bundled_hash(app_client: TestClient) -> None:
    page = app_client.get("/transparency/policy")
    assert page.status_code == 200
    assert pack_hash(bundled_files()) in page.text
    assert "No version is in force yet" in page.text


def test_the_active_version_and_a_pending_one_are_public_with_text_and_hash(
    app_client: TestClient, sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    files = bundled_files()
    files["90_extra.cedar"] = (
        '@id("extra")\n@explanation("A rule under notice.")\n@source("Test")\n'
        "forbid (principal, action, resource) when { context.bulk };\n"
    )
    with unit_of_work(sessions) as session:
        evaluate(session, COURT_ORDER, now=clock.now())
        proposed = governance.propose_version(session, clock, files)
    page = app_client.get("/transparency/policy")
    assert page.status_code == 200
    assert "Version 1 (active)" in page.text
    assert pack_hash(bundled_files()) in page.text
    assert f"Version {proposed.id} (proposed)" in page.text
    assert proposed.sha256 in page.text
    assert "A rule under notice." in page.text
    one = app_client.get(f"/transparency/policy/{proposed.id}")
    assert one.status_code == 200
    assert proposed.sha256 in one.text


def test_an_unknown_version_is_a_404_page(app_client: TestClient) -> None:
    page = app_client.get("/transparency/policy/99")
    assert page.status_code == 404
    assert "We could not find what this address points to." in page.text


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/transparency/policy", "/transparency/policy/1"])
def test_the_policy_pages_change_nothing(app_client: TestClient, method: str, path: str) -> None:
    # The only way to change what the gateway allows is `haven policy`: no page, form or API.
    assert app_client.request(method, path).status_code == 405


def test_no_setting_changes_what_the_gateway_allows(settings: Settings) -> None:
    # The one policy setting only lengthens the notice period; it cannot shorten it below 30 days.
    policy_settings = [name for name in Settings.model_fields if "polic" in name]
    assert policy_settings == ["policy_notice_days"]
    with pytest.raises(ValidationError):
        Settings(policy_notice_days=0)
    with pytest.raises(ValidationError):
        Settings(policy_notice_days=29)
    assert Settings(policy_notice_days=60).policy_notice_days == 60
