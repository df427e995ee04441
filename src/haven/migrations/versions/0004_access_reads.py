"""access reads: the privacy officer's alerts, the per-day read tallies, per-service retention

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from haven.db import TZDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("services", sa.Column("retention_days", sa.Integer(), nullable=True))
    op.create_table(
        "privacy_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("staff_actor", sa.String(length=40), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("raised_at", TZDateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("ledger_index", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at", TZDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_privacy_alerts_office_id_offices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_alerts")),
    )
    op.create_index(
        op.f("ix_privacy_alerts_staff_actor"), "privacy_alerts", ["staff_actor"], unique=False
    )
    op.create_table(
        "staff_read_tallies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_actor", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_read_tallies")),
        sa.UniqueConstraint("staff_actor", "day", name=op.f("uq_staff_read_tallies_staff_actor")),
    )
    op.create_index(op.f("ix_staff_read_tallies_day"), "staff_read_tallies", ["day"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_read_tallies_day"), table_name="staff_read_tallies")
    op.drop_table("staff_read_tallies")
    op.drop_index(op.f("ix_privacy_alerts_staff_actor"), table_name="privacy_alerts")
    op.drop_table("privacy_alerts")
    with op.batch_alter_table("services") as batch:
        batch.drop_column("retention_days")
