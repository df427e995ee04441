"""Tables for the waitlist and the walk-in queue (kept apart from models.py: they arrived in
revision 0007, after the scheduling schema of 0001)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from haven.db import Base, TZDateTime


class WaitlistStatus(enum.StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    BOOKED = "booked"
    EXPIRED = "expired"  # an offer ran out unanswered; the slot went to the next person


class WaitlistEntry(Base):
    """A person waiting for a slot of a service in a window of office-local days."""

    __tablename__ = "waitlist_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person_records.id"))
    language: Mapped[str] = mapped_column(String(35))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), index=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    # The open offer: the hold on its slot (whose token is the offer's), and its random seed.
    hold_id: Mapped[int | None] = mapped_column(
        ForeignKey("holds.id", ondelete="SET NULL"), nullable=True
    )
    offer_seed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    offer_expires_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    offers_made: Mapped[int] = mapped_column(Integer, default=0)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))


class TicketStatus(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVED = "served"
    NO_SHOW = "no-show"


class QueueTicket(Base):
    """A place in an office's walk-in queue on one office-local day: a number, never a name.

    A walk-in gets a ticket from the clerk; an appointment that checks in gets one too, placed
    by its booked time, so both wait in the same line.
    """

    __tablename__ = "queue_tickets"
    __table_args__ = (
        UniqueConstraint("office_id", "day", "number", name="uq_queue_tickets_office_day_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    number: Mapped[int] = mapped_column(Integer)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    language: Mapped[str] = mapped_column(String(35))
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id"), unique=True, nullable=True
    )
    # Where the ticket stands in line: arrival for a walk-in, the booked time for an appointment.
    queued_at: Mapped[datetime] = mapped_column(TZDateTime)
    status: Mapped[str] = mapped_column(String(10))
    called_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    counter: Mapped[str | None] = mapped_column(String(40))
    finished_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    # The ticket page's secret (hash only): the person's way to see their place and wait.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
