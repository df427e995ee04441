"""The principal's role and office checks, which every staff route relies on."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from haven.access.errors import OutOfScope, RoleRequired
from haven.access.models import Role
from haven.access.principal import StaffPrincipal


def principal(**offices: frozenset[int]) -> StaffPrincipal:
    roles = {Role(name): ids for name, ids in offices.items()}
    return StaffPrincipal(
        account_id=7, session_id=1, display_name="Staff", offices_by_role=MappingProxyType(roles)
    )


def test_office_roles_cover_only_their_offices() -> None:
    clerk = principal(clerk=frozenset({1, 2}), manager=frozenset({3}))
    assert clerk.actor == "staff:7"
    assert clerk.may_act_in(1, Role.CLERK)
    assert not clerk.may_act_in(3, Role.CLERK)
    assert clerk.may_act_in(3, Role.CLERK, Role.MANAGER)
    assert clerk.offices_for(Role.CLERK, Role.MANAGER) == {1, 2, 3}
    clerk.require_office(2, Role.CLERK)
    with pytest.raises(OutOfScope):
        clerk.require_office(3, Role.CLERK)
    with pytest.raises(RoleRequired):
        clerk.require_office(1, Role.AUDITOR)


def test_deployment_roles_cover_every_office_and_nothing_else() -> None:
    auditor = principal(auditor=frozenset())
    assert auditor.may_act_in(99, Role.AUDITOR)
    assert not auditor.may_act_in(99, Role.CLERK)
    assert auditor.offices_for(Role.CLERK) == frozenset()
    with pytest.raises(RoleRequired):
        auditor.require_role(Role.ADMIN)


def test_no_roles_pass_nothing() -> None:
    nobody = principal()
    assert not nobody.has_role(*Role)
    with pytest.raises(RoleRequired):
        nobody.require_role(*Role)
