"""Staff accounts, their role assignments and their sign-in sessions.

An account holds staff data only (a username and a display name), never anything about the
people the office serves. Roles are rows: one per (account, role, office). Clerks and managers
work for an office, so their rows name one; privacy officers, counsel, auditors and admins work
for the whole deployment, so theirs name none. The database itself refuses any other shape.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from haven.db import Base, TZDateTime


class Role(StrEnum):
    """What a member of staff does (DESIGN.md §5)."""

    CLERK = "clerk"
    MANAGER = "manager"
    PRIVACY_OFFICER = "privacy_officer"
    COUNSEL = "counsel"
    AUDITOR = "auditor"
    ADMIN = "admin"


# Roles that work for particular offices; every assignment of one names an office.
OFFICE_ROLES = frozenset({Role.CLERK, Role.MANAGER})
# Roles that work for the whole deployment; their assignments name no office.
DEPLOYMENT_ROLES = frozenset(Role) - OFFICE_ROLES
# Roles whose sign-in needs a TOTP code as well as the password.
SECOND_FACTOR_ROLES = frozenset({Role.PRIVACY_OFFICER, Role.COUNSEL, Role.AUDITOR, Role.ADMIN})

_OFFICE_ROLE_LIST = ", ".join(f"'{role}'" for role in sorted(OFFICE_ROLES))
_ROLE_LIST = ", ".join(f"'{role}'" for role in Role)


class StaffAccount(Base):
    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stored lower-case; sign-in compares lower-case, so "JDoe" and "jdoe" are one account.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    # The TOTP secret, wrapped by the vault's KEK (named by totp_kek_id so rotation can rewrap).
    totp_secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    totp_kek_id: Mapped[str | None] = mapped_column(String(32), default=None)
    # The last 30-second step a code was accepted for: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Consecutive failed sign-ins, and the instant before which no attempt is even checked.
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(TZDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime)

    role_assignments: Mapped[list[RoleAssignment]] = relationship(
        back_populates="account",
        cascade="all, delete-orphan",
        order_by="RoleAssignment.role, RoleAssignment.office_id",
    )

    @property
    def actor(self) -> str:
        """How the ledger names this account: by id, never by name."""
        return staff_actor(self.id)


def staff_actor(account_id: int) -> str:
    return f"staff:{account_id}"


class RoleAssignment(Base):
    """One role of one account, in one office (clerk, manager) or deployment-wide (the rest)."""

    __tablename__ = "staff_role_assignments"
    __table_args__ = (
        CheckConstraint(f"role IN ({_ROLE_LIST})", name="known_role"),
        CheckConstraint(
            f"(role IN ({_OFFICE_ROLE_LIST})) = (office_id IS NOT NULL)",
            name="office_roles_name_an_office",
        ),
        UniqueConstraint("account_id", "role", "office_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(32))
    office_id: Mapped[int | None] = mapped_column(
        ForeignKey("offices.id", ondelete="RESTRICT"), default=None, index=True
    )

    account: Mapped[StaffAccount] = relationship(back_populates="role_assignments")


class StaffSession(Base):
    """A signed-in browser. Only the token's SHA-256 is stored; the token lives in the cookie.

    A session whose second factor is pending proves only the password: it authenticates
    nothing, and verifying the code replaces it with a fresh session (a new token).
    """

    __tablename__ = "staff_sessions"
    __table_args__ = (Index("ix_staff_sessions_account_open", "account_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    second_factor_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(TZDateTime)
    expires_at: Mapped[datetime] = mapped_column(TZDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(TZDateTime, default=None)
