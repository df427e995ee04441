"""disclosure policy: signed pack versions, injunctions, computer matching agreements

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from haven.db import TZDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("proposed", "published", "active", "superseded")
SIGNER_ROLES = ("privacy_officer", "counsel")


def _sql_list(values: Sequence[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def upgrade() -> None:
    op.create_table(
        "policy_versions",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("files_json", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.String(length=64), nullable=False),
        sa.Column("proposed_at", TZDateTime(), nullable=False),
        sa.Column("published_at", TZDateTime(), nullable=True),
        sa.Column("notice_ends_at", TZDateTime(), nullable=True),
        sa.Column("activated_at", TZDateTime(), nullable=True),
        sa.Column("activated_by", sa.String(length=64), nullable=True),
        sa.Column("superseded_at", TZDateTime(), nullable=True),
        sa.CheckConstraint(
            f"status IN ({_sql_list(STATUSES)})", name=op.f("ck_policy_versions_known_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_versions")),
    )
    op.create_index(op.f("ix_policy_versions_sha256"), "policy_versions", ["sha256"])
    op.create_table(
        "policy_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("signed_at", TZDateTime(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            f"role IN ({_sql_list(SIGNER_ROLES)})", name=op.f("ck_policy_signatures_known_role")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name=op.f("fk_policy_signatures_account_id_staff_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["policy_versions.id"],
            name=op.f("fk_policy_signatures_version_id_policy_versions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_signatures")),
        sa.UniqueConstraint(
            "version_id", "account_id", name=op.f("uq_policy_signatures_version_account")
        ),
        sa.UniqueConstraint("version_id", "role", name=op.f("uq_policy_signatures_version_role")),
    )
    op.create_index(op.f("ix_policy_signatures_account_id"), "policy_signatures", ["account_id"])
    op.create_table(
        "policy_injunctions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("court", sa.String(length=200), nullable=False),
        sa.Column("case_number", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("agency_category", sa.String(length=32), nullable=True),
        sa.Column("purpose", sa.String(length=32), nullable=True),
        sa.Column("legal_basis", sa.String(length=32), nullable=True),
        sa.Column("data_elements", sa.JSON(), nullable=False),
        sa.Column("effective_from", TZDateTime(), nullable=False),
        sa.Column("effective_until", TZDateTime(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", TZDateTime(), nullable=False),
        sa.Column("lifted_at", TZDateTime(), nullable=True),
        sa.Column("lifted_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_injunctions")),
    )
    op.create_table(
        "policy_matching_agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("parties", sa.String(length=500), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("purpose_text", sa.String(length=1000), nullable=False),
        sa.Column("data_elements", sa.JSON(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", TZDateTime(), nullable=False),
        sa.CheckConstraint(
            "ends_on > starts_on", name=op.f("ck_policy_matching_agreements_ends_after_start")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_matching_agreements")),
    )
    op.create_index(
        op.f("ix_policy_matching_agreements_agency_id"),
        "policy_matching_agreements",
        ["agency_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_policy_matching_agreements_agency_id"), table_name="policy_matching_agreements"
    )
    op.drop_table("policy_matching_agreements")
    op.drop_table("policy_injunctions")
    op.drop_index(op.f("ix_policy_signatures_account_id"), table_name="policy_signatures")
    op.drop_table("policy_signatures")
    op.drop_index(op.f("ix_policy_versions_sha256"), table_name="policy_versions")
    op.drop_table("policy_versions")
