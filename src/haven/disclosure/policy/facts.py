"""What the policy pack decides on: a request's facts in, a decision out (the gateway's contract).

Intake (``haven.disclosure``) turns a received request into ``RequestFacts`` — only what the rules
need, and never personal data: individuals appear as opaque references with the number of vault
records their identifiers matched. ``haven.disclosure.policy.evaluate`` returns a ``Decision``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class AgencyCategory(StrEnum):
    """What kind of agency is asking (the agency registry's category)."""

    FEDERAL_LAW_ENFORCEMENT = "federal_law_enforcement"
    IMMIGRATION_ENFORCEMENT = "immigration_enforcement"
    TAX = "tax"
    BENEFITS_PROGRAM = "benefits_program"
    COURT = "court"
    HEALTH = "health"
    OTHER = "other"


class LegalBasis(StrEnum):
    """The basis the request claims (5 U.S.C. 552a(b); 20 CFR 401.100-401.180)."""

    CONSENT = "consent"  # written consent of the person, 552a(b); 20 CFR 401.100
    ROUTINE_USE = "routine_use"  # (b)(3), published in a system-of-records notice
    LAW_ENFORCEMENT = "law_enforcement"  # (b)(7), written request of an agency head
    HEALTH_SAFETY_EMERGENCY = "health_safety_emergency"  # (b)(8)
    COURT_ORDER = "court_order"  # (b)(11), an order signed by a judge
    REQUIRED_BY_LAW = "required_by_law"  # a statute such as 8 U.S.C. 1360(b); 20 CFR 401.120
    COMPUTER_MATCHING = "computer_matching"  # 552a(o), a computer matching agreement


class PurposeCategory(StrEnum):
    """What the requesting agency says it will use the data for."""

    CRIMINAL = "criminal"
    CIVIL_IMMIGRATION = "civil_immigration"
    TAX = "tax"
    BENEFIT_FRAUD = "benefit_fraud"
    HEALTH_SAFETY = "health_safety"
    OTHER = "other"


class DocumentKind(StrEnum):
    """The document the request rests on, as intake verified it."""

    NONE = "none"  # asked orally or without a document
    WRITTEN_REQUEST = "written_request"  # letter or signed API request
    CONSENT_FORM = "consent_form"  # the person's signed written consent
    SUBPOENA = "subpoena"  # issued by a clerk or attorney: NOT a court order
    COURT_ORDER = "court_order"
    JUDICIAL_WARRANT = "judicial_warrant"  # a warrant signed by a judge
    ADMINISTRATIVE_WARRANT = "administrative_warrant"  # signed by an agency officer, not a judge


class OfficialLevel(StrEnum):
    """The signing official's level; (b)(7) needs section chief or above."""

    AGENCY_HEAD = "agency_head"
    DEPUTY_HEAD = "deputy_head"
    DIVISION_HEAD = "division_head"
    SECTION_CHIEF = "section_chief"
    SUPERVISOR = "supervisor"
    AGENT = "agent"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """Orders levels for the Cedar rules (higher is more senior)."""
        return _OFFICIAL_RANKS[self]


_OFFICIAL_RANKS = {
    OfficialLevel.AGENCY_HEAD: 50,
    OfficialLevel.DEPUTY_HEAD: 40,
    OfficialLevel.DIVISION_HEAD: 30,
    OfficialLevel.SECTION_CHIEF: 20,
    OfficialLevel.SUPERVISOR: 10,
    OfficialLevel.AGENT: 0,
    OfficialLevel.UNKNOWN: 0,
}


class DataElement(StrEnum):
    """The fixed list of what a request may ask for.

    ``TAX_RETURN_INFORMATION`` is listed so that asking for it can be named and refused: Haven
    holds none and the pack never releases it.
    """

    IDENTITY = "identity"
    CONTACT = "contact"
    APPOINTMENT_HISTORY = "appointment_history"
    FUTURE_APPOINTMENTS = "future_appointments"  # future appointment times and place
    VISIT_OUTCOME = "visit_outcome"
    TAX_RETURN_INFORMATION = "tax_return_information"


@dataclass(frozen=True)
class RequestedIndividual:
    """One person the request names: an opaque reference (never an identifier) and how many
    vault records the identifiers given for them matched."""

    ref: str
    matched_records: int


@dataclass(frozen=True)
class RequestFacts:
    """Everything the policy rules look at for one disclosure request; no personal data."""

    agency_category: AgencyCategory
    legal_basis: LegalBasis
    purpose: PurposeCategory
    official_title: str
    official_level: OfficialLevel
    document_kind: DocumentKind
    # The request (or its document) is in writing, and intake verified it.
    in_writing: bool
    # The document is signed by a judge (court order or judicial warrant).
    signed_by_judge: bool
    data_elements: frozenset[DataElement]
    individuals: tuple[RequestedIndividual, ...] = ()
    # The request selects people by criteria ("everyone booked at office X on date D") or by a
    # list, instead of naming specific individuals.
    bulk: bool = False
    # (b)(7): the request names the records wanted and the law-enforcement activity.
    names_records: bool = False
    names_activity: bool = False
    # Law-enforcement requests: the crime is serious or violent, and the subject is indicted or
    # convicted (20 CFR 401.155).
    crime_serious_or_violent: bool = False
    subject_indicted_or_convicted: bool = False
    # (b)(8): the request states an imminent threat to someone's health or safety.
    imminent_harm_stated: bool = False
    # Required by law: the statute cited (e.g. "8 U.S.C. 1360(b)").
    statute: str | None = None
    # Routine use: the notice citation (system-of-records notice and routine use number).
    routine_use_citation: str | None = None
    # Computer matching: the id of the agreement on file (ComputerMatchingAgreement.id).
    matching_agreement_id: int | None = None
    # The requesting agency's id in the agency registry (a matching agreement names it).
    agency_id: int | None = None
    # The field office the request was received at or concerns; None means it was received by
    # the central privacy office itself.
    office_id: int | None = None

    @property
    def benefit_fraud(self) -> bool:
        """The request investigates fraud against benefit programs."""
        return self.purpose is PurposeCategory.BENEFIT_FRAUD

    @property
    def statute_cited(self) -> bool:
        return bool(self.statute and self.statute.strip())


class Outcome(StrEnum):
    """What the gateway does with the request next."""

    REJECTED_INVALID = "rejected_invalid"  # incomplete or contradictory: not evaluated
    DENIED = "denied"
    NARROWED = "narrowed"  # allowed only with fewer people or fields; goes to review narrowed
    REVIEW = "review"  # allowed as asked, subject to the two reviewers
    ROUTED_TO_CENTRAL_OFFICE = "routed_to_central_office"  # a field office may not decide it


class Effect(StrEnum):
    """What a rule did to the request."""

    PERMIT = "permit"
    FORBID = "forbid"
    NARROW = "narrow"
    INVALID = "invalid"
    OBLIGE = "oblige"


@dataclass(frozen=True)
class RuleFinding:
    """One rule that applied: its id, effect, the data elements it concerned (empty: the whole
    request), a plain-language explanation and its legal source."""

    rule_id: str
    effect: Effect
    explanation: str
    source: str
    data_elements: frozenset[DataElement] = frozenset()


@dataclass(frozen=True)
class Decision:
    """The policy pack's answer for one request."""

    outcome: Outcome
    findings: tuple[RuleFinding, ...]
    # What may go to review/production: elements and individual refs (empty when denied).
    allowed_elements: frozenset[DataElement]
    allowed_individuals: tuple[str, ...]
    policy_version: int
    policy_hash: str  # SHA-256 hex of the active pack (see governance.pack_hash)
    # (b)(8): the person must be told within 10 working days; this is the last day.
    notice_due: date | None = None

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The ids of the rules that applied, in order (for the decision's ledger entry)."""
        return tuple(finding.rule_id for finding in self.findings)

    @property
    def allows_anything(self) -> bool:
        return self.outcome in {Outcome.NARROWED, Outcome.REVIEW}
