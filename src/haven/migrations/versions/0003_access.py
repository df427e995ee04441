"""access: staff accounts, role assignments, sessions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from haven.db import TZDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("clerk", "manager", "privacy_officer", "counsel", "auditor", "admin")
OFFICE_ROLES = ("clerk", "manager")


def _sql_list(values: Sequence[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def upgrade() -> None:
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("totp_secret_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("totp_kek_id", sa.String(length=32), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", TZDateTime(), nullable=True),
        sa.Column("created_at", TZDateTime(), nullable=False),
        sa.Column("updated_at", TZDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_accounts")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_accounts_username")),
    )
    op.create_table(
        "staff_role_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            f"role IN ({_sql_list(ROLES)})",
            name=op.f("ck_staff_role_assignments_known_role"),
        ),
        sa.CheckConstraint(
            f"(role IN ({_sql_list(OFFICE_ROLES)})) = (office_id IS NOT NULL)",
            name=op.f("ck_staff_role_assignments_office_roles_name_an_office"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name=op.f("fk_staff_role_assignments_account_id_staff_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["offices.id"],
            name=op.f("fk_staff_role_assignments_office_id_offices"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_role_assignments")),
        sa.UniqueConstraint(
            "account_id", "role", "office_id", name=op.f("uq_staff_role_assignments_account_id")
        ),
    )
    op.create_index(
        op.f("ix_staff_role_assignments_account_id"),
        "staff_role_assignments",
        ["account_id"],
    )
    op.create_index(
        op.f("ix_staff_role_assignments_office_id"),
        "staff_role_assignments",
        ["office_id"],
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("second_factor_pending", sa.Boolean(), nullable=False),
        sa.Column("created_at", TZDateTime(), nullable=False),
        sa.Column("last_seen_at", TZDateTime(), nullable=False),
        sa.Column("expires_at", TZDateTime(), nullable=False),
        sa.Column("revoked_at", TZDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name=op.f("fk_staff_sessions_account_id_staff_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_sessions_token_hash")),
    )
    op.create_index(
        "ix_staff_sessions_account_open", "staff_sessions", ["account_id", "revoked_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_staff_sessions_account_open", table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_index(op.f("ix_staff_role_assignments_office_id"), table_name="staff_role_assignments")
    op.drop_index(op.f("ix_staff_role_assignments_account_id"), table_name="staff_role_assignments")
    op.drop_table("staff_role_assignments")
    op.drop_table("staff_accounts")
