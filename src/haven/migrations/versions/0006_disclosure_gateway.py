"""disclosure gateway: agencies and keys, requests, documents, decisions, reviews,
productions, the accounting of disclosures, notices and the signature replay cache

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from haven.db import TZDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disclosure_accounting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("contact_lookup", sa.String(length=64), nullable=False),
        sa.Column("request_public_id", sa.String(length=32), nullable=False),
        sa.Column("disclosed_at", TZDateTime(), nullable=False),
        sa.Column("basis", sa.String(length=40), nullable=False),
        sa.Column("hidden_from_person", sa.Boolean(), nullable=False),
        sa.Column("delayed_until", TZDateTime(), nullable=True),
        sa.Column("keep_until", TZDateTime(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("kek_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_accounting")),
    )
    op.create_index(
        op.f("ix_disclosure_accounting_contact_lookup"),
        "disclosure_accounting",
        ["contact_lookup"],
        unique=False,
    )
    op.create_index(
        op.f("ix_disclosure_accounting_keep_until"),
        "disclosure_accounting",
        ["keep_until"],
        unique=False,
    )
    op.create_index(
        op.f("ix_disclosure_accounting_person_id"),
        "disclosure_accounting",
        ["person_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_disclosure_accounting_request_public_id"),
        "disclosure_accounting",
        ["request_public_id"],
        unique=False,
    )
    op.create_table(
        "disclosure_agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("contact", sa.String(length=300), nullable=False),
        sa.Column("created_at", TZDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_agencies")),
        sa.UniqueConstraint("name", name=op.f("uq_disclosure_agencies_name")),
    )
    op.create_table(
        "disclosure_signature_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=100), nullable=False),
        sa.Column("signature_sha256", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=200), nullable=True),
        sa.Column("expires_at", TZDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_signature_uses")),
        sa.UniqueConstraint("key_id", "nonce", name=op.f("uq_disclosure_signature_uses_key_id")),
        sa.UniqueConstraint(
            "signature_sha256", name=op.f("uq_disclosure_signature_uses_signature_sha256")
        ),
    )
    op.create_index(
        op.f("ix_disclosure_signature_uses_expires_at"),
        "disclosure_signature_uses",
        ["expires_at"],
        unique=False,
    )
    op.create_table(
        "disclosure_agency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=100), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("valid_from", TZDateTime(), nullable=False),
        sa.Column("valid_until", TZDateTime(), nullable=True),
        sa.Column("revoked_at", TZDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["disclosure_agencies.id"],
            name=op.f("fk_disclosure_agency_keys_agency_id_disclosure_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_agency_keys")),
        sa.UniqueConstraint("key_id", name=op.f("uq_disclosure_agency_keys_key_id")),
    )
    op.create_index(
        op.f("ix_disclosure_agency_keys_agency_id"),
        "disclosure_agency_keys",
        ["agency_id"],
        unique=False,
    )
    op.create_table(
        "disclosure_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("received_by", sa.String(length=40), nullable=False),
        sa.Column("intake_account_id", sa.Integer(), nullable=True),
        sa.Column("official_name", sa.String(length=200), nullable=False),
        sa.Column("official_title", sa.String(length=200), nullable=False),
        sa.Column("official_level", sa.String(length=40), nullable=False),
        sa.Column("legal_basis", sa.String(length=40), nullable=False),
        sa.Column("basis_citation", sa.String(length=300), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("records_named", sa.Text(), nullable=False),
        sa.Column("activity", sa.Text(), nullable=False),
        sa.Column("crime_serious_or_violent", sa.Boolean(), nullable=False),
        sa.Column("subject_indicted_or_convicted", sa.Boolean(), nullable=False),
        sa.Column("imminent_harm", sa.Text(), nullable=False),
        sa.Column("matching_agreement_id", sa.Integer(), nullable=True),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("bulk_office_id", sa.Integer(), nullable=True),
        sa.Column("bulk_from", TZDateTime(), nullable=True),
        sa.Column("bulk_until", TZDateTime(), nullable=True),
        sa.Column("received_at", TZDateTime(), nullable=False),
        sa.Column("due_at", TZDateTime(), nullable=False),
        sa.Column("updated_at", TZDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["disclosure_agencies.id"],
            name=op.f("fk_disclosure_requests_agency_id_disclosure_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_requests")),
        sa.UniqueConstraint("public_id", name=op.f("uq_disclosure_requests_public_id")),
    )
    op.create_index(
        op.f("ix_disclosure_requests_agency_id"), "disclosure_requests", ["agency_id"], unique=False
    )
    op.create_index(
        op.f("ix_disclosure_requests_status"), "disclosure_requests", ["status"], unique=False
    )
    op.create_table(
        "disclosure_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("reasons_json", sa.Text(), nullable=False),
        sa.Column("allowed_elements_json", sa.Text(), nullable=False),
        sa.Column("allowed_individuals_json", sa.Text(), nullable=False),
        sa.Column("notice_due", sa.Date(), nullable=True),
        sa.Column("policy_version", sa.String(length=64), nullable=False),
        sa.Column("policy_hash", sa.String(length=64), nullable=False),
        sa.Column("decided_at", TZDateTime(), nullable=False),
        sa.Column("ledger_index", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["disclosure_requests.id"],
            name=op.f("fk_disclosure_decisions_request_id_disclosure_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_decisions")),
    )
    op.create_index(
        op.f("ix_disclosure_decisions_request_id"),
        "disclosure_decisions",
        ["request_id"],
        unique=False,
    )
    op.create_table(
        "disclosure_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("signed_by", sa.String(length=200), nullable=False),
        sa.Column("signer_title", sa.String(length=200), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("content_wrapped", sa.LargeBinary(), nullable=True),
        sa.Column("kek_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["disclosure_requests.id"],
            name=op.f("fk_disclosure_documents_request_id_disclosure_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_documents")),
    )
    op.create_index(
        op.f("ix_disclosure_documents_request_id"),
        "disclosure_documents",
        ["request_id"],
        unique=False,
    )
    op.create_table(
        "disclosure_named_individuals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("contact_index", sa.String(length=64), nullable=False),
        sa.Column("identifiers_wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("kek_id", sa.String(length=32), nullable=False),
        sa.Column("identifier_count", sa.Integer(), nullable=False),
        sa.Column("matched_person_id", sa.Integer(), nullable=True),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["disclosure_requests.id"],
            name=op.f("fk_disclosure_named_individuals_request_id_disclosure_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_named_individuals")),
        sa.UniqueConstraint(
            "request_id", "position", name=op.f("uq_disclosure_named_individuals_request_id")
        ),
    )
    op.create_index(
        op.f("ix_disclosure_named_individuals_request_id"),
        "disclosure_named_individuals",
        ["request_id"],
        unique=False,
    )
    op.create_table(
        "disclosure_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_by", TZDateTime(), nullable=True),
        sa.Column("delayed_until", TZDateTime(), nullable=True),
        sa.Column("created_at", TZDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["disclosure_requests.id"],
            name=op.f("fk_disclosure_notices_request_id_disclosure_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_notices")),
    )
    op.create_index(
        op.f("ix_disclosure_notices_request_id"), "disclosure_notices", ["request_id"], unique=False
    )
    op.create_table(
        "disclosure_productions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("package_wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("kek_id", sa.String(length=32), nullable=False),
        sa.Column("package_sha256", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.String(length=100), nullable=False),
        sa.Column("produced_at", TZDateTime(), nullable=False),
        sa.Column("fetch_count", sa.Integer(), nullable=False),
        sa.Column("channels_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["disclosure_requests.id"],
            name=op.f("fk_disclosure_productions_request_id_disclosure_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_productions")),
        sa.UniqueConstraint("request_id", name=op.f("uq_disclosure_productions_request_id")),
    )
    op.create_table(
        "disclosure_requested_elements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("element", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["disclosure_requests.id"],
            name=op.f("fk_disclosure_requested_elements_request_id_disclosure_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_requested_elements")),
        sa.UniqueConstraint(
            "request_id", "element", name=op.f("uq_disclosure_requested_elements_request_id")
        ),
    )
    op.create_index(
        op.f("ix_disclosure_requested_elements_request_id"),
        "disclosure_requested_elements",
        ["request_id"],
        unique=False,
    )
    op.create_table(
        "disclosure_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_account_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("verdict", sa.String(length=10), nullable=False),
        sa.Column("elements_json", sa.Text(), nullable=False),
        sa.Column("positions_json", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signed_at", TZDateTime(), nullable=False),
        sa.Column("ledger_index", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "role IN ('privacy_officer', 'counsel')",
            name=op.f("ck_disclosure_reviews_reviewer_role"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["disclosure_requests.id"],
            name=op.f("fk_disclosure_reviews_request_id_disclosure_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_reviews")),
        sa.UniqueConstraint(
            "request_id", "reviewer_account_id", name="uq_disclosure_reviews_reviewer"
        ),
        sa.UniqueConstraint("request_id", "role", name="uq_disclosure_reviews_role"),
    )
    op.create_index(
        op.f("ix_disclosure_reviews_request_id"), "disclosure_reviews", ["request_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_disclosure_reviews_request_id"), table_name="disclosure_reviews")
    op.drop_table("disclosure_reviews")
    op.drop_index(
        op.f("ix_disclosure_requested_elements_request_id"),
        table_name="disclosure_requested_elements",
    )
    op.drop_table("disclosure_requested_elements")
    op.drop_table("disclosure_productions")
    op.drop_index(op.f("ix_disclosure_notices_request_id"), table_name="disclosure_notices")
    op.drop_table("disclosure_notices")
    op.drop_index(
        op.f("ix_disclosure_named_individuals_request_id"),
        table_name="disclosure_named_individuals",
    )
    op.drop_table("disclosure_named_individuals")
    op.drop_index(op.f("ix_disclosure_documents_request_id"), table_name="disclosure_documents")
    op.drop_table("disclosure_documents")
    op.drop_index(op.f("ix_disclosure_decisions_request_id"), table_name="disclosure_decisions")
    op.drop_table("disclosure_decisions")
    op.drop_index(op.f("ix_disclosure_requests_status"), table_name="disclosure_requests")
    op.drop_index(op.f("ix_disclosure_requests_agency_id"), table_name="disclosure_requests")
    op.drop_table("disclosure_requests")
    op.drop_index(op.f("ix_disclosure_agency_keys_agency_id"), table_name="disclosure_agency_keys")
    op.drop_table("disclosure_agency_keys")
    op.drop_index(
        op.f("ix_disclosure_signature_uses_expires_at"), table_name="disclosure_signature_uses"
    )
    op.drop_table("disclosure_signature_uses")
    op.drop_table("disclosure_agencies")
    op.drop_index(
        op.f("ix_disclosure_accounting_request_public_id"), table_name="disclosure_accounting"
    )
    op.drop_index(op.f("ix_disclosure_accounting_person_id"), table_name="disclosure_accounting")
    op.drop_index(op.f("ix_disclosure_accounting_keep_until"), table_name="disclosure_accounting")
    op.drop_index(
        op.f("ix_disclosure_accounting_contact_lookup"), table_name="disclosure_accounting"
    )
    op.drop_table("disclosure_accounting")
