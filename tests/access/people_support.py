"""Appointments with sealed people, arranged directly (no slot claims needed), and the ledger's
read entries, for the read, scope, retention and staff page tests."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.ledger.models import LogEntry
from haven.scheduling.models import Appointment, AppointmentStatus, Office, Service
from haven.scheduling.tokens import token_hash
from haven.vault.keys import Keyring
from haven.vault.service import PersonData, seal_person


def appointment(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    office: Office,
    service: Service,
    starts_at: datetime,
    *,
    name: str = "Ana Example",
    phone: str = "+12025550143",
    note: str | None = "Arriving with a walker",
    status: AppointmentStatus = AppointmentStatus.BOOKED,
) -> tuple[Appointment, str]:
    """A committed-with-the-session appointment for a new person; returns it and its token."""
    person = seal_person(
        session, keyring, clock, PersonData(name=name, phone=phone, accommodation_note=note)
    )
    token = secrets.token_urlsafe(32)
    row = Appointment(
        office_id=office.id,
        service_id=service.id,
        person_id=person.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=service.duration_minutes),
        status=status,
        language="es",
        interpreter_language=None,
        accommodations=["wheelchair-access"],
        confirmation_code=secrets.token_hex(5).upper(),
        manage_token_hash=token_hash(token),
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row, token


def entries(session: Session, kind_prefix: str = "") -> list[dict[str, Any]]:
    rows = session.scalars(sa.select(LogEntry.data).order_by(LogEntry.index)).all()
    parsed = [json.loads(data) for data in rows]
    return [entry for entry in parsed if entry["kind"].startswith(kind_prefix)]


def raw_ledger(session: Session) -> bytes:
    return b"\n".join(session.scalars(sa.select(LogEntry.data).order_by(LogEntry.index)).all())
