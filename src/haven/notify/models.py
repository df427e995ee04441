"""The outbox: messages owed to people, with no personal data in clear.

A row names the person only by their vault record id and says what kind of message it is, in
which language, and when it is due. The address and the words are made at send time from the
vault (a recorded read), so a shredded person's messages can no longer be sent and nothing here
outlives their record in readable form.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from haven.db import Base, TZDateTime


class MessageKind(enum.StrEnum):
    CONFIRMATION = "confirmation"
    REMINDER = "reminder"
    CHANGED = "changed"
    OFFICE_CLOSED = "office-closed"
    DISCLOSURE_NOTICE = "disclosure-notice"
    WAITLIST_OFFER = "waitlist-offer"


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the allowed attempts; the manager sees it
    DROPPED = "dropped"  # nothing to send any more (record shredded, appointment gone)


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"


class OutboundMessage(Base):
    __tablename__ = "outbound_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # One message per (subject, kind): "appointment:12:reminder". Sending twice is impossible
    # because queueing twice is.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person_records.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    kind: Mapped[str] = mapped_column(String(40))
    # Known once sent: the channel is the contact the person gave, read at send time.
    channel: Mapped[str | None] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(35))
    due_at: Mapped[datetime] = mapped_column(TZDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(TZDateTime, index=True)
    # A worker that took the message holds it until this instant; another skips it meanwhile.
    leased_until: Mapped[datetime | None] = mapped_column(TZDateTime)
    status: Mapped[str] = mapped_column(String(10), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    # The failure's class and a short reason in our own words: never an address or a body.
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
