"""Staff accounts for tests, made through the real actions, and reading what the ledger says."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.access import service
from haven.access.models import Role
from haven.access.second_factor import Enrolment
from haven.access.service import RoleGrant
from haven.access.sessions import AccessPolicy
from haven.clock import Clock
from haven.db import unit_of_work
from haven.ledger.models import LogEntry
from haven.vault.keys import Keyring

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Staff:
    account_id: int
    username: str
    password: str
    enrolment: Enrolment | None

    @property
    def actor(self) -> str:
        return f"staff:{self.account_id}"


def add_staff(
    sessions: sessionmaker[Session],
    clock: Clock,
    keyring: Keyring,
    policy: AccessPolicy,
    username: str,
    *grants: RoleGrant,
    with_second_factor: bool = False,
) -> Staff:
    """Create and commit an account with these roles (the CLI's actor, "system")."""
    with unit_of_work(sessions) as session:
        created = service.create_account(
            session,
            clock,
            keyring,
            policy.password_cost,
            actor=service.SYSTEM_ACTOR,
            username=username,
            display_name=f"{username.title()} Staffer",
            password=PASSWORD,
            grants=grants,
            with_second_factor=with_second_factor,
        )
    return Staff(created.account_id, username, PASSWORD, created.enrolment)


def grant(role: Role, office_id: int | None = None) -> RoleGrant:
    return RoleGrant(role=role, office_id=office_id)


def ledger_entries(sessions: sessionmaker[Session], kind_prefix: str = "") -> list[dict[str, Any]]:
    """Every entry sequenced so far whose kind starts with the prefix, in order."""
    with unit_of_work(sessions) as session:
        rows = session.scalars(sa.select(LogEntry.data).order_by(LogEntry.index)).all()
    entries = [json.loads(data) for data in rows]
    return [entry for entry in entries if entry["kind"].startswith(kind_prefix)]
