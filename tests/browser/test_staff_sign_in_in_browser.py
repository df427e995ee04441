"""Staff sign-in in a real Chromium against the production cookie settings: the Secure,
HttpOnly, SameSite=Strict __Host- cookie is kept on http://127.0.0.1 (a loopback address is a
secure context), the TOTP step works, and sign-out ends the session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from haven.access import service
from haven.access.models import Role
from haven.access.passwords import PasswordCost
from haven.access.second_factor import code_at
from haven.access.service import RoleGrant
from haven.access.sessions import SECURE_COOKIE
from haven.config import Settings
from haven.db import unit_of_work
from haven.vault.keys import load_keyring
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

PASSWORD = "a browser test password"


def test_an_admin_signs_in_with_a_code_and_signs_out(
    live_server: LiveServer,
    browser: Any,
    screenshots: Path,
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    keyring = load_keyring(Settings(home=tmp_path / "home"))
    with unit_of_work(sessions) as session:
        created = service.create_account(
            session,
            live_server.clock,
            keyring,
            PasswordCost(memory_kib=64, time_cost=1, parallelism=1),
            actor="system",
            username="ada",
            display_name="Ada Admin",
            password=PASSWORD,
            grants=[RoleGrant(Role.ADMIN)],
        )
    assert created.enrolment is not None
    context = browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-US")
    page = context.new_page()

    page.goto(live_server.url + "/staff/admin/accounts")
    assert page.url.endswith("/staff/sign-in?next=/staff/admin/accounts")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.screenshot(path=str(screenshots / "staff-01-sign-in.png"), full_page=True)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code from your authenticator app").fill(
        code_at(created.enrolment.secret, live_server.clock.now())
    )
    page.screenshot(path=str(screenshots / "staff-02-code.png"), full_page=True)
    page.get_by_role("button", name="Sign in").click()

    assert page.url.endswith("/staff/admin/accounts")
    assert page.get_by_role("heading", name="Staff accounts").is_visible()
    page.screenshot(path=str(screenshots / "staff-03-accounts.png"), full_page=True)
    [cookie] = [c for c in context.cookies() if c["name"] == SECURE_COOKIE]
    assert cookie["secure"]
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie").find(SECURE_COOKIE) == -1

    page.get_by_role("button", name="Sign out").click()
    assert page.get_by_text("You are signed out.").is_visible()
    page.goto(live_server.url + "/staff/")
    assert "/staff/sign-in?next=/staff/" in page.url
    context.close()
