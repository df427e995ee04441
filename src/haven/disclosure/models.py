"""The disclosure gateway's tables: agencies and their keys, requests and what they name,
documents, decisions, reviews, productions, the accounting of disclosures and notices.

Nothing here holds personal data in the clear. What an agency says about a person (name,
phone, email) is kept only as blind indexes plus a copy wrapped by the KEK; a production is
kept wrapped by the KEK; an accounting entry keeps its own sealed minimum (see accounting.py).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from haven.db import Base, TZDateTime
from haven.disclosure.policy.facts import (
    AgencyCategory,
    DataElement,
    DocumentKind,
    LegalBasis,
    OfficialLevel,
    PurposeCategory,
)

# The vocabulary is the policy pack's: one list of bases, purposes and elements for both sides.
__all__ = [
    "AgencyCategory",
    "DataElement",
    "DocumentKind",
    "LegalBasis",
    "OfficialLevel",
    "PurposeCategory",
]


class Channel(StrEnum):
    API = "api"
    PAPER = "paper"


class RequestStatus(StrEnum):
    """DESIGN.md §4: received → validated → policy-evaluated → in-review → approved | denied |
    narrowed → produced → noticed | notice-delayed → closed (plus rejected and routed)."""

    RECEIVED = "received"
    VALIDATED = "validated"
    REJECTED = "rejected"
    POLICY_EVALUATED = "policy-evaluated"
    ROUTED = "routed-to-central-office"
    IN_REVIEW = "in-review"
    APPROVED = "approved"
    NARROWED = "narrowed"
    DENIED = "denied"
    PRODUCED = "produced"
    NOTICED = "noticed"
    NOTICE_DELAYED = "notice-delayed"
    CLOSED = "closed"


class Verdict(StrEnum):
    APPROVE = "approve"
    NARROW = "narrow"
    DENY = "deny"


class NoticeStatus(StrEnum):
    QUEUED = "queued"
    DELAYED = "delayed"
    NOT_REQUIRED = "not_required"


class Agency(Base):
    __tablename__ = "disclosure_agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    category: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(500))
    contact: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(TZDateTime)

    keys: Mapped[list[AgencyKey]] = relationship(back_populates="agency", order_by="AgencyKey.id")


class AgencyKey(Base):
    """An agency's Ed25519 public key, valid from one instant until another (or revoked)."""

    __tablename__ = "disclosure_agency_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("disclosure_agencies.id"), index=True)
    key_id: Mapped[str] = mapped_column(String(100), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    valid_from: Mapped[datetime] = mapped_column(TZDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(TZDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(TZDateTime, default=None)

    agency: Mapped[Agency] = relationship(back_populates="keys")


class SignatureUse(Base):
    """A signature (and its nonce) seen once: the replay cache, shared by every process."""

    __tablename__ = "disclosure_signature_uses"
    __table_args__ = (UniqueConstraint("key_id", "nonce"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(100))
    signature_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str | None] = mapped_column(String(200), default=None)
    # Past this instant the signature is expired anyway, so the row may be pruned.
    expires_at: Mapped[datetime] = mapped_column(TZDateTime, index=True)


class DisclosureRequest(Base):
    __tablename__ = "disclosure_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("disclosure_agencies.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(40), index=True)
    # Who entered it: "agency:<id>" for the API, "staff:<id>" for paper intake.
    received_by: Mapped[str] = mapped_column(String(40))
    intake_account_id: Mapped[int | None] = mapped_column(Integer, default=None)
    official_name: Mapped[str] = mapped_column(String(200))
    official_title: Mapped[str] = mapped_column(String(200))
    official_level: Mapped[str] = mapped_column(String(40))
    legal_basis: Mapped[str] = mapped_column(String(40))
    # The routine use's notice citation, or the statute a "required by law" request cites.
    basis_citation: Mapped[str] = mapped_column(String(300), default="")
    purpose: Mapped[str] = mapped_column(String(40))
    # (b)(7): the records wanted and the law-enforcement activity, as the request words them.
    records_named: Mapped[str] = mapped_column(Text, default="")
    activity: Mapped[str] = mapped_column(Text, default="")
    crime_serious_or_violent: Mapped[bool] = mapped_column(Boolean, default=False)
    subject_indicted_or_convicted: Mapped[bool] = mapped_column(Boolean, default=False)
    imminent_harm: Mapped[str] = mapped_column(Text, default="")
    matching_agreement_id: Mapped[int | None] = mapped_column(Integer, default=None)
    office_id: Mapped[int | None] = mapped_column(Integer, default=None)
    # A bulk request names no individuals but a scope ("every appointment at office X ...").
    bulk_office_id: Mapped[int | None] = mapped_column(Integer, default=None)
    bulk_from: Mapped[datetime | None] = mapped_column(TZDateTime, default=None)
    bulk_until: Mapped[datetime | None] = mapped_column(TZDateTime, default=None)
    received_at: Mapped[datetime] = mapped_column(TZDateTime)
    due_at: Mapped[datetime] = mapped_column(TZDateTime)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime)

    individuals: Mapped[list[NamedIndividual]] = relationship(
        back_populates="request", order_by="NamedIndividual.position"
    )
    elements: Mapped[list[RequestedElement]] = relationship(order_by="RequestedElement.element")
    documents: Mapped[list[RequestDocument]] = relationship(order_by="RequestDocument.id")
    decisions: Mapped[list[PolicyDecision]] = relationship(order_by="PolicyDecision.id")
    reviews: Mapped[list[Review]] = relationship(order_by="Review.id")

    @property
    def element_names(self) -> list[str]:
        return [row.element for row in self.elements]


class NamedIndividual(Base):
    """One person a request names, as the agency identified them: blind indexes for matching
    and the identifiers themselves wrapped by the KEK (never in the clear)."""

    __tablename__ = "disclosure_named_individuals"
    __table_args__ = (UniqueConstraint("request_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("disclosure_requests.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    contact_index: Mapped[str] = mapped_column(String(64), default="")
    identifiers_wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    kek_id: Mapped[str] = mapped_column(String(32))
    identifier_count: Mapped[int] = mapped_column(Integer)
    # The one record matched by blind index, or None (no match, or more than one).
    matched_person_id: Mapped[int | None] = mapped_column(Integer, default=None)
    candidates: Mapped[int] = mapped_column(Integer, default=0)

    request: Mapped[DisclosureRequest] = relationship(back_populates="individuals")


class RequestedElement(Base):
    __tablename__ = "disclosure_requested_elements"
    __table_args__ = (UniqueConstraint("request_id", "element"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("disclosure_requests.id"), index=True)
    element: Mapped[str] = mapped_column(String(40))


class RequestDocument(Base):
    """The written request, warrant or order; only its SHA-256 and facts about it are kept
    in the clear, the scan itself wrapped by the KEK."""

    __tablename__ = "disclosure_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("disclosure_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100))
    signed_by: Mapped[str] = mapped_column(String(200), default="")
    signer_title: Mapped[str] = mapped_column(String(200), default="")
    issued_by: Mapped[str] = mapped_column(String(200), default="")
    content_wrapped: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    kek_id: Mapped[str] = mapped_column(String(32), default="")


class PolicyDecision(Base):
    __tablename__ = "disclosure_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("disclosure_requests.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(40))
    reasons_json: Mapped[str] = mapped_column(Text)
    allowed_elements_json: Mapped[str] = mapped_column(Text)
    allowed_individuals_json: Mapped[str] = mapped_column(Text)
    notice_due: Mapped[date | None] = mapped_column(Date, default=None)
    policy_version: Mapped[str] = mapped_column(String(64))
    policy_hash: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(TZDateTime)
    ledger_index: Mapped[int] = mapped_column(Integer)


class Review(Base):
    """One reviewer's signed verdict. One per role and one per person for each request."""

    __tablename__ = "disclosure_reviews"
    __table_args__ = (
        UniqueConstraint(
            "request_id", "reviewer_account_id", name="uq_disclosure_reviews_reviewer"
        ),
        UniqueConstraint("request_id", "role", name="uq_disclosure_reviews_role"),
        CheckConstraint("role IN ('privacy_officer', 'counsel')", name="reviewer_role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("disclosure_requests.id"), index=True)
    reviewer_account_id: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(32))
    verdict: Mapped[str] = mapped_column(String(10))
    elements_json: Mapped[str] = mapped_column(Text)
    # Individual positions kept (narrowing may drop people), as JSON.
    positions_json: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    signed_at: Mapped[datetime] = mapped_column(TZDateTime)
    ledger_index: Mapped[int] = mapped_column(Integer)


class Production(Base):
    """The signed JSON package, wrapped by the KEK; fetched only by the requesting agency."""

    __tablename__ = "disclosure_productions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("disclosure_requests.id"), unique=True)
    package_wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    kek_id: Mapped[str] = mapped_column(String(32))
    package_sha256: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(100))
    produced_at: Mapped[datetime] = mapped_column(TZDateTime)
    fetch_count: Mapped[int] = mapped_column(Integer, default=0)
    # How each person disclosed asked to be reached ({"<person id>": "sms" | "email"}), kept so
    # the notice step needs no second decryption.
    channels_json: Mapped[str] = mapped_column(Text, default="{}")


class AccountingEntry(Base):
    """One disclosure about one person; see haven.disclosure.accounting for the design."""

    __tablename__ = "disclosure_accounting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Plain id, no foreign key: the entry must outlive whatever happens to the record.
    person_id: Mapped[int] = mapped_column(Integer, index=True)
    contact_lookup: Mapped[str] = mapped_column(String(64), index=True)
    request_public_id: Mapped[str] = mapped_column(String(32), index=True)
    disclosed_at: Mapped[datetime] = mapped_column(TZDateTime)
    basis: Mapped[str] = mapped_column(String(40))
    hidden_from_person: Mapped[bool] = mapped_column(Boolean, default=False)
    # A written delayed-notice order: hidden from the person until this instant.
    delayed_until: Mapped[datetime | None] = mapped_column(TZDateTime, default=None)
    keep_until: Mapped[datetime] = mapped_column(TZDateTime, index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    kek_id: Mapped[str] = mapped_column(String(32))


class Notice(Base):
    """A notice owed to a person about a disclosure, queued for the channel they gave."""

    __tablename__ = "disclosure_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("disclosure_requests.id"), index=True)
    person_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    due_by: Mapped[datetime | None] = mapped_column(TZDateTime, default=None)
    delayed_until: Mapped[datetime | None] = mapped_column(TZDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
