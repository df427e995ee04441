"""Ledger kinds the policy domain records (declared at import, shaped domain:subject:action)."""

from __future__ import annotations

from enum import StrEnum

from haven.ledger.entries import declare_kind


class PolicyEvent(StrEnum):
    INSTALLED = "disclosure:policy:installed"
    PROPOSED = "disclosure:policy:proposed"
    SIGNED = "disclosure:policy:signed"
    PUBLISHED = "disclosure:policy:published"
    ACTIVATED = "disclosure:policy:activated"
    ACTIVATION_REFUSED = "disclosure:policy:activation_refused"
    INJUNCTION_RECORDED = "disclosure:injunction:recorded"
    INJUNCTION_LIFTED = "disclosure:injunction:lifted"
    AGREEMENT_RECORDED = "disclosure:matching_agreement:recorded"


declare_kind(PolicyEvent.INSTALLED, fields={"version", "sha256", "source", "haven_version"})
declare_kind(PolicyEvent.PROPOSED, fields={"version", "sha256"})
declare_kind(PolicyEvent.SIGNED, fields={"version", "sha256", "role"})
declare_kind(PolicyEvent.PUBLISHED, fields={"version", "sha256", "notice_ends_at"})
declare_kind(
    PolicyEvent.ACTIVATED,
    fields={"version", "sha256", "previous_version", "previous_sha256", "withdrawn_versions"},
)
declare_kind(PolicyEvent.ACTIVATION_REFUSED, fields={"version", "reason"})
declare_kind(
    PolicyEvent.INJUNCTION_RECORDED,
    fields={
        "injunction",
        "court",
        "case_number",
        "agency_category",
        "purpose_category",
        "legal_basis",
        "data_elements",
        "effective_from",
        "effective_until",
    },
)
declare_kind(PolicyEvent.INJUNCTION_LIFTED, fields={"injunction"})
declare_kind(
    PolicyEvent.AGREEMENT_RECORDED,
    fields={"agreement", "agency", "purpose_category", "data_elements", "starts_on", "ends_on"},
)
