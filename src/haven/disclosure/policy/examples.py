"""Example requests as the policy sees them, for the benchmark, the tests and the demo.

Each is a request the default pack treats in a known way; variants change one fact with
``dataclasses.replace``.
"""

from __future__ import annotations

import dataclasses

from haven.disclosure.policy.facts import (
    AgencyCategory,
    DataElement,
    DocumentKind,
    LegalBasis,
    OfficialLevel,
    PurposeCategory,
    RequestedIndividual,
    RequestFacts,
)

ONE_PERSON = (RequestedIndividual("person-1", 1),)

# A judge-signed court order for one well-identified person's identity and past visits: the
# default pack sends it to review as asked.
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
    individuals=ONE_PERSON,
    office_id=1,
)

# A (b)(7) request meeting every requirement: written, section chief, records and activity
# named, a violent crime with the subject indicted. Sent to review.
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

# The scenario's step 1: everyone's future appointments at one office, for civil immigration
# enforcement, on a signed letter. Denied: bulk, civil immigration, no judicial warrant.
CIVIL_IMMIGRATION_BULK = dataclasses.replace(
    LAW_ENFORCEMENT,
    agency_category=AgencyCategory.IMMIGRATION_ENFORCEMENT,
    purpose=PurposeCategory.CIVIL_IMMIGRATION,
    official_title="Field Office Director",
    crime_serious_or_violent=False,
    subject_indicted_or_convicted=False,
    data_elements=frozenset({DataElement.FUTURE_APPOINTMENTS}),
    bulk=True,
    individuals=(),
)

# The scenario's step 3: a judicial warrant naming one person. Sent to review.
JUDICIAL_WARRANT = dataclasses.replace(
    CIVIL_IMMIGRATION_BULK,
    legal_basis=LegalBasis.COURT_ORDER,
    document_kind=DocumentKind.JUDICIAL_WARRANT,
    signed_by_judge=True,
    bulk=False,
    individuals=ONE_PERSON,
    data_elements=frozenset({DataElement.IDENTITY, DataElement.FUTURE_APPOINTMENTS}),
)
