"""The booking JSON API: hold a slot, book it, and see, move or cancel with the manage link."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Response

from haven.scheduling import booking, pages
from haven.scheduling.appointment_view import CALENDAR_API_PATH, appointment_view
from haven.scheduling.schemas import (
    AppointmentView,
    BookingRequest,
    ErrorBody,
    HoldRequest,
    HoldView,
    RescheduleRequest,
)
from haven.web.deps import ClockDep, KeyringDep, SessionDep, StateDep

router = APIRouter(prefix="/api/v1", tags=["booking"])


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    meaning = {
        404: "No appointment matches the manage token.",
        409: "The time was just taken; choose another.",
        410: "The appointment was cancelled or has already taken place.",
        422: "A field is missing, unknown or not valid; the message names it.",
    }
    return {code: {"model": ErrorBody, "description": meaning[code]} for code in codes}


# No length limit here: any token that is not one of ours, however long, is a plain 404.
ManageToken = Annotated[str, Path(description="The secret token from the manage link.")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=200,
        description="Any unique string per booking (a UUID); a retry with it books only once.",
    ),
]


@router.post("/holds", status_code=201, response_model=HoldView, responses=_errors(404, 409, 422))
def create_hold(
    body: HoldRequest, session: SessionDep, clock: ClockDep, state: StateDep
) -> HoldView:
    """Hold a slot for a few minutes while the person fills in the form; nobody else gets it."""
    placed = booking.place_hold(
        session,
        clock=clock,
        request=body,
        hold_for=timedelta(minutes=state.settings.hold_minutes),
    )
    return HoldView(
        hold_token=placed.token,
        office_id=placed.hold.office_id,
        service_id=placed.hold.service_id,
        starts_at=placed.hold.starts_at,
        ends_at=placed.hold.ends_at,
        expires_at=placed.hold.expires_at,
    )


@router.post(
    "/appointments",
    status_code=201,
    response_model=AppointmentView,
    responses=_errors(404, 409, 422),
)
def create_appointment(
    body: BookingRequest,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    state: StateDep,
    idempotency_key: IdempotencyKey = None,
) -> AppointmentView:
    """Book an appointment. The answer holds the confirmation code and the secret manage link."""
    result = booking.book_appointment(
        session,
        keyring=keyring,
        clock=clock,
        request=body,
        base_url=state.settings.base_url,
        idempotency_key=idempotency_key,
    )
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return result.view


@router.get("/appointments/manage/{token}", response_model=AppointmentView, responses=_errors(404))
def get_appointment(
    token: ManageToken, session: SessionDep, clock: ClockDep, keyring: KeyringDep, state: StateDep
) -> AppointmentView:
    """The appointment behind a manage link (a cancelled one shows status 'cancelled')."""
    appointment = booking.appointment_by_manage_token(session, token)
    return appointment_view(
        session, keyring, clock, appointment, token=token, base_url=state.settings.base_url
    )


@router.patch(
    "/appointments/manage/{token}",
    response_model=AppointmentView,
    responses=_errors(404, 409, 410, 422),
)
def reschedule_appointment(
    token: ManageToken,
    body: RescheduleRequest,
    session: SessionDep,
    clock: ClockDep,
    keyring: KeyringDep,
    state: StateDep,
) -> AppointmentView:
    """Move the appointment to another start time; the old time is freed only if this works."""
    appointment = booking.reschedule_appointment(
        session, keyring=keyring, clock=clock, token=token, new_start=body.starts_at
    )
    return appointment_view(
        session, keyring, clock, appointment, token=token, base_url=state.settings.base_url
    )


@router.delete(
    "/appointments/manage/{token}",
    response_model=AppointmentView,
    responses=_errors(404, 410),
)
def cancel_appointment(
    token: ManageToken, session: SessionDep, clock: ClockDep, keyring: KeyringDep, state: StateDep
) -> AppointmentView:
    """Cancel the appointment and free its time. Cancelling twice is harmless."""
    appointment = booking.cancel_appointment(session, keyring=keyring, clock=clock, token=token)
    return appointment_view(
        session, keyring, clock, appointment, token=token, base_url=state.settings.base_url
    )


router.add_api_route(
    CALENDAR_API_PATH.removeprefix(router.prefix),
    pages.api_calendar,
    methods=["GET"],
    response_class=Response,
    summary="Calendar file",
    responses={
        200: {"content": {"text/calendar": {}}, "description": "An RFC 5545 file."},
        **_errors(404),
    },
)
