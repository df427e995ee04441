"""Scheduling tables. Times of day are office-local wall-clock times; instants are UTC."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from haven.db import Base, TZDateTime


class ResourceKind(enum.StrEnum):
    COUNTER = "counter"
    STAFF = "staff"
    INTERPRETER = "interpreter"


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    SERVED = "served"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


def _str_enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # Stored as plain strings with a CHECK, identical on SQLite and PostgreSQL.
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=_values)


def _values(cls: type[enum.StrEnum]) -> list[str]:
    return [member.value for member in cls]


class Office(Base):
    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500))
    timezone: Mapped[str] = mapped_column(String(64))
    # BCP 47 tags of the languages staff speak on site.
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)

    hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="office", order_by="OpeningHours.weekday, OpeningHours.opens"
    )
    closures: Mapped[list[Closure]] = relationship(
        back_populates="office", order_by="Closure.starts_on"
    )
    services: Mapped[list[Service]] = relationship(back_populates="office", order_by="Service.id")
    resources: Mapped[list[Resource]] = relationship(
        back_populates="office", order_by="Resource.id"
    )


class OpeningHours(Base):
    """One open interval on one weekday (0 = Monday); a day may have several (a lunch break)."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("opens < closes", name="opens_before_closes"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)

    office: Mapped[Office] = relationship(back_populates="hours")


class Closure(Base):
    """Days the office is closed (a holiday, a one-off), inclusive of both ends, office-local."""

    __tablename__ = "closures"
    __table_args__ = (CheckConstraint("starts_on <= ends_on", name="starts_before_ends"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))

    office: Mapped[Office] = relationship(back_populates="closures")


class Service(Base):
    __tablename__ = "services"
    __table_args__ = (
        UniqueConstraint("office_id", "slug"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("buffer_minutes >= 0", name="buffer_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    # Time the resource needs after an appointment before the next (paperwork, cleaning).
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0)
    # Which kind of resource serves it: a counter or a staff member.
    resource_kind: Mapped[ResourceKind] = mapped_column(_str_enum(ResourceKind, "resource_kind"))
    max_days_ahead: Mapped[int] = mapped_column(Integer, default=60)
    min_notice_minutes: Mapped[int] = mapped_column(Integer, default=60)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Days after a person's last appointment of this service before their record is shredded;
    # None follows the deployment's HAVEN_RETENTION_DAYS. The longest that applies wins.
    retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True, default=None)

    office: Mapped[Office] = relationship(back_populates="services")
    resources: Mapped[list[Resource]] = relationship(
        secondary="service_resources", order_by="Resource.id", viewonly=True
    )


class Resource(Base):
    """A counter, a staff member or an interpreter, with the languages they work in."""

    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ResourceKind] = mapped_column(_str_enum(ResourceKind, "resource_kind"))
    name: Mapped[str] = mapped_column(String(200))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    office: Mapped[Office] = relationship(back_populates="resources")
    hours: Mapped[list[ResourceHours]] = relationship(
        back_populates="resource", order_by="ResourceHours.weekday, ResourceHours.starts"
    )


class ResourceHours(Base):
    """A resource's own working interval on a weekday; a resource with none follows the office."""

    __tablename__ = "resource_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("starts < ends", name="starts_before_ends"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(Integer)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)

    resource: Mapped[Resource] = relationship(back_populates="hours")


class ServiceResource(Base):
    """Which counters or staff can deliver a service."""

    __tablename__ = "service_resources"

    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True
    )


class Appointment(Base):
    """An in-person appointment. Personal data lives only in the vault, reached by person_id."""

    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        Index("ix_appointments_office_starts", "office_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person_records.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(TZDateTime)
    ends_at: Mapped[datetime] = mapped_column(TZDateTime)
    status: Mapped[AppointmentStatus] = mapped_column(
        _str_enum(AppointmentStatus, "appointment_status"), default=AppointmentStatus.BOOKED
    )
    language: Mapped[str] = mapped_column(String(35))
    # The language an interpreter is booked for, when the person asked for one.
    interpreter_language: Mapped[str | None] = mapped_column(String(35), nullable=True)
    # Codes from a fixed list (wheelchair access, hearing loop, ...). The free-text note is
    # personal data and sits sealed in the vault with the name and contact.
    accommodations: Mapped[list[str]] = mapped_column(JSON, default=list)
    confirmation_code: Mapped[str] = mapped_column(String(16), unique=True)
    manage_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    idempotency_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The first response, sealed under the person's data key, so a retried create answers the
    # same (manage token included) without the token being stored in the clear.
    idempotent_response: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime)

    office: Mapped[Office] = relationship()
    service: Mapped[Service] = relationship()


class Hold(Base):
    """A short exclusive hold on a slot while the person fills in the booking form."""

    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    starts_at: Mapped[datetime] = mapped_column(TZDateTime)
    ends_at: Mapped[datetime] = mapped_column(TZDateTime)
    interpreter_language: Mapped[str | None] = mapped_column(String(35), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(TZDateTime)


class SlotClaim(Base):
    """A resource's time taken by an appointment or a hold, buffer included.

    This is the table the database guards against double booking: on PostgreSQL an exclusion
    constraint over (resource_id, [starts_at, ends_at)); on SQLite a trigger under the writer
    lock. Each claim belongs to exactly one appointment or one hold.
    """

    __tablename__ = "slot_claims"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        CheckConstraint("(appointment_id IS NULL) <> (hold_id IS NULL)", name="one_owner"),
        # Covering: availability reads a month of an office's claims from the index alone.
        Index(
            "ix_slot_claims_resource_starts", "resource_id", "starts_at", "ends_at", "expires_at"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    starts_at: Mapped[datetime] = mapped_column(TZDateTime)
    ends_at: Mapped[datetime] = mapped_column(TZDateTime)
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), nullable=True, index=True
    )
    hold_id: Mapped[int | None] = mapped_column(
        ForeignKey("holds.id", ondelete="CASCADE"), nullable=True, index=True
    )
    # Copied from the hold so expired holds can be cleared with one indexed delete.
    expires_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
