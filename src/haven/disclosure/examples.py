"""The scenario's two agency requests, as bodies for POST /api/v1/disclosure-requests; shared by
`haven disclosure scenario` and the tests (fictional officials, judges and documents)."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

FULL_WARRANT_ELEMENTS = ("identity", "future_appointments", "contact")


def bulk_request(office_id: int, starts_from: datetime) -> dict[str, Any]:
    """Step 1: every appointment at one office for a week, for civil immigration enforcement."""
    return {
        "official_name": "Pat Example",
        "official_title": "Deputy Field Office Director",
        "official_level": "supervisor",
        "legal_basis": "law_enforcement",
        "purpose": "civil_immigration",
        "records_named": "appointment dates and times at the office",
        "activity": "civil immigration enforcement",
        "bulk": {
            "office_id": office_id,
            "starts_from": starts_from.isoformat(),
            "ends_before": (starts_from + timedelta(days=7)).isoformat(),
        },
        "data_elements": ["future_appointments"],
    }


def warrant_request(
    office_id: int,
    individual: Mapping[str, str],
    document: bytes,
    elements: Sequence[str] = FULL_WARRANT_ELEMENTS,
) -> dict[str, Any]:
    """Step 3: a judicial warrant naming one person (a name and a phone or email)."""
    return {
        "official_name": "Pat Example",
        "official_title": "Special Agent in Charge",
        "official_level": "section_chief",
        "legal_basis": "court_order",
        "purpose": "criminal",
        "records_named": "appointment records of the person named in the warrant",
        "activity": "execution of a criminal arrest warrant",
        "crime_serious_or_violent": True,
        "subject_indicted_or_convicted": True,
        "office_id": office_id,
        "individuals": [dict(individual)],
        "data_elements": list(elements),
        "document": {
            "kind": "judicial_warrant",
            "signed_by": "Hon. Maria Example",
            "signer_title": "United States Magistrate Judge",
            "issued_by": "U.S. District Court for the District of Example",
            "media_type": "application/pdf",
            "content_base64": base64.b64encode(document).decode(),
        },
    }
