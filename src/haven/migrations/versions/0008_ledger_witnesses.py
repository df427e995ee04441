"""ledger: witness cosignatures on checkpoints, and each witness's status

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 14:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from haven.db import TZDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("ledger_checkpoints", sa.Column("cosigned_note", sa.Text(), nullable=True))
    op.create_table(
        "ledger_witnesses",
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("vkey", sa.String(1024), nullable=False),
        sa.Column("cosigned_size", sa.BigInteger(), nullable=False),
        sa.Column("cosigned_checkpoint_id", sa.Integer(), nullable=True),
        sa.Column("last_success_at", TZDateTime(), nullable=True),
        sa.Column("last_failure_at", TZDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_ledger_witnesses")),
    )


def downgrade() -> None:
    op.drop_table("ledger_witnesses")
    with op.batch_alter_table("ledger_checkpoints") as batch:
        batch.drop_column("cosigned_note")
