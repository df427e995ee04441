"""messages, waitlist and walk-in queue: the outbox (confirmations, reminders, closure and
disclosure notices, waitlist offers), waitlist entries with their offers, queue tickets

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from haven.db import TZDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbound_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("due_at", TZDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TZDateTime(), nullable=False),
        sa.Column("leased_until", TZDateTime(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("sent_at", TZDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", TZDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person_records.id"],
            name=op.f("fk_outbound_messages_person_id_person_records"),
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_outbound_messages_office_id_offices")
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_outbound_messages_appointment_id_appointments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_messages")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbound_messages_idempotency_key")),
    )
    for column in ("person_id", "office_id", "next_attempt_at", "status"):
        op.create_index(
            op.f(f"ix_outbound_messages_{column}"), "outbound_messages", [column], unique=False
        )

    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", TZDateTime(), nullable=False),
        sa.Column("hold_id", sa.Integer(), nullable=True),
        sa.Column("offer_seed", sa.LargeBinary(), nullable=True),
        sa.Column("offer_expires_at", TZDateTime(), nullable=True),
        sa.Column("offers_made", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_waitlist_entries_office_id_offices")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_waitlist_entries_service_id_services")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person_records.id"],
            name=op.f("fk_waitlist_entries_person_id_person_records"),
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"],
            ["holds.id"],
            name=op.f("fk_waitlist_entries_hold_id_holds"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_waitlist_entries_appointment_id_appointments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
    )
    op.create_index(
        op.f("ix_waitlist_entries_office_id"), "waitlist_entries", ["office_id"], unique=False
    )
    op.create_index(
        op.f("ix_waitlist_entries_status"), "waitlist_entries", ["status"], unique=False
    )
    op.create_table(
        "queue_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("queued_at", TZDateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("called_at", TZDateTime(), nullable=True),
        sa.Column("counter", sa.String(length=40), nullable=True),
        sa.Column("finished_at", TZDateTime(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_queue_tickets_office_id_offices")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_queue_tickets_service_id_services")
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_queue_tickets_appointment_id_appointments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_tickets")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_queue_tickets_appointment_id")),
        sa.UniqueConstraint(
            "office_id", "day", "number", name=op.f("uq_queue_tickets_office_day_number")
        ),
        sa.UniqueConstraint("token_hash", name=op.f("uq_queue_tickets_token_hash")),
    )
    op.create_index(
        op.f("ix_queue_tickets_office_id"), "queue_tickets", ["office_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_queue_tickets_office_id"), table_name="queue_tickets")
    op.drop_table("queue_tickets")
    op.drop_index(op.f("ix_waitlist_entries_status"), table_name="waitlist_entries")
    op.drop_index(op.f("ix_waitlist_entries_office_id"), table_name="waitlist_entries")
    op.drop_table("waitlist_entries")
    for column in ("status", "next_attempt_at", "office_id", "person_id"):
        op.drop_index(op.f(f"ix_outbound_messages_{column}"), table_name="outbound_messages")
    op.drop_table("outbound_messages")
