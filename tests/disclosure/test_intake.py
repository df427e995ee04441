"""Intake: what an agency names is kept only sealed and blind-indexed, matching decrypts
nothing for a request the policy refuses, and paper intake refuses what the API refuses."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.db import unit_of_work
from haven.disclosure.models import DisclosureRequest, NamedIndividual
from tests.access.web_support import sign_in
from tests.disclosure.support import (
    TARGET_NAME,
    WARRANT_PDF,
    AgencyApi,
    World,
    entries,
    warrant_request,
)
from tests.web.page_support import read


def test_named_individuals_are_kept_sealed_and_never_reach_the_ledger(
    agency_api: AgencyApi, world: World, sessions: sessionmaker[Session]
) -> None:
    assert agency_api.submit(warrant_request(world.office_id)).status_code == 201
    with unit_of_work(sessions) as session:
        [person] = session.query(NamedIndividual).all()
        assert person.candidates == 1
        assert len(person.contact_index) == 64
        assert TARGET_NAME.encode() not in person.identifiers_wrapped
        assert b"5550111" not in person.identifiers_wrapped
    ledger = json.dumps(entries(sessions))
    assert TARGET_NAME not in ledger
    assert "5550111" not in ledger
    assert "555-0111" not in ledger


def test_a_person_matching_no_record_is_refused_without_decrypting_anyone(
    agency_api: AgencyApi, world: World, sessions: sessionmaker[Session]
) -> None:
    payload = warrant_request(world.office_id)
    payload["individuals"] = [{"name": TARGET_NAME, "phone": "+12025550199"}]
    answer = agency_api.submit(payload).json()
    assert answer["status"] == "denied"
    assert [r["rule"] for r in answer["decision"]["reasons"]] == ["each_individual_matched"]
    assert entries(sessions, "access:personal_data") == []


def test_identifiers_that_point_at_one_record_between_them_match_it(
    agency_api: AgencyApi, world: World, sessions: sessionmaker[Session]
) -> None:
    payload = warrant_request(world.office_id)
    # The phone is the person's; the email is nobody's: between them, one record.
    payload["individuals"] = [
        {"name": TARGET_NAME, "phone": "+12025550111", "email": "nobody@example.org"}
    ]
    answer = agency_api.submit(payload).json()
    assert answer["status"] == "in-review"
    with unit_of_work(sessions) as session:
        assert session.query(NamedIndividual).one().candidates == 1


def test_a_name_that_is_not_the_record_s_is_not_a_match(
    agency_api: AgencyApi, world: World, sessions: sessionmaker[Session]
) -> None:
    payload = warrant_request(world.office_id)
    payload["individuals"] = [{"name": "Somebody Else Entirely", "phone": "+12025550111"}]
    answer = agency_api.submit(payload).json()
    # The blind index finds one record, the purpose-bound read shows the name differs.
    assert answer["status"] == "in-review"
    with unit_of_work(sessions) as session:
        assert session.query(NamedIndividual).one().matched_person_id is None
    [read_entry] = entries(sessions, "access:personal_data:read")
    assert read_entry["purpose"] == "disclosure review"


def test_paper_intake_refuses_markup_naming_the_field_and_stores_nothing(
    app_client: TestClient, world: World, sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    sign_in(app_client, world.intake, clock)
    form = read(app_client.get("/staff/disclosure/intake")).form("/staff/disclosure/intake")
    data = form.data(
        agency_id=str(world.immigration.agency_id),
        official_name="<script>alert(1)</script>",
        official_title="Special Agent",
        individual_name=TARGET_NAME,
        individual_phone="202-555-0111",
        data_elements=["identity"],
    )
    response = app_client.post(
        "/staff/disclosure/intake",
        data=data,
        files={"document": ("letter.pdf", WARRANT_PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert response.status_code == 422
    page = read(response)
    assert "official_name" in page.text
    assert "<script>alert(1)</script>" not in page.html
    missing_scan = app_client.post(
        "/staff/disclosure/intake",
        data={**data, "official_name": "Pat Example"},
        follow_redirects=False,
    )
    assert missing_scan.status_code == 422
    assert "scanned" in read(missing_scan).text
    with unit_of_work(sessions) as session:
        assert session.query(DisclosureRequest).count() == 0


def test_only_the_privacy_office_enters_paper_requests(
    app_client: TestClient, world: World, clock: ManualClock
) -> None:
    sign_in(app_client, world.counsel, clock)
    assert app_client.get("/staff/disclosure/intake").status_code == 403
    assert app_client.get("/staff/disclosure/").status_code == 200
