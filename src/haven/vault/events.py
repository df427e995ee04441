"""The ledger kinds the vault records: reads of personal data, key rotation, shredding.

Reads are ``access:personal_data:*`` (what staff access, in the auditor's words), but the vault
records them: every read goes through it, and it imports no other domain.
"""

from __future__ import annotations

from enum import StrEnum

from haven.ledger.entries import declare_kind


class PersonalDataEvent(StrEnum):
    READ = "access:personal_data:read"
    BREAK_GLASS = "access:personal_data:break_glass"


class KeyEvent(StrEnum):
    KEK_ROTATED = "vault:kek:rotated"


class RetentionEvent(StrEnum):
    PERSON_SHREDDED = "vault:person:shredded"


_READ_FIELDS = {"records", "gone", "shown", "context"}
declare_kind(PersonalDataEvent.READ, fields=_READ_FIELDS)
declare_kind(PersonalDataEvent.BREAK_GLASS, fields={*_READ_FIELDS, "reason_sha256"})
declare_kind(KeyEvent.KEK_ROTATED, fields={"new_kek_id", "retired_kek_id"})
declare_kind(RetentionEvent.PERSON_SHREDDED, fields={"reason", "retention_days"})
