"""Who is signed in: the principal a request acts as, and how a session token becomes one.

A principal carries the account id and, per role, the offices it holds that role in
(deployment-wide roles hold an empty set and `deployment_wide` says so). Nothing about the
principal is cached across requests: a role taken away or an account disabled counts on the
next request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.access.errors import OutOfScope, RoleRequired
from haven.access.models import (
    DEPLOYMENT_ROLES,
    OFFICE_ROLES,
    Role,
    RoleAssignment,
    StaffAccount,
    StaffSession,
    staff_actor,
)
from haven.access.sessions import TOUCH_EVERY, AccessPolicy, token_hash
from haven.clock import Clock


@dataclass(frozen=True)
class StaffPrincipal:
    """The signed-in member of staff: account id, session id and roles with their offices."""

    account_id: int
    session_id: int
    display_name: str
    offices_by_role: Mapping[Role, frozenset[int]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    @property
    def actor(self) -> str:
        """The ledger's name for this member of staff (``staff:<id>``)."""
        return staff_actor(self.account_id)

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(self.offices_by_role)

    def has_role(self, *roles: Role) -> bool:
        return any(role in self.offices_by_role for role in roles)

    def offices_for(self, *roles: Role) -> frozenset[int]:
        """The offices where this member of staff holds any of these (office) roles."""
        found: set[int] = set()
        for role in roles:
            found |= self.offices_by_role.get(role, frozenset())
        return frozenset(found)

    def may_act_in(self, office_id: int, *roles: Role) -> bool:
        """Whether one of these roles covers this office (deployment-wide roles cover all)."""
        for role in roles:
            if role not in self.offices_by_role:
                continue
            if role in DEPLOYMENT_ROLES or office_id in self.offices_by_role[role]:
                return True
        return False

    def require_role(self, *roles: Role) -> None:
        """RoleRequired (403) unless this member of staff has one of these roles."""
        if not self.has_role(*roles):
            raise RoleRequired("your account does not have a role that may do this")

    def require_office(self, office_id: int, *roles: Role) -> None:
        """RoleRequired or OutOfScope (403) unless one of these roles covers this office."""
        self.require_role(*roles)
        if not self.may_act_in(office_id, *roles):
            raise OutOfScope("this office is not one of yours", field="office")


def principal_for_token(
    session: Session, clock: Clock, policy: AccessPolicy, token: str
) -> StaffPrincipal | None:
    """The principal of a live, fully signed-in session with this token, or None.

    Refuses revoked, expired, idle and half-done (second factor pending) sessions and
    disabled accounts. Marks the session as seen (at most once a minute).
    """
    now = clock.now()
    row = session.execute(
        sa.select(StaffSession, StaffAccount)
        .join(StaffAccount, StaffAccount.id == StaffSession.account_id)
        .where(StaffSession.token_hash == token_hash(token), StaffSession.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    staff_session, account = row
    if (
        staff_session.second_factor_pending
        or account.disabled
        or now >= staff_session.expires_at
        or now - staff_session.last_seen_at >= policy.idle
    ):
        return None
    if now - staff_session.last_seen_at >= TOUCH_EVERY:
        staff_session.last_seen_at = now
    return StaffPrincipal(
        account_id=account.id,
        session_id=staff_session.id,
        display_name=account.display_name,
        offices_by_role=offices_by_role(session, account.id),
    )


def offices_by_role(session: Session, account_id: int) -> Mapping[Role, frozenset[int]]:
    """Each role the account holds, with the offices it holds it in (none if deployment-wide)."""
    rows = session.execute(
        sa.select(RoleAssignment.role, RoleAssignment.office_id).where(
            RoleAssignment.account_id == account_id
        )
    ).all()
    found: dict[Role, set[int]] = {}
    for role_name, office_id in rows:
        role = Role(role_name)
        offices = found.setdefault(role, set())
        if role in OFFICE_ROLES and office_id is not None:
            offices.add(office_id)
    return MappingProxyType({role: frozenset(offices) for role, offices in found.items()})
