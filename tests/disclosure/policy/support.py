"""Policy test helpers: a request the default pack sends to review, and officers who sign."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from haven.access.models import Role
from haven.access.second_factor import code_at
from haven.access.sessions import AccessPolicy
from haven.clock import Clock
from haven.disclosure.policy import (
    DataElement,
    Decision,
    RequestFacts,
    evaluate,
)
from haven.disclosure.policy.examples import COURT_ORDER
from haven.vault.keys import Keyring
from tests import factories
from tests.access.support import Staff, add_staff, grant


def facts(base: RequestFacts = COURT_ORDER, **changes: Any) -> RequestFacts:
    return dataclasses.replace(base, **changes)


def elements(*names: DataElement) -> frozenset[DataElement]:
    return frozenset(names)


def decide(session: Session, clock: Clock, request: RequestFacts) -> Decision:
    return evaluate(session, request, now=clock.now())


def rule_ids(decision: Decision) -> set[str]:
    return set(decision.rule_ids)


@dataclasses.dataclass(frozen=True)
class Officers:
    privacy_officer: Staff
    counsel: Staff
    clerk: Staff


def add_officers(
    sessions: sessionmaker[Session], clock: Clock, keyring: Keyring, policy: AccessPolicy
) -> Officers:
    """A privacy officer and counsel (both with TOTP) and a clerk, through the real actions."""
    with sessions.begin() as session:
        office_id = factories.office(session).id
    return Officers(
        privacy_officer=add_staff(
            sessions, clock, keyring, policy, "priya", grant(Role.PRIVACY_OFFICER)
        ),
        counsel=add_staff(sessions, clock, keyring, policy, "carlos", grant(Role.COUNSEL)),
        clerk=add_staff(
            sessions,
            clock,
            keyring,
            policy,
            "clara",
            grant(Role.CLERK, office_id),
            with_second_factor=True,
        ),
    )


def code_for(staff: Staff, instant: datetime) -> str:
    assert staff.enrolment is not None
    return code_at(staff.enrolment.secret, instant)
