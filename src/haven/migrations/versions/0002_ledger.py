"""ledger: entries, tiles, tree state, checkpoints

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from haven.db import TZDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SHA-256 of the empty string: the root of the empty tree (RFC 9162 §2.1.1).
EMPTY_ROOT = bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


# PostgreSQL: take the sequencer lock and insert at the next index in one round trip, since the
# lock is held until the caller commits and every round trip inside it caps the log's rate.
# Each statement of a VOLATILE function takes a fresh snapshot, so the INSERT sees the row the
# previous lock holder committed.
LEDGER_APPEND_FUNCTION = """
CREATE FUNCTION ledger_append(lock_key bigint, entry bytea) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    appended bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    INSERT INTO ledger_entries ("index", data)
        SELECT coalesce(max("index") + 1, 0), entry FROM ledger_entries
        RETURNING "index" INTO appended;
    RETURN appended;
END
$$
"""


def _ledger_index() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("index", _ledger_index(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("index", name=op.f("pk_ledger_entries")),
    )
    op.create_table(
        "ledger_tiles",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("index", _ledger_index(), autoincrement=False, nullable=False),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "index", name=op.f("pk_ledger_tiles")),
    )
    state = op.create_table(
        "ledger_tree_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_tree_state")),
    )
    op.bulk_insert(state, [{"id": 1, "size": 0, "root_hash": EMPTY_ROOT}])
    op.create_table(
        "ledger_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(), nullable=False),
        sa.Column("origin", sa.String(length=255), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signed_at", TZDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_checkpoints")),
    )
    with op.batch_alter_table("ledger_checkpoints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_checkpoints_size"), ["size"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(LEDGER_APPEND_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION ledger_append(bigint, bytea)")
    with op.batch_alter_table("ledger_checkpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_checkpoints_size"))
    op.drop_table("ledger_checkpoints")
    op.drop_table("ledger_tree_state")
    op.drop_table("ledger_tiles")
    op.drop_table("ledger_entries")
