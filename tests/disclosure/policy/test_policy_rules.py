"""Each rule of the default pack, with a request it lets through and one it stops."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from haven.clock import ManualClock
from haven.disclosure.policy import (
    AgencyCategory,
    DataElement,
    DocumentKind,
    Effect,
    LegalBasis,
    OfficialLevel,
    Outcome,
    PurposeCategory,
    RequestedIndividual,
    RequestFacts,
)
from haven.disclosure.policy.examples import (
    CIVIL_IMMIGRATION_BULK,
    COURT_ORDER,
    JUDICIAL_WARRANT,
    LAW_ENFORCEMENT,
)
from haven.disclosure.policy.models import ComputerMatchingAgreement
from haven.disclosure.policy.pack import bundled_files, pack_hash
from haven.disclosure.policy.registry import (
    InjunctionScope,
    lift_injunction,
    record_injunction,
    record_matching_agreement,
)
from tests.disclosure.policy.support import (
    decide,
    elements,
    facts,
    rule_ids,
)

ID = DataElement.IDENTITY
HISTORY = DataElement.APPOINTMENT_HISTORY
FUTURE = DataElement.FUTURE_APPOINTMENTS
CONTACT = DataElement.CONTACT
TAX = DataElement.TAX_RETURN_INFORMATION


def test_a_complete_court_order_goes_to_review_under_the_bundled_pack(
    session: Session, clock: ManualClock
) -> None:
    decision = decide(session, clock, COURT_ORDER)
    assert decision.outcome is Outcome.REVIEW
    assert decision.allowed_elements == elements(ID, HISTORY)
    assert decision.allowed_individuals == ("person-1",)
    assert decision.policy_version == 1
    assert decision.policy_hash == pack_hash(bundled_files())
    [finding] = decision.findings
    assert (finding.rule_id, finding.effect) == ("court_order", Effect.PERMIT)
    assert "552a(b)(11)" in finding.source


def agreement_on_file(
    session: Session, clock: ManualClock, covered: list[DataElement], starts: date, ends: date
) -> ComputerMatchingAgreement:
    """A benefit-fraud matching agreement with agency 7 covering these elements."""
    return record_matching_agreement(
        session,
        clock,
        actor="staff:1",
        title="Benefit eligibility match",
        agency_id=7,
        parties="Haven field offices; State benefits agency",
        purpose=PurposeCategory.BENEFIT_FRAUD,
        purpose_text="Detect duplicate benefit claims",
        data_elements=covered,
        starts_on=starts,
        ends_on=ends,
    )


def matching_request(agreement: ComputerMatchingAgreement, **changes: Any) -> RequestFacts:
    """Agency 7's bulk benefit-fraud request under the agreement."""
    request = facts(
        agency_category=AgencyCategory.BENEFITS_PROGRAM,
        legal_basis=LegalBasis.COMPUTER_MATCHING,
        purpose=PurposeCategory.BENEFIT_FRAUD,
        matching_agreement_id=agreement.id,
        agency_id=7,
        bulk=True,
        individuals=(),
    )
    return facts(request, **changes)


def test_default_deny_an_element_no_basis_covers(session: Session, clock: ManualClock) -> None:
    # A matching agreement covers identity only; contact has no basis, so it is refused.
    agreement = agreement_on_file(
        session,
        clock,
        [ID],
        clock.now().date() - timedelta(days=10),
        clock.now().date() + timedelta(days=300),
    )
    request = matching_request(agreement, data_elements=elements(ID, CONTACT))
    decision = decide(session, clock, request)
    assert decision.outcome is Outcome.NARROWED
    assert decision.allowed_elements == elements(ID)
    denied = [f for f in decision.findings if f.rule_id == "default_deny"]
    assert [f.data_elements for f in denied] == [elements(CONTACT)]
    assert "computer_matching_agreement" in rule_ids(decision)


