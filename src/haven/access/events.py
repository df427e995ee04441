"""The ledger kinds access records: sign-ins, failures, lockouts, account and role changes, and
the privacy officer's alerts.

Entries name accounts by id (actor ``staff:<id>``, refs ``staff:<id>``), never by username or
display name, and a failed sign-in for a username nobody has is recorded with actor ``public``
and no username at all (people type passwords into the username box).
"""

from __future__ import annotations

from enum import StrEnum

from haven.ledger.entries import declare_kind


class AccessEvent(StrEnum):
    SIGNED_IN = "access:session:signed_in"
    SIGN_IN_FAILED = "access:session:sign_in_failed"
    SIGNED_OUT = "access:session:signed_out"
    SIGNED_OUT_EVERYWHERE = "access:session:signed_out_everywhere"
    LOCKED_OUT = "access:account:locked_out"
    UNLOCKED = "access:account:unlocked"
    CREATED = "access:account:created"
    ROLES_CHANGED = "access:account:roles_changed"
    DISABLED = "access:account:disabled"
    ENABLED = "access:account:enabled"
    PASSWORD_CHANGED = "access:account:password_changed"  # noqa: S105 (a kind, no secret)
    SECOND_FACTOR_RESET = "access:account:second_factor_reset"


class AlertEvent(StrEnum):
    RAISED = "access:alert:raised"
    RESOLVED = "access:alert:resolved"


class FailureReason(StrEnum):
    """Why a sign-in failed, as the ledger records it."""

    UNKNOWN_ACCOUNT = "unknown_account"
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 (a reason, no secret)
    WRONG_CODE = "wrong_code"
    WAITING = "waiting"
    DISABLED = "disabled"
    NO_SECOND_FACTOR = "no_second_factor"


declare_kind(AccessEvent.SIGNED_IN, fields={"second_factor"})
declare_kind(AccessEvent.SIGN_IN_FAILED, fields={"reason", "failed_attempts"})
declare_kind(AccessEvent.SIGNED_OUT, fields=())
declare_kind(AccessEvent.SIGNED_OUT_EVERYWHERE, fields={"sessions_revoked"})
declare_kind(AccessEvent.LOCKED_OUT, fields={"failed_attempts", "locked_until"})
declare_kind(AccessEvent.UNLOCKED, fields=())
declare_kind(AccessEvent.CREATED, fields={"roles", "second_factor"})
declare_kind(AccessEvent.ROLES_CHANGED, fields={"roles_before", "roles"})
declare_kind(AccessEvent.DISABLED, fields={"sessions_revoked"})
declare_kind(AccessEvent.ENABLED, fields=())
declare_kind(AccessEvent.PASSWORD_CHANGED, fields={"sessions_revoked"})
declare_kind(AccessEvent.SECOND_FACTOR_RESET, fields={"sessions_revoked"})
declare_kind(AlertEvent.RAISED, fields={"alert", "alert_kind", "staff"})
declare_kind(AlertEvent.RESOLVED, fields={"alert", "alert_kind"})
