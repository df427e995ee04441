"""What the accessibility browser tests share: axe-core (bundled with axe-playwright-python,
nothing downloaded) run against a page for WCAG 2.2 A and AA, and signing a member of staff in
through the real sign-in pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from sqlalchemy.orm import Session, sessionmaker

from haven.access import service
from haven.access.models import Role
from haven.access.passwords import PasswordCost
from haven.access.second_factor import code_at
from haven.access.service import RoleGrant
from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.vault.keys import load_keyring

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
STAFF_PASSWORD = "an accessibility test password"
_AXE = Axe()


def axe_violations(page: Any) -> list[str]:
    """Each WCAG A/AA violation axe finds on the page as it is now: rule, help, where."""
    results = _AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    found = []
    for violation in results.response["violations"]:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
        found.append(f"{violation['id']}: {violation['help']} at {targets[:3]}")
    return found


def create_staff(
    sessions: sessionmaker[Session], clock: ManualClock, home: Path, office_id: int
) -> str | None:
    """An account "ally" holding every role (clerk and manager of the office); its TOTP secret
    when the roles need a second factor."""
    keyring = load_keyring(Settings(home=home))
    grants = [RoleGrant(role) for role in Role if role not in (Role.CLERK, Role.MANAGER)]
    grants += [RoleGrant(Role.CLERK, office_id), RoleGrant(Role.MANAGER, office_id)]
    with unit_of_work(sessions) as session:
        created = service.create_account(
            session,
            clock,
            keyring,
            PasswordCost(memory_kib=64, time_cost=1, parallelism=1),
            actor="system",
            username="ally",
            display_name="Ally Everyrole",
            password=STAFF_PASSWORD,
            grants=grants,
        )
    return created.enrolment.secret if created.enrolment is not None else None


def sign_in(page: Any, base_url: str, clock: ManualClock, secret: str | None) -> None:
    page.goto(base_url + "/staff/sign-in")
    page.get_by_label("Username").fill("ally")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if secret is not None:
        page.get_by_label("Code from your authenticator app").fill(code_at(secret, clock.now()))
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/")