def test_default_deny_when_the_agreement_is_for_another_agency(
    session: Session, clock: ManualClock
) -> None:
    agreement = agreement_on_file(
        session, clock, [ID], clock.now().date(), clock.now().date() + timedelta(days=30)
    )
    request = facts(
        legal_basis=LegalBasis.COMPUTER_MATCHING,
        purpose=PurposeCategory.BENEFIT_FRAUD,
        matching_agreement_id=agreement.id,
        agency_id=8,
        bulk=True,
        individuals=(),
        data_elements=elements(ID),
    )
    decision = decide(session, clock, request)
    assert decision.outcome is Outcome.DENIED
    assert "matching_agreement_in_force" in rule_ids(decision)


@pytest.mark.parametrize(
    ("in_writing", "outcome", "rule"),
    [(True, Outcome.REVIEW, "consent"), (False, Outcome.DENIED, "consent_must_be_written")],
)
def test_consent_counts_only_in_writing(
    session: Session, clock: ManualClock, in_writing: bool, outcome: Outcome, rule: str
) -> None:
    request = facts(
        legal_basis=LegalBasis.CONSENT,
        document_kind=DocumentKind.CONSENT_FORM,
        in_writing=in_writing,
        signed_by_judge=False,
    )
    decision = decide(session, clock, request)
    assert decision.outcome is outcome
    assert rule in rule_ids(decision)


def test_routine_use_needs_its_notice_citation(session: Session, clock: ManualClock) -> None:
    cited = facts(legal_basis=LegalBasis.ROUTINE_USE, routine_use_citation="SORN 60-0058, RU 3")
    assert decide(session, clock, cited).outcome is Outcome.REVIEW
    uncited = decide(session, clock, facts(legal_basis=LegalBasis.ROUTINE_USE))
    assert uncited.outcome is Outcome.REJECTED_INVALID
    assert "routine_use_citation" in uncited.findings[0].explanation
    assert uncited.allowed_elements == frozenset()


def test_a_subpoena_is_not_a_court_order(session: Session, clock: ManualClock) -> None:
    decision = decide(
        session, clock, facts(document_kind=DocumentKind.SUBPOENA, signed_by_judge=False)
    )
    assert decision.outcome is Outcome.DENIED
    assert {"subpoena_is_not_a_court_order", "court_order_signed_by_judge"} <= rule_ids(decision)
    assert decision.allowed_elements == frozenset()


def test_a_court_order_must_be_signed_by_a_judge(session: Session, clock: ManualClock) -> None:
    decision = decide(session, clock, facts(signed_by_judge=False))
    assert decision.outcome is Outcome.DENIED
    assert rule_ids(decision) == {"court_order_signed_by_judge"}


def test_a_complete_law_enforcement_request_goes_to_review(
    session: Session, clock: ManualClock
) -> None:
    decision = decide(session, clock, LAW_ENFORCEMENT)
    assert decision.outcome is Outcome.REVIEW
    assert rule_ids(decision) == {"law_enforcement_request"}


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"in_writing": False}, "law_enforcement_in_writing"),
        ({"official_level": OfficialLevel.SUPERVISOR}, "law_enforcement_section_chief"),
        ({"official_level": OfficialLevel.AGENT}, "law_enforcement_section_chief"),
        ({"names_records": False}, "law_enforcement_names_records_and_activity"),
        ({"names_activity": False}, "law_enforcement_names_records_and_activity"),
    ],
)
def test_law_enforcement_requests_are_written_senior_and_specific(
    session: Session, clock: ManualClock, change: dict[str, object], rule: str
) -> None:
    decision = decide(session, clock, facts(LAW_ENFORCEMENT, **change))
    assert decision.outcome is Outcome.DENIED
    assert rule in rule_ids(decision)


def test_a_division_head_outranks_a_section_chief(session: Session, clock: ManualClock) -> None:
    request = facts(LAW_ENFORCEMENT, official_level=OfficialLevel.DIVISION_HEAD)
    assert decide(session, clock, request).outcome is Outcome.REVIEW


