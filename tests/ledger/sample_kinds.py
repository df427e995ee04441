"""Ledger kinds the ledger's own tests record, declared the way other domains declare theirs."""

from __future__ import annotations

from enum import StrEnum

from haven.ledger.entries import declare_kind


class SampleEvent(StrEnum):
    RECORD_READ = "sample:record:read"
    BOOKING_MADE = "sample:booking:made"
    NEVER_DECLARED = "sample:thing:undeclared"


declare_kind(SampleEvent.RECORD_READ, fields={"office", "count"})
declare_kind(SampleEvent.BOOKING_MADE, fields={"office", "service"})
