"""Building and signing a production: only the approved people and fields, as canonical JSON,
signed by the office's disclosure key (an Ed25519 signed-note key from haven.ledger, kept in
HAVEN_HOME/keys/disclosure.skey, created on first use with owner-only permissions).

The agency checks the signature over the exact ``package`` string with the office's public
key, published at ``GET /api/v1/disclosure-requests/{id}/production`` as ``public_key``.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.config import Settings
from haven.disclosure.models import DataElement
from haven.ledger.note import Signer, generate_signer
from haven.scheduling.models import Appointment, AppointmentStatus, Office, Service
from haven.vault.service import PersonData

OFFICE_KEY_FILE = Path("keys") / "disclosure.skey"
PACKAGE_FORMAT = "haven-disclosure-production/1"
_PAST_STATUSES = {AppointmentStatus.SERVED, AppointmentStatus.NO_SHOW, AppointmentStatus.CHECKED_IN}


def load_office_signer(settings: Settings) -> Signer:
    """The office's production-signing key, created under HAVEN_HOME when absent."""
    path = settings.ensure_home() / OFFICE_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        signer = generate_signer(f"{settings.resolved_log_origin()}/disclosure")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(signer.skey + "\n")
    return Signer.from_skey(path.read_text(encoding="utf-8").strip())


def public_key_b64(signer: Signer) -> str:
    return base64.b64encode(signer.verifier.public_key).decode()


@dataclass(frozen=True)
class SignedPackage:
    package: str
    signature: str


def person_section(
    session: Session,
    person_id: int,
    person: PersonData,
    elements: Collection[str],
    now: datetime,
) -> dict[str, Any]:
    """One person's part of the package: only the approved elements."""
    section: dict[str, Any] = {}
    if DataElement.IDENTITY in elements:
        section["identity"] = {"name": person.name}
    if DataElement.CONTACT in elements:
        section["contact"] = {"phone": person.phone, "email": person.email}
    wants_visits = {
        DataElement.APPOINTMENT_HISTORY,
        DataElement.FUTURE_APPOINTMENTS,
        DataElement.VISIT_OUTCOME,
    } & set(elements)
    if not wants_visits:
        return section
    rows = session.execute(
        sa.select(Appointment, Office.name, Office.address, Service.name)
        .join(Office, Office.id == Appointment.office_id)
        .join(Service, Service.id == Appointment.service_id)
        .where(Appointment.person_id == person_id)
        .order_by(Appointment.starts_at)
    ).all()
    past = [row for row in rows if row[0].starts_at < now]
    future = [row for row in rows if row[0].starts_at >= now and row[0].status != "cancelled"]
    if DataElement.APPOINTMENT_HISTORY in elements:
        section["appointment_history"] = [
            {"date": row[0].starts_at.date().isoformat(), "office": row[1], "service": row[3]}
            for row in past
        ]
    if DataElement.VISIT_OUTCOME in elements:
        section["visit_outcome"] = [
            {"date": row[0].starts_at.date().isoformat(), "outcome": str(row[0].status)}
            for row in past
            if row[0].status in _PAST_STATUSES
        ]
    if DataElement.FUTURE_APPOINTMENTS in elements:
        section["future_appointments"] = [
            {"starts_at": row[0].starts_at.isoformat(), "office": row[1], "address": row[2]}
            for row in future
        ]
    return section


def sign_package(signer: Signer, header: Mapping[str, Any], people: list[Any]) -> SignedPackage:
    """The canonical package text and the office's signature over it."""
    package = json.dumps(
        {"format": PACKAGE_FORMAT, **header, "individuals": people},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    signature = base64.b64encode(signer.sign(package.encode())).decode()
    return SignedPackage(package=package, signature=signature)