@pytest.mark.parametrize(
    ("change", "outcome"),
    [
        ({"subject_indicted_or_convicted": False}, Outcome.DENIED),
        ({"crime_serious_or_violent": False}, Outcome.DENIED),
        (
            {
                "purpose": PurposeCategory.BENEFIT_FRAUD,
                "crime_serious_or_violent": False,
                "subject_indicted_or_convicted": False,
            },
            Outcome.REVIEW,
        ),
    ],
)
def test_law_enforcement_only_for_serious_crime_charged_or_benefit_fraud(
    session: Session, clock: ManualClock, change: dict[str, object], outcome: Outcome
) -> None:
    decision = decide(session, clock, facts(LAW_ENFORCEMENT, **change))
    assert decision.outcome is outcome
    stopped = "law_enforcement_serious_crime_or_benefit_fraud" in rule_ids(decision)
    assert stopped is (outcome is Outcome.DENIED)


def test_tax_return_information_is_never_released(session: Session, clock: ManualClock) -> None:
    narrowed = decide(session, clock, facts(data_elements=elements(ID, TAX)))
    assert narrowed.outcome is Outcome.NARROWED
    assert narrowed.allowed_elements == elements(ID)
    [tax_rule] = [f for f in narrowed.findings if f.rule_id == "never_tax_return_information"]
    assert tax_rule.data_elements == elements(TAX)
    only_tax = decide(session, clock, facts(data_elements=elements(TAX)))
    assert only_tax.outcome is Outcome.DENIED


@pytest.mark.parametrize(
    ("change", "outcome"),
    [
        ({"bulk": True, "individuals": ()}, Outcome.DENIED),
        (
            {"individuals": tuple(RequestedIndividual(f"p{n}", 1) for n in range(11))},
            Outcome.DENIED,
        ),
        ({"individuals": tuple(RequestedIndividual(f"p{n}", 1) for n in range(3))}, Outcome.REVIEW),
    ],
)
def test_specific_individuals_only(
    session: Session, clock: ManualClock, change: dict[str, object], outcome: Outcome
) -> None:
    decision = decide(session, clock, facts(**change))
    assert decision.outcome is outcome
    assert ("specific_individuals_only" in rule_ids(decision)) is (outcome is Outcome.DENIED)


def test_individuals_not_matched_to_exactly_one_record_are_removed(
    session: Session, clock: ManualClock
) -> None:
    people = (
        RequestedIndividual("one-match", 1),
        RequestedIndividual("two-matches", 2),
        RequestedIndividual("no-match", 0),
    )
    decision = decide(session, clock, facts(individuals=people))
    assert decision.outcome is Outcome.NARROWED
    assert decision.allowed_individuals == ("one-match",)
    [narrowing] = [f for f in decision.findings if f.effect is Effect.NARROW]
    assert narrowing.rule_id == "each_individual_matches_one_record"
    assert "2 of 3" in narrowing.explanation


def test_no_individual_matched_is_denied(session: Session, clock: ManualClock) -> None:
    people = (RequestedIndividual("ambiguous", 3), RequestedIndividual("unknown", 0))
    decision = decide(session, clock, facts(individuals=people))
    assert decision.outcome is Outcome.DENIED
    assert "each_individual_matched" in rule_ids(decision)


CIVIL_IMMIGRATION = facts(
    agency_category=AgencyCategory.IMMIGRATION_ENFORCEMENT,
    purpose=PurposeCategory.CIVIL_IMMIGRATION,
    document_kind=DocumentKind.ADMINISTRATIVE_WARRANT,
)


def test_future_appointments_are_narrowed_out_for_civil_immigration_without_a_warrant(
    session: Session, clock: ManualClock
) -> None:
    request = facts(CIVIL_IMMIGRATION, data_elements=elements(ID, HISTORY, FUTURE))
    decision = decide(session, clock, request)
    assert decision.outcome is Outcome.NARROWED
    assert decision.allowed_elements == elements(ID, HISTORY)
    [rule] = [f for f in decision.findings if f.rule_id == "future_appointments_civil_immigration"]
    assert rule.data_elements == elements(FUTURE)


def test_future_appointments_denied_when_they_are_the_point(
    session: Session, clock: ManualClock
) -> None:
    decision = decide(session, clock, facts(CIVIL_IMMIGRATION, data_elements=elements(ID, FUTURE)))
    assert decision.outcome is Outcome.DENIED
    assert "future_appointments_are_the_point" in rule_ids(decision)
    assert decision.allowed_elements == frozenset()


