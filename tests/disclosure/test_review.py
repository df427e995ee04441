"""Review: two distinct reviewers (a privacy officer and counsel), neither the intake person
nor each other, each signing with a fresh TOTP code; through the service and the real pages."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.access.models import Role
from haven.access.second_factor import STEP_SECONDS, code_at
from haven.clock import ManualClock
from haven.db import unit_of_work
from haven.disclosure import review, service
from haven.disclosure.errors import ReviewRefused
from haven.disclosure.models import DisclosureRequest, RequestDocument, RequestStatus
from haven.vault.keys import Keyring
from tests.access.web_support import sign_in
from tests.disclosure.support import (
    WARRANT_PDF,
    AgencyApi,
    World,
    entries,
    reviewer,
    warrant_request,
)
from tests.web.page_support import read


def _in_review(agency_api: AgencyApi, world: World) -> str:
    response = agency_api.submit(warrant_request(world.office_id))
    assert response.json()["status"] == "in-review", response.text
    public_id: str = response.json()["id"]
    return public_id


def test_one_person_cannot_sign_twice_even_holding_both_roles(
    agency_api: AgencyApi,
    world: World,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
) -> None:
    public_id = _in_review(agency_api, world)
    with unit_of_work(sessions) as session:
        request = service.get_request(session, public_id)
        review.approve(
            session,
            keyring,
            clock,
            request,
            reviewer(world.privacy_officer, Role.PRIVACY_OFFICER, clock),
        )
        again = reviewer(world.privacy_officer, Role.COUNSEL, clock)
        with pytest.raises(ReviewRefused, match="already signed"):
            review.approve(session, keyring, clock, request, again)
        # A second privacy officer is not counsel: the same role never signs twice.
        with pytest.raises(ReviewRefused, match="role has already signed"):
            review.approve(
                session,
                keyring,
                clock,
                request,
                reviewer(world.second_privacy_officer, Role.PRIVACY_OFFICER, clock),
            )
        assert request.status == RequestStatus.IN_REVIEW


def test_a_wrong_or_reused_code_does_not_sign(
    agency_api: AgencyApi,
    world: World,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
) -> None:
    public_id = _in_review(agency_api, world)
    signature = reviewer(world.counsel, Role.COUNSEL, clock)
    with unit_of_work(sessions) as session:
        request = service.get_request(session, public_id)
        wrong = review.Signature(
            signature.principal, "000000" if signature.totp_code != "000000" else "111111"
        )
        with pytest.raises(ReviewRefused, match="authenticator code"):
            review.deny(session, keyring, clock, request, wrong)
    with unit_of_work(sessions) as session:
        request = service.get_request(session, public_id)
        review.deny(session, keyring, clock, request, signature)
    with unit_of_work(sessions) as session:
        request = service.get_request(session, public_id)
        with pytest.raises(ReviewRefused):
            review.deny(session, keyring, clock, request, signature)  # same code, same step


def test_a_denial_by_either_reviewer_denies(
    agency_api: AgencyApi,
    world: World,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
) -> None:
    public_id = _in_review(agency_api, world)
    with unit_of_work(sessions) as session:
        request = service.get_request(session, public_id)
        review.approve(
            session,
            keyring,
            clock,
            request,
            reviewer(world.privacy_officer, Role.PRIVACY_OFFICER, clock),
        )
        review.deny(session, keyring, clock, request, reviewer(world.counsel, Role.COUNSEL, clock))
        assert request.status == RequestStatus.DENIED
    decided = entries(sessions, "disclosure:request:decided")
    assert [e["outcome"] for e in decided] == ["denied"]


def test_narrowing_beyond_what_the_policy_allowed_is_refused(
    agency_api: AgencyApi,
    world: World,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
) -> None:
    response = agency_api.submit(warrant_request(world.office_id, ["identity"]))
    with unit_of_work(sessions) as session:
        request = service.get_request(session, response.json()["id"])
        with pytest.raises(ReviewRefused, match="elements"):
            review.narrow(
                session,
                keyring,
                clock,
                request,
                reviewer(world.counsel, Role.COUNSEL, clock),
                elements={"identity", "contact"},
                individuals={"individual:0"},
            )


def test_paper_intake_then_review_through_the_pages_and_the_intake_person_may_not_review(
    app_client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
    clock: ManualClock,
) -> None:
    sign_in(app_client, world.intake, clock)
    form = read(app_client.get("/staff/disclosure/intake")).form("/staff/disclosure/intake")
    payload = warrant_request(world.office_id)
    data = form.data(
        agency_id=str(world.immigration.agency_id),
        official_name=payload["official_name"],
        official_title=payload["official_title"],
        official_level="section_chief",
        legal_basis="court_order",
        purpose="criminal",
        records_named=payload["records_named"],
        activity=payload["activity"],
        office_id=str(world.office_id),
        crime_serious_or_violent="yes",
        subject_indicted_or_convicted="yes",
        individual_name="Rosa Example",
        individual_phone="202-555-0111",
        data_elements=["identity", "future_appointments"],
        document_kind="judicial_warrant",
        signed_by="Hon. Maria Example",
        signer_title="United States Magistrate Judge",
        issued_by="U.S. District Court",
    )
    response = app_client.post(
        "/staff/disclosure/intake",
        data=data,
        files={"document": ("warrant.pdf", WARRANT_PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    page_url = response.headers["location"]
    public_id = page_url.rsplit("/", 1)[1]
    with unit_of_work(sessions) as session:
        request = service.get_request(session, public_id)
        assert request.channel == "paper"
        assert request.status == RequestStatus.IN_REVIEW
        [document] = session.query(RequestDocument).filter_by(request_id=request.id).all()
        assert document.sha256 == hashlib.sha256(WARRANT_PDF).hexdigest()

    page = read(app_client.get(page_url))
    assert "An order of a court of competent jurisdiction" in page.text
    assert hashlib.sha256(WARRANT_PDF).hexdigest() in page.text
    assert "matched exactly one record" in page.text
    assert "Rosa" not in page.text  # reviewers see whether a person matched, not who
    # The intake person holds the privacy officer role, but may not review what they entered.
    clock.advance(timedelta(seconds=STEP_SECONDS))
    assert world.intake.enrolment is not None
    refused = page.form("/review").submit(
        app_client, totp_code=code_at(world.intake.enrolment.secret, clock.now())
    )
    assert refused.status_code == 403
    assert "entered a request cannot review it" in read(refused).text

    for staff in (world.privacy_officer, world.counsel):
        browser = TestClient(app_client.app)
        clock.advance(timedelta(seconds=STEP_SECONDS))
        sign_in(browser, staff, clock)
        clock.advance(timedelta(seconds=STEP_SECONDS))
        assert staff.enrolment is not None
        signed = (
            read(browser.get(page_url))
            .form("/review")
            .submit(browser, totp_code=code_at(staff.enrolment.secret, clock.now()))
        )
        assert signed.status_code == 303, read(signed).text
    with unit_of_work(sessions) as session:
        assert session.query(DisclosureRequest).filter_by(public_id=public_id).one().status == (
            RequestStatus.APPROVED
        )
    queue = read(browser.get("/staff/disclosure/"))
    assert public_id[:8] in queue.text
