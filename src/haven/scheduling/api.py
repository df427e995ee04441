"""The read-only catalogue API: offices, their services and open slots."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from haven.scheduling import catalog
from haven.scheduling.availability import find_slots
from haven.web.deps import ClockDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["catalogue"])

# BCP 47 tag, loosely: a primary language subtag and optional subtags ("es", "zh-Hant").
LANGUAGE_TAG = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"

OfficeId = Annotated[int, Path(ge=1, description="The office's id.")]


class SlotOut(BaseModel):
    starts_at: datetime
    ends_at: datetime
    local_start: datetime
    # How many resources are free then; a page may show "few left".
    capacity: int


class AvailabilityOut(BaseModel):
    office_id: int
    service_id: int
    start: date
    end: date
    interpreter_language: str | None
    slots: list[SlotOut]


@router.get("/offices", response_model=list[catalog.OfficeEntry])
def get_offices(session: SessionDep) -> list[catalog.OfficeEntry]:
    """Every office, with its weekly opening hours and languages."""
    return catalog.list_offices(session)


@router.get("/offices/{office_id}/services", response_model=list[catalog.ServiceEntry])
def get_services(office_id: OfficeId, session: SessionDep) -> list[catalog.ServiceEntry]:
    """The services an office offers for booking."""
    return catalog.list_services(session, office_id)


@router.get("/offices/{office_id}/availability", response_model=AvailabilityOut)
def get_availability(
    office_id: OfficeId,
    session: SessionDep,
    clock: ClockDep,
    service: Annotated[int, Query(ge=1, description="The service's id.")],
    start: Annotated[date, Query(description="First office-local day, YYYY-MM-DD.")],
    end: Annotated[date, Query(description="Last office-local day (inclusive), YYYY-MM-DD.")],
    interpreter_language: Annotated[
        str | None,
        Query(max_length=35, pattern=LANGUAGE_TAG, description="BCP 47 tag, e.g. 'es'."),
    ] = None,
) -> AvailabilityOut:
    """Open slots for a service between two office-local days."""
    slots = find_slots(
        session,
        office_id=office_id,
        service_id=service,
        start=start,
        end=end,
        now=clock.now(),
        interpreter_language=interpreter_language,
    )
    return AvailabilityOut(
        office_id=office_id,
        service_id=service,
        start=start,
        end=end,
        interpreter_language=interpreter_language,
        slots=[
            SlotOut(
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                local_start=slot.local_start,
                capacity=len(slot.resource_ids),
            )
            for slot in slots
        ],
    )