def test_future_appointments_with_a_judicial_warrant_go_to_review(
    session: Session, clock: ManualClock
) -> None:
    request = facts(
        CIVIL_IMMIGRATION,
        document_kind=DocumentKind.JUDICIAL_WARRANT,
        data_elements=elements(ID, FUTURE),
    )
    decision = decide(session, clock, request)
    assert decision.outcome is Outcome.REVIEW
    assert decision.allowed_elements == elements(ID, FUTURE)


def test_required_by_law_is_routed_to_the_central_privacy_office(
    session: Session, clock: ManualClock
) -> None:
    request = facts(
        CIVIL_IMMIGRATION,
        legal_basis=LegalBasis.REQUIRED_BY_LAW,
        statute="8 U.S.C. 1360(b)",
        data_elements=elements(ID),
    )
    field_office = decide(session, clock, request)
    assert field_office.outcome is Outcome.ROUTED_TO_CENTRAL_OFFICE
    assert "decided_by_central_privacy_office" in rule_ids(field_office)
    central = decide(session, clock, facts(request, office_id=None))
    assert central.outcome is Outcome.REVIEW
    no_statute = decide(session, clock, facts(request, statute="  "))
    assert no_statute.outcome is Outcome.REJECTED_INVALID
    assert "statute" in no_statute.findings[0].explanation


def test_an_injunction_in_force_denies_matching_requests(
    session: Session, clock: ManualClock
) -> None:
    injunction = record_injunction(
        session,
        clock,
        actor="staff:2",
        court="U.S. District Court (D. Example)",
        case_number="1:26-cv-01234",
        summary="No sharing with immigration enforcement for civil purposes",
        scope=InjunctionScope(
            agency_category=AgencyCategory.IMMIGRATION_ENFORCEMENT,
            purpose=PurposeCategory.CIVIL_IMMIGRATION,
        ),
        effective_from=clock.now() - timedelta(days=1),
    )
    warrant = facts(CIVIL_IMMIGRATION, document_kind=DocumentKind.JUDICIAL_WARRANT)
    enjoined = decide(session, clock, warrant)
    assert enjoined.outcome is Outcome.DENIED
    [finding] = [f for f in enjoined.findings if f.rule_id == "court_injunction"]
    assert "1:26-cv-01234" in finding.explanation
    # Another agency's request is outside its scope.
    assert decide(session, clock, COURT_ORDER).outcome is Outcome.REVIEW
    lift_injunction(session, clock, actor="staff:2", injunction_id=injunction.id)
    assert decide(session, clock, warrant).outcome is Outcome.REVIEW


def test_an_injunction_binds_only_while_in_force(session: Session, clock: ManualClock) -> None:
    record_injunction(
        session,
        clock,
        actor="staff:2",
        court="Court",
        case_number="2:26-cv-9",
        summary="Bars sharing of contact details",
        scope=InjunctionScope(data_elements=elements(CONTACT)),
        effective_from=clock.now() + timedelta(days=1),
        effective_until=clock.now() + timedelta(days=5),
    )
    request = facts(data_elements=elements(ID, CONTACT))
    assert decide(session, clock, request).outcome is Outcome.REVIEW
    clock.advance(timedelta(days=2))
    during = decide(session, clock, request)
    assert during.outcome is Outcome.NARROWED
    assert during.allowed_elements == elements(ID)
    clock.advance(timedelta(days=5))
    assert decide(session, clock, request).outcome is Outcome.REVIEW


