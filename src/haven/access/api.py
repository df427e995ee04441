"""The staff JSON API: who am I (for scripts and htmx), 401 JSON when not signed in."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from haven.access.deps import CurrentStaff

router = APIRouter(prefix="/api/v1/staff", tags=["staff"])


class StaffMe(BaseModel):
    account: str
    display_name: str
    # Each role held, with the office ids it is held in (empty: deployment-wide).
    roles: dict[str, list[int]]


@router.get("/me")
def me(staff: CurrentStaff) -> StaffMe:
    return StaffMe(
        account=staff.actor,
        display_name=staff.display_name,
        roles={str(role): sorted(offices) for role, offices in staff.offices_by_role.items()},
    )
