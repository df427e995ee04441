"""Idempotent booking: a retried request with the same Idempotency-Key gets the first answer
back and books nothing new; the same key with a different request is refused.

The first answer holds the person's own details, so it is stored sealed under their key (and
goes with it when they are shredded) beside a fingerprint of the request; opening it again is
a recorded read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.errors import Invalid
from haven.scheduling.appointment_view import PUBLIC_ACTOR
from haven.scheduling.models import Appointment
from haven.scheduling.schemas import AppointmentView, BookingRequest
from haven.vault.keys import Keyring
from haven.vault.reads import ReadPurpose, SealedDocument, read_people
from haven.vault.service import seal_for_person

_RESPONSE_CONTEXT = "haven:appointment:idempotent-response:v1"


class IdempotencyKeyReused(Invalid):
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(
            "this Idempotency-Key was already used for a different booking request; "
            "send a new key for a new booking",
            field="Idempotency-Key",
        )


@dataclass(frozen=True)
class EarlierAnswer:
    """The booking an Idempotency-Key already made and the answer it got."""

    appointment: Appointment
    view: AppointmentView


def fingerprint(request: BookingRequest) -> str:
    """What tells a retry of a request from another request under the same key."""
    return hashlib.sha256(request.model_dump_json().encode()).hexdigest()


def seal_answer(
    session: Session, keyring: Keyring, person_id: int, request: str, view: AppointmentView
) -> bytes:
    """The answer to keep for retries, sealed under the person's key with the request's
    `fingerprint()`."""
    document = {"request": request, "response": view.model_dump(mode="json")}
    return seal_for_person(
        session, keyring, person_id, json.dumps(document).encode(), _RESPONSE_CONTEXT
    )


def earlier_answer(
    session: Session, keyring: Keyring, clock: Clock, key_hash: str, request: str
) -> EarlierAnswer | None:
    """The first answer for this key when the request (its `fingerprint()`) is the same; None
    when the key made no booking; IdempotencyKeyReused when it came with another request."""
    appointment = session.scalars(
        sa.select(Appointment).where(Appointment.idempotency_key_hash == key_hash)
    ).one_or_none()
    if appointment is None or appointment.idempotent_response is None:
        return None
    # The stored answer holds the person's own details: opening it is a recorded read.
    stored = SealedDocument(
        appointment.person_id, appointment.idempotent_response, _RESPONSE_CONTEXT
    )
    read = read_people(
        session,
        keyring,
        clock,
        actor=PUBLIC_ACTOR,
        purpose=ReadPurpose.OWN_REQUEST,
        person_ids=[],
        documents=[stored],
        context="booking-retry",
    )
    document = json.loads(read.documents[0])
    if document["request"] != request:
        raise IdempotencyKeyReused()
    return EarlierAnswer(appointment, AppointmentView.model_validate(document["response"]))
