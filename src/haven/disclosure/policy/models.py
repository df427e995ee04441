"""The policy's tables: signed pack versions, injunctions counsel records, matching agreements.

A policy version is the pack's files (JSON, name → text) with their SHA-256; it moves
proposed → published (both signatures given, notice period running) → active → superseded,
and every move is a ledger entry (governance.py). No row here holds personal data.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from haven.db import Base, TZDateTime


class VersionStatus(StrEnum):
    PROPOSED = "proposed"
    PUBLISHED = "published"  # both officers signed; the notice period runs from publication
    ACTIVE = "active"
    SUPERSEDED = "superseded"


class SignerRole(StrEnum):
    PRIVACY_OFFICER = "privacy_officer"
    COUNSEL = "counsel"


_STATUS_LIST = ", ".join(f"'{status}'" for status in VersionStatus)
_SIGNER_LIST = ", ".join(f"'{role}'" for role in SignerRole)


class PolicyVersion(Base):
    __tablename__ = "policy_versions"
    __table_args__ = (CheckConstraint(f"status IN ({_STATUS_LIST})", name="known_status"),)

    # The version number: 1 is the pack bundled with the code, installed at first use.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # Not unique: an old text may be proposed again later, as a new version.
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # The pack's files as canonical JSON text ({"files": {name: text}}): what the hash covers.
    files_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    # Who proposed it, as the ledger names them ("system" for the bundled pack).
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[datetime] = mapped_column(TZDateTime)
    published_at: Mapped[datetime | None] = mapped_column(TZDateTime, default=None)
    notice_ends_at: Mapped[datetime | None] = mapped_column(TZDateTime, default=None)
    activated_at: Mapped[datetime | None] = mapped_column(TZDateTime, default=None)
    activated_by: Mapped[str | None] = mapped_column(String(64), default=None)
    superseded_at: Mapped[datetime | None] = mapped_column(TZDateTime, default=None)

    signatures: Mapped[list[PolicySignature]] = relationship(
        back_populates="version", order_by="PolicySignature.signed_at"
    )


class PolicySignature(Base):
    """One officer's signature on one version; each version needs a privacy officer's and
    counsel's, from two distinct accounts."""

    __tablename__ = "policy_signatures"
    __table_args__ = (
        CheckConstraint(f"role IN ({_SIGNER_LIST})", name="known_role"),
        UniqueConstraint("version_id", "role", name="uq_policy_signatures_version_role"),
        UniqueConstraint("version_id", "account_id", name="uq_policy_signatures_version_account"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id", ondelete="RESTRICT"))
    account_id: Mapped[int] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="RESTRICT"), index=True
    )
    role: Mapped[str] = mapped_column(String(32))
    signed_at: Mapped[datetime] = mapped_column(TZDateTime)
    # The hash the officer signed, so a signature can never be moved to other text.
    sha256: Mapped[str] = mapped_column(String(64))

    version: Mapped[PolicyVersion] = relationship(back_populates="signatures")


class Injunction(Base):
    """A court order barring a category of sharing; a matching request is denied while it is in
    force. Empty scope fields match everything."""

    __tablename__ = "policy_injunctions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    court: Mapped[str] = mapped_column(String(200))
    case_number: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(String(500))
    agency_category: Mapped[str | None] = mapped_column(String(32), default=None)
    purpose: Mapped[str | None] = mapped_column(String(32), default=None)
    legal_basis: Mapped[str | None] = mapped_column(String(32), default=None)
    # Data elements barred (a JSON list); empty means every element.
    data_elements: Mapped[list[str]] = mapped_column(JSON, default=list)
    effective_from: Mapped[datetime] = mapped_column(TZDateTime)
    effective_until: Mapped[datetime | None] = mapped_column(TZDateTime, default=None)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(TZDateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(TZDateTime, default=None)
    lifted_by: Mapped[str | None] = mapped_column(String(64), default=None)


class ComputerMatchingAgreement(Base):
    """A computer matching agreement (5 U.S.C. 552a(o)): parties, purpose, fields and dates, at
    most 18 months long. The only way bulk data can be shared."""

    __tablename__ = "policy_matching_agreements"
    __table_args__ = (CheckConstraint("ends_on > starts_on", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # The requesting agency's id in the agency registry (disclosure_agencies.id).
    agency_id: Mapped[int] = mapped_column(Integer, index=True)
    parties: Mapped[str] = mapped_column(String(500))
    purpose: Mapped[str] = mapped_column(String(32))
    purpose_text: Mapped[str] = mapped_column(String(1000))
    data_elements: Mapped[list[str]] = mapped_column(JSON)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(TZDateTime)
