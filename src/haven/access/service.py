"""Account actions: create, change roles, disable, enable, unlock, reset password or TOTP.

Each action writes its rows and its ledger entry in the caller's transaction and never commits.
``actor`` is who did it, as the ledger names them: ``staff:<id>`` for an admin in the browser,
``system`` for the `haven staff` command run on the server. Entries name the account changed
by id (refs ``staff:<id>``) and roles by office id; no username or display name goes in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.access import second_factor
from haven.access.errors import AccountNotFound, InvalidAccount, SelfChangeRefused, UsernameTaken
from haven.access.events import AccessEvent
from haven.access.models import (
    OFFICE_ROLES,
    SECOND_FACTOR_ROLES,
    Role,
    RoleAssignment,
    StaffAccount,
    StaffSession,
    staff_actor,
)
from haven.access.passwords import (
    PasswordCost,
    check_new_password,
    hash_password,
    verify_password,
)
from haven.access.second_factor import Enrolment
from haven.clock import Clock
from haven.ledger.store import append
from haven.scheduling.models import Office
from haven.vault.keys import Keyring

USERNAME_SHAPE = re.compile(r"[a-z0-9][a-z0-9._-]{1,62}[a-z0-9]")
MAX_DISPLAY_NAME = 200
SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class RoleGrant:
    """One role, in one office (clerk, manager) or deployment-wide (office_id None)."""

    role: Role
    office_id: int | None = None

    @property
    def key(self) -> str:
        """The grant as a form value: "role" or "role:office id"."""
        return f"{self.role}:{self.office_id}" if self.office_id is not None else str(self.role)

    def sort_key(self) -> tuple[str, int]:
        return (str(self.role), -1 if self.office_id is None else self.office_id)

    def as_entry(self) -> dict[str, Any]:
        return {"role": str(self.role), "office": self.office_id}


@dataclass(frozen=True)
class CreatedAccount:
    account_id: int
    # The TOTP secret to show once, when the account's roles need one (or it was asked for).
    enrolment: Enrolment | None


@dataclass(frozen=True)
class AccountSummary:
    """What the admin pages and `haven staff list` show: staff data, no personal data."""

    id: int
    username: str
    display_name: str
    disabled: bool
    locked: bool
    second_factor: bool
    grants: tuple[RoleGrant, ...]


def normalise_username(username: str) -> str:
    return username.strip().lower()


def create_account(
    session: Session,
    clock: Clock,
    keyring: Keyring,
    cost: PasswordCost,
    *,
    actor: str,
    username: str,
    display_name: str,
    password: str,
    grants: Iterable[RoleGrant],
    with_second_factor: bool = False,
) -> CreatedAccount:
    """Create a staff account with its roles; enrols TOTP when a role needs it."""
    name = _checked_username(username)
    shown_name = _checked_display_name(display_name)
    checked = _checked_grants(session, grants)
    if session.scalar(sa.select(StaffAccount.id).where(StaffAccount.username == name)):
        raise UsernameTaken()
    now = clock.now()
    account = StaffAccount(
        username=name,
        display_name=shown_name,
        password_hash=hash_password(cost, password),
        disabled=False,
        failed_attempts=0,
        created_at=now,
        updated_at=now,
    )
    account.role_assignments = [_assignment(grant) for grant in checked]
    enrolment = None
    if with_second_factor or _needs_second_factor(checked):
        enrolment = second_factor.enrol(account, keyring)
    session.add(account)
    session.flush()
    append(
        session,
        AccessEvent.CREATED,
        actor=actor,
        time=now,
        refs=[account.actor],
        roles=[grant.as_entry() for grant in checked],
        second_factor=enrolment is not None,
    )
    return CreatedAccount(account_id=account.id, enrolment=enrolment)


def set_roles(
    session: Session,
    clock: Clock,
    keyring: Keyring,
    *,
    actor: str,
    account_id: int,
    grants: Iterable[RoleGrant],
) -> Enrolment | None:
    """Replace the account's roles. A role that needs TOTP, given to an account without one,
    enrols it (returned, to show once) and ends its sessions, which never proved a code."""
    account = _account(session, account_id, for_update=True)
    _refuse_self(actor, account)
    checked = _checked_grants(session, grants)
    before = _grants_of(account)
    if before == checked:
        return None
    enrolment = None
    if _needs_second_factor(checked) and not second_factor.is_enrolled(account):
        enrolment = second_factor.enrol(account, keyring)
        _revoke_sessions(session, clock, account.id)
    # Old rows go before new ones are added: an unchanged grant is deleted and inserted
    # again, and the unique constraint must never see both at once.
    account.role_assignments.clear()
    session.flush()
    account.role_assignments.extend(_assignment(grant) for grant in checked)
    account.updated_at = clock.now()
    session.flush()
    append(
        session,
        AccessEvent.ROLES_CHANGED,
        actor=actor,
        time=clock.now(),
        refs=[account.actor],
        roles_before=[grant.as_entry() for grant in before],
        roles=[grant.as_entry() for grant in checked],
    )
    return enrolment


def disable_account(session: Session, clock: Clock, *, actor: str, account_id: int) -> int:
    """Disable the account and end all its sessions; returns how many were open."""
    account = _account(session, account_id, for_update=True)
    _refuse_self(actor, account)
    account.disabled = True
    account.updated_at = clock.now()
    revoked = _revoke_sessions(session, clock, account.id)
    _record(session, clock, AccessEvent.DISABLED, actor, account, sessions_revoked=revoked)
    return revoked


def enable_account(session: Session, clock: Clock, *, actor: str, account_id: int) -> None:
    account = _account(session, account_id, for_update=True)
    _refuse_self(actor, account)
    account.disabled = False
    account.updated_at = clock.now()
    _record(session, clock, AccessEvent.ENABLED, actor, account)


def unlock_account(session: Session, clock: Clock, *, actor: str, account_id: int) -> None:
    """Clear failed attempts and any wait, so the member of staff can sign in again now."""
    account = _account(session, account_id, for_update=True)
    account.failed_attempts = 0
    account.locked_until = None
    account.updated_at = clock.now()
    _record(session, clock, AccessEvent.UNLOCKED, actor, account)


def set_password(
    session: Session,
    clock: Clock,
    cost: PasswordCost,
    *,
    actor: str,
    account_id: int,
    password: str,
) -> int:
    """Give the account a new password and end its sessions; returns how many were open."""
    account = _account(session, account_id, for_update=True)
    account.password_hash = hash_password(cost, password)
    account.updated_at = clock.now()
    revoked = _revoke_sessions(session, clock, account.id)
    _record(session, clock, AccessEvent.PASSWORD_CHANGED, actor, account, sessions_revoked=revoked)
    return revoked


def change_own_password(
    session: Session,
    clock: Clock,
    cost: PasswordCost,
    *,
    account_id: int,
    current_password: str,
    new_password: str,
) -> int:
    """A member of staff changes their own password, proving the current one; every session
    of theirs ends (this one too), so a stolen session does not outlive the change."""
    account = _account(session, account_id, for_update=True)
    if not verify_password(cost, account.password_hash, current_password):
        raise InvalidAccount("the current password is not right", field="current_password")
    if current_password == new_password:
        raise InvalidAccount(
            "the new password must differ from the current one", field="new_password"
        )
    check_new_password(new_password, field="new_password")
    return set_password(
        session,
        clock,
        cost,
        actor=account.actor,
        account_id=account_id,
        password=new_password,
    )


def reset_second_factor(
    session: Session, clock: Clock, keyring: Keyring, *, actor: str, account_id: int
) -> Enrolment:
    """Give the account a new TOTP secret (a lost phone) and end its sessions."""
    account = _account(session, account_id, for_update=True)
    # A stolen session must not be able to swap its owner's second factor for its own.
    _refuse_self(actor, account)
    enrolment = second_factor.enrol(account, keyring)
    account.updated_at = clock.now()
    revoked = _revoke_sessions(session, clock, account.id)
    _record(
        session, clock, AccessEvent.SECOND_FACTOR_RESET, actor, account, sessions_revoked=revoked
    )
    return enrolment


def list_accounts(session: Session, clock: Clock) -> list[AccountSummary]:
    """Every staff account, by username, with its roles (two queries whatever the count)."""
    accounts = session.scalars(sa.select(StaffAccount).order_by(StaffAccount.username)).all()
    grants = _grants_by_account(session, [account.id for account in accounts])
    now = clock.now()
    return [_summary(account, grants.get(account.id, ()), now) for account in accounts]


def account_summary(session: Session, clock: Clock, account_id: int) -> AccountSummary:
    account = _account(session, account_id)
    return _summary(account, _grants_of(account), clock.now())


def account_id_by_username(session: Session, username: str) -> int:
    found = session.scalar(
        sa.select(StaffAccount.id).where(StaffAccount.username == normalise_username(username))
    )
    if found is None:
        raise AccountNotFound(by="username")
    return found


def revoke_sessions(session: Session, clock: Clock, account_id: int) -> int:
    """End every open session of the account; returns how many there were."""
    return _revoke_sessions(session, clock, account_id)


# --- checks and helpers ---------------------------------------------------------------------


def _checked_username(username: str) -> str:
    name = normalise_username(username)
    if not USERNAME_SHAPE.fullmatch(name):
        raise InvalidAccount(
            "a username is 3 to 64 letters, digits, dots, dashes or underscores, "
            "starting and ending with a letter or digit",
            field="username",
        )
    return name


def _checked_display_name(display_name: str) -> str:
    name = " ".join(display_name.split())
    if not name:
        raise InvalidAccount("the display name is required", field="display_name")
    if len(name) > MAX_DISPLAY_NAME:
        raise InvalidAccount(
            f"the display name may have at most {MAX_DISPLAY_NAME} characters",
            field="display_name",
        )
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise InvalidAccount("the display name has control characters", field="display_name")
    return name


def _checked_grants(session: Session, grants: Iterable[RoleGrant]) -> tuple[RoleGrant, ...]:
    checked = _sorted(set(grants))
    if not checked:
        raise InvalidAccount("give the account at least one role", field="roles")
    for grant in checked:
        if grant.role in OFFICE_ROLES and grant.office_id is None:
            raise InvalidAccount(f"the {grant.role} role needs an office", field="roles")
        if grant.role not in OFFICE_ROLES and grant.office_id is not None:
            raise InvalidAccount(
                f"the {grant.role} role covers every office; give it no office", field="roles"
            )
    office_ids = {grant.office_id for grant in checked if grant.office_id is not None}
    if office_ids:
        known = set(session.scalars(sa.select(Office.id).where(Office.id.in_(office_ids))))
        if office_ids - known:
            raise InvalidAccount("there is no office with this id", field="roles")
    return checked


def _sorted(grants: Iterable[RoleGrant]) -> tuple[RoleGrant, ...]:
    return tuple(sorted(grants, key=RoleGrant.sort_key))


def _needs_second_factor(grants: Sequence[RoleGrant]) -> bool:
    return any(grant.role in SECOND_FACTOR_ROLES for grant in grants)


def _assignment(grant: RoleGrant) -> RoleAssignment:
    return RoleAssignment(role=str(grant.role), office_id=grant.office_id)


def _grant(assignment: RoleAssignment) -> RoleGrant:
    return RoleGrant(role=Role(assignment.role), office_id=assignment.office_id)


def _grants_of(account: StaffAccount) -> tuple[RoleGrant, ...]:
    return _sorted(_grant(assignment) for assignment in account.role_assignments)


def _grants_by_account(
    session: Session, account_ids: Sequence[int]
) -> dict[int, tuple[RoleGrant, ...]]:
    if not account_ids:
        return {}
    found: dict[int, list[RoleGrant]] = {}
    for assignment in session.scalars(
        sa.select(RoleAssignment).where(RoleAssignment.account_id.in_(account_ids))
    ):
        found.setdefault(assignment.account_id, []).append(_grant(assignment))
    return {account_id: _sorted(grants) for account_id, grants in found.items()}


def _summary(account: StaffAccount, grants: Sequence[RoleGrant], now: datetime) -> AccountSummary:
    return AccountSummary(
        id=account.id,
        username=account.username,
        display_name=account.display_name,
        disabled=account.disabled,
        locked=account.locked_until is not None and account.locked_until > now,
        second_factor=second_factor.is_enrolled(account),
        grants=tuple(grants),
    )


def _account(session: Session, account_id: int, *, for_update: bool = False) -> StaffAccount:
    query = sa.select(StaffAccount).where(StaffAccount.id == account_id)
    if for_update:
        query = query.with_for_update()
    account = session.scalar(query)
    if account is None:
        raise AccountNotFound()
    return account


def _refuse_self(actor: str, account: StaffAccount) -> None:
    # An admin who could remove their own admin role or disable themselves could lock the
    # deployment out of its own administration; another admin (or the server's CLI) must.
    if actor == staff_actor(account.id):
        raise SelfChangeRefused(
            "another admin must change your own account's roles, status or sign-in code"
        )


def _revoke_sessions(session: Session, clock: Clock, account_id: int) -> int:
    result = session.execute(
        sa.update(StaffSession)
        .where(StaffSession.account_id == account_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _record(
    session: Session,
    clock: Clock,
    kind: AccessEvent,
    actor: str,
    account: StaffAccount,
    **fields: Any,
) -> None:
    append(session, kind, actor=actor, time=clock.now(), refs=[account.actor], **fields)
