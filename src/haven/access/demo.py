"""Demo staff: one account per role with a known password, and their TOTP secrets to print.

For `haven demo` only: the passwords are written here on purpose, so anyone trying the demo can
sign in. Secrets are made at random on first seed and read back (the demo holds the KEK) on
later starts, so the printout is always right. Nothing here runs outside the demo command.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyotp
import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.access import service
from haven.access.models import OFFICE_ROLES, Role, StaffAccount
from haven.access.passwords import PasswordCost
from haven.access.second_factor import unwrapped_secret
from haven.access.service import SYSTEM_ACTOR, RoleGrant
from haven.clock import Clock
from haven.vault.keys import Keyring

DEMO_NAMES = {
    Role.CLERK: "Casey Clerk (demo)",
    Role.MANAGER: "Morgan Manager (demo)",
    Role.PRIVACY_OFFICER: "Priya Privacy (demo)",
    Role.COUNSEL: "Cole Counsel (demo)",
    Role.AUDITOR: "Avery Auditor (demo)",
    Role.ADMIN: "Alex Admin (demo)",
}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    password: str
    # Base32 TOTP secret, None for roles that sign in with a password alone.
    totp_secret: str | None

    @property
    def totp_uri(self) -> str | None:
        if self.totp_secret is None:
            return None
        return pyotp.TOTP(self.totp_secret).provisioning_uri(
            name=self.username, issuer_name="Haven"
        )


def demo_username(role: Role) -> str:
    return f"demo-{role}".replace("_", "-")


def demo_password(role: Role) -> str:
    return f"{demo_username(role)}-password"


def seed_demo_accounts(
    session: Session,
    clock: Clock,
    keyring: Keyring,
    cost: PasswordCost,
    *,
    office_ids: list[int],
) -> list[DemoAccount]:
    """Create the demo accounts that are missing (clerk and manager of every given office)."""
    accounts = []
    for role in Role:
        username = demo_username(role)
        existing = session.scalar(sa.select(StaffAccount).where(StaffAccount.username == username))
        if existing is None:
            if role in OFFICE_ROLES and not office_ids:
                continue
            grants = (
                [RoleGrant(role, office_id) for office_id in office_ids]
                if role in OFFICE_ROLES
                else [RoleGrant(role)]
            )
            service.create_account(
                session,
                clock,
                keyring,
                cost,
                actor=SYSTEM_ACTOR,
                username=username,
                display_name=DEMO_NAMES[role],
                password=demo_password(role),
                grants=grants,
            )
            existing = session.scalar(
                sa.select(StaffAccount).where(StaffAccount.username == username)
            )
        assert existing is not None
        secret = unwrapped_secret(existing, keyring)
        accounts.append(
            DemoAccount(username, role, demo_password(role), secret.decode() if secret else None)
        )
    return accounts


def describe_demo_accounts(accounts: list[DemoAccount]) -> str:
    """The lines `haven demo` prints: how to sign in as each role."""
    if not accounts:
        return "demo staff: none (no offices to work in)"
    lines = ["demo staff (sign in at /staff/sign-in):"]
    # Pad the passwords to one width so the TOTP secrets line up in a column.
    width = max(len(account.password) for account in accounts)
    for account in accounts:
        line = f"  {account.role:<16} {account.username:<22} password {account.password:<{width}}"
        if account.totp_secret is not None:
            line += f"  TOTP secret {account.totp_secret}"
        lines.append(line.rstrip())
    if any(account.totp_secret for account in accounts):
        lines.append(
            "  (add a TOTP secret to an authenticator app, or print the current code with: "
            "python -c \"import pyotp; print(pyotp.TOTP('SECRET').now())\")"
        )
    return "\n".join(lines)
