"""The gateway's ledger entry kinds and the fields each carries (never personal data).

The policy's own kinds (versions, injunctions, matching agreements) are in
``haven.disclosure.policy.events``.
"""

from __future__ import annotations

from enum import StrEnum

from haven.ledger.entries import declare_kind


class DisclosureEvent(StrEnum):
    AGENCY_REGISTERED = "disclosure:agency:registered"
    AGENCY_KEY_ADDED = "disclosure:agency_key:added"
    REQUEST_REFUSED = "disclosure:request:refused"
    REQUEST_RECEIVED = "disclosure:request:received"
    REQUEST_VALIDATED = "disclosure:request:validated"
    REQUEST_REJECTED = "disclosure:request:rejected"
    REQUEST_EVALUATED = "disclosure:request:evaluated"
    REVIEW_ASSIGNED = "disclosure:review:assigned"
    REVIEW_SIGNED = "disclosure:review:signed"
    REVIEW_REFUSED = "disclosure:review:refused"
    REQUEST_DECIDED = "disclosure:request:decided"
    PRODUCTION_MADE = "disclosure:production:produced"
    PRODUCTION_FETCHED = "disclosure:production:fetched"
    NOTICE_HANDLED = "disclosure:notice:handled"
    NOTICE_RELEASED = "disclosure:notice:released"
    REQUEST_CLOSED = "disclosure:request:closed"


class AccountingEvent(StrEnum):
    PRUNED = "disclosure:accounting:pruned"


_FIELDS: dict[DisclosureEvent, set[str]] = {
    DisclosureEvent.AGENCY_REGISTERED: {"agency", "category"},
    DisclosureEvent.AGENCY_KEY_ADDED: {"agency", "key_id", "valid_from", "valid_until"},
    DisclosureEvent.REQUEST_REFUSED: {
        "stage",
        "error",
        "field",
        "message",
        "key_id",
        "method",
        "path",
        "body_sha256",
        "body_bytes",
    },
    DisclosureEvent.REQUEST_RECEIVED: {
        "agency",
        "channel",
        "basis",
        "purpose_category",
        "elements",
        "individuals",
        "bulk",
        "document_kind",
        "document_sha256",
        "key_id",
    },
    DisclosureEvent.REQUEST_VALIDATED: {"checks"},
    DisclosureEvent.REQUEST_REJECTED: {"reasons"},
    DisclosureEvent.REQUEST_EVALUATED: {
        "outcome",
        "rules",
        "allowed_elements",
        "policy_version",
        "policy_hash",
        "records_decrypted",
    },
    DisclosureEvent.REVIEW_ASSIGNED: {"due_at", "matched"},
    DisclosureEvent.REVIEW_SIGNED: {
        "role",
        "verdict",
        "elements",
        "individuals",
        "statement_sha256",
    },
    DisclosureEvent.REVIEW_REFUSED: {"reason"},
    DisclosureEvent.REQUEST_DECIDED: {"outcome", "elements", "individuals"},
    DisclosureEvent.PRODUCTION_MADE: {
        "agency",
        "elements",
        "individuals",
        "package_sha256",
        "signing_key",
        "policy_hash",
    },
    DisclosureEvent.PRODUCTION_FETCHED: {"agency", "package_sha256"},
    DisclosureEvent.NOTICE_HANDLED: {"notices", "delayed", "not_required", "delayed_until"},
    DisclosureEvent.NOTICE_RELEASED: {"notices", "reason"},
    DisclosureEvent.REQUEST_CLOSED: {"from_status"},
}

for _kind, _fields in _FIELDS.items():
    declare_kind(_kind, fields=_fields)
declare_kind(AccountingEvent.PRUNED, fields={"removed"})
