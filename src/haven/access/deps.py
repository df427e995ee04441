"""FastAPI dependencies for staff routes: who is signed in, and whether their role may pass.

Deny by default: a staff route takes ``CurrentStaff`` (any signed-in member of staff) or
``Depends(require_role(...))``; without a live session the request fails with NotSignedIn (401
JSON for the API; staff pages send the browser to /staff/sign-in), and without the role with
RoleRequired (403). Office scope is checked in the route or service with
``principal.require_office(office_id, Role.CLERK, ...)``.

    @router.get("/staff/clerk/today")
    def today(staff: Annotated[StaffPrincipal, Depends(require_role(Role.CLERK))]) -> ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from haven.access.errors import NotSignedIn
from haven.access.models import Role
from haven.access.principal import StaffPrincipal, principal_for_token
from haven.access.sessions import AccessPolicy
from haven.web.deps import ClockDep, SessionDep, get_state


def get_access_policy(request: Request) -> AccessPolicy:
    return get_state(request).access_policy


AccessPolicyDep = Annotated[AccessPolicy, Depends(get_access_policy)]


def optional_staff(
    request: Request, session: SessionDep, clock: ClockDep, policy: AccessPolicyDep
) -> StaffPrincipal | None:
    """The signed-in member of staff, or None (for pages anyone may see, like sign-in)."""
    token = policy.session_token(request)
    if token is None:
        return None
    return principal_for_token(session, clock, policy, token)


def current_staff(
    principal: Annotated[StaffPrincipal | None, Depends(optional_staff)],
) -> StaffPrincipal:
    """The signed-in member of staff; NotSignedIn (401) when there is none."""
    if principal is None:
        raise NotSignedIn()
    return principal


CurrentStaff = Annotated[StaffPrincipal, Depends(current_staff)]
OptionalStaff = Annotated[StaffPrincipal | None, Depends(optional_staff)]


def require_role(*roles: Role) -> Callable[[StaffPrincipal], StaffPrincipal]:
    """A dependency: the signed-in member of staff, if they hold one of these roles (else 403)."""
    if not roles:
        raise ValueError("require_role needs at least one role")

    def dependency(principal: CurrentStaff) -> StaffPrincipal:
        principal.require_role(*roles)
        return principal

    dependency.__name__ = "require_" + "_or_".join(roles)
    return dependency