def test_an_emergency_needs_imminent_harm_and_sets_a_notice_deadline(
    session: Session, clock: ManualClock
) -> None:
    emergency = facts(
        agency_category=AgencyCategory.HEALTH,
        legal_basis=LegalBasis.HEALTH_SAFETY_EMERGENCY,
        purpose=PurposeCategory.HEALTH_SAFETY,
        document_kind=DocumentKind.WRITTEN_REQUEST,
        signed_by_judge=False,
        imminent_harm_stated=True,
        data_elements=elements(CONTACT),
    )
    decision = decide(session, clock, emergency)
    assert decision.outcome is Outcome.REVIEW
    # Monday 30 November 2026 + 10 working days (no federal holiday between) = 14 December.
    assert decision.notice_due == date(2026, 12, 14)
    assert "emergency_notice" in rule_ids(decision)
    unstated = decide(session, clock, facts(emergency, imminent_harm_stated=False))
    assert unstated.outcome is Outcome.DENIED
    assert "emergency_needs_imminent_harm" in rule_ids(unstated)
    assert unstated.notice_due is None


def test_the_notice_deadline_skips_federal_holidays(session: Session, clock: ManualClock) -> None:
    from haven.disclosure.policy.engine import add_working_days

    # From Friday 18 December 2026: Christmas (Friday 25th) and New Year (Friday 1st) are skipped.
    assert add_working_days(date(2026, 12, 18), 10) == date(2027, 1, 5)


def test_a_matching_agreement_allows_bulk_only_while_in_force(
    session: Session, clock: ManualClock
) -> None:
    today = clock.now().date()
    agreement = agreement_on_file(session, clock, [ID, HISTORY], today, today + timedelta(days=30))
    request = matching_request(agreement)
    assert decide(session, clock, request).outcome is Outcome.REVIEW
    clock.advance(timedelta(days=31))
    expired = decide(session, clock, request)
    assert expired.outcome is Outcome.DENIED
    assert "matching_agreement_in_force" in rule_ids(expired)


def test_a_matching_agreement_runs_at_most_18_months(session: Session, clock: ManualClock) -> None:
    from haven.disclosure.policy.errors import RegistryInvalid

    with pytest.raises(RegistryInvalid) as refused:
        record_matching_agreement(
            session,
            clock,
            actor="staff:1",
            title="Too long",
            agency_id=7,
            parties="Haven; State",
            purpose=PurposeCategory.BENEFIT_FRAUD,
            purpose_text="Duplicate claims",
            data_elements=[ID],
            starts_on=date(2027, 1, 1),
            ends_on=date(2028, 7, 2),
        )
    assert refused.value.field == "ends_on"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"data_elements": frozenset()}, "data_elements"),
        ({"individuals": ()}, "individuals"),
        (
            {"individuals": (RequestedIndividual("a", 1), RequestedIndividual("a", 1))},
            "individuals",
        ),
        ({"legal_basis": LegalBasis.COMPUTER_MATCHING}, "matching_agreement_id"),
        (
            {"legal_basis": LegalBasis.COMPUTER_MATCHING, "matching_agreement_id": 999},
            "not on file",
        ),
    ],
)
def test_incomplete_requests_are_rejected_as_invalid(
    session: Session, clock: ManualClock, change: dict[str, object], field: str
) -> None:
    decision = decide(session, clock, facts(**change))
    assert decision.outcome is Outcome.REJECTED_INVALID
    assert field in decision.findings[0].explanation
    assert decision.allowed_elements == frozenset()
    assert decision.policy_version == 1


def test_scenario_step_1_bulk_civil_immigration_request_is_denied_with_its_reasons(
    session: Session, clock: ManualClock
) -> None:
    decision = decide(session, clock, CIVIL_IMMIGRATION_BULK)
    assert decision.outcome is Outcome.DENIED
    assert decision.allowed_elements == frozenset()
    assert decision.allowed_individuals == ()
    assert {
        "specific_individuals_only",
        "future_appointments_civil_immigration",
        "law_enforcement_serious_crime_or_benefit_fraud",
    } <= rule_ids(decision)
    assert all(finding.effect is Effect.FORBID for finding in decision.findings)
    assert all(finding.explanation and finding.source for finding in decision.findings)


def test_scenario_step_3_a_judicial_warrant_for_one_person_goes_to_review(
    session: Session, clock: ManualClock
) -> None:
    decision = decide(session, clock, JUDICIAL_WARRANT)
    assert decision.outcome is Outcome.REVIEW
    assert decision.allowed_elements == elements(ID, FUTURE)
    assert decision.allowed_individuals == ("person-1",)
