"""The ledger kinds scheduling records: bookings, the front desk, the walk-in queue, the
waitlist and a manager's changes to their office.

Visit entries (everything but an office change) carry the office and service ids only: never
the slot's time or the appointment's or ticket's id, so the public log cannot be read as a list
of who comes when, nor one visit's entries be linked together. The person appears only as
their subject tag.
"""

from __future__ import annotations

from enum import StrEnum

from haven.ledger.entries import declare_kind


class BookingEvent(StrEnum):
    """The public's own actions on an appointment."""

    BOOKED = "scheduling:appointment:booked"
    RESCHEDULED = "scheduling:appointment:rescheduled"
    CANCELLED = "scheduling:appointment:cancelled"


class DeskEvent(StrEnum):
    """The front desk's actions on an appointment."""

    CHECKED_IN = "scheduling:appointment:checked_in"
    SERVED = "scheduling:appointment:served"
    NO_SHOW = "scheduling:appointment:no_show"
    WALK_IN = "scheduling:appointment:walk_in"


class QueueEvent(StrEnum):
    ISSUED = "scheduling:queue:ticket_issued"
    CALLED = "scheduling:queue:ticket_called"
    SERVED = "scheduling:queue:ticket_served"
    NO_SHOW = "scheduling:queue:ticket_no_show"


class WaitlistEvent(StrEnum):
    JOINED = "scheduling:waitlist:joined"
    OFFERED = "scheduling:waitlist:offered"


class OfficeEvent(StrEnum):
    CHANGED = "scheduling:office:changed"


class OfficeChange(StrEnum):
    """What a manager changed, as an office change entry's ``change`` field names it."""

    HOURS_SET = "hours_set"
    CLOSURE_ADDED = "closure_added"
    CLOSURE_REMOVED = "closure_removed"
    SERVICE_ACTIVE = "service_active"
    SERVICE_INACTIVE = "service_inactive"
    COUNTER_ADDED = "counter_added"
    COUNTER_ACTIVE = "counter_active"
    COUNTER_INACTIVE = "counter_inactive"


for _visit_event in (*BookingEvent, *DeskEvent, *QueueEvent, *WaitlistEvent):
    declare_kind(_visit_event, fields={"office", "service"})
declare_kind(OfficeEvent.CHANGED, fields={"office", "change", "item"})
