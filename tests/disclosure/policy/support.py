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
    AgencyCategory,
    DataElement,
    Decision,
    DocumentKind,
    LegalBasis,
    OfficialLevel,
    PurposeCategory,
    RequestedIndividual,
    RequestFacts,
    evaluate,
)
from haven.vault.keys import Keyring
from tests import factories
from tests.access.support import Staff, add_staff, grant

# A judge-signed court order for one well-identified person's identity and past visits: the
# default pack sends it to review as asked. Each rule's test changes one thing.
COURT_ORDER = RequestFacts(
    agency_category=AgencyCategory.COURT,
    legal_basis=LegalBasis.COURT_ORDER,
    purpose=PurposeCategory.OTHER,
    official_title="Judge of the District Court",
    official_level=OfficialLevel.AGENCY_HEAD,
    document_kind=DocumentKind.COURT_ORDER,
    in_writing=True,
    signed_by_judge=True,
    data_elements=frozenset({DataElement.IDENTITY, DataElement.APPOINTMENT_HISTORY}),
    individuals=(RequestedIndividual("person-1", 1),),
    office_id=1,
)

# A (b)(7) request that meets every requirement: written, section chief, records and activity
# named, a violent crime with the subject indicted.
LAW_ENFORCEMENT = dataclasses.replace(
    COURT_ORDER,
    agency_category=AgencyCategory.FEDERAL_LAW_ENFORCEMENT,
    legal_basis=LegalBasis.LAW_ENFORCEMENT,
    purpose=PurposeCategory.CRIMINAL,
    official_title="Section Chief, Violent Crimes",
    official_level=OfficialLevel.SECTION_CHIEF,
    document_kind=DocumentKind.WRITTEN_REQUEST,
    signed_by_judge=False,
    names_records=True,
    names_activity=True,
    crime_serious_or_violent=True,
    subject_indicted_or_convicted=True,
)


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
