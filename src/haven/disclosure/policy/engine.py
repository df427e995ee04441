"""Evaluating a request's facts against the active policy pack: Cedar for the rules, small
Python checks for what Cedar cannot see (completeness, identity matching, the registries).

Each requested data element is one Cedar request (principal: the agency's category; resource:
the element; context: the facts), so a rule can forbid one element and leave the others. A
decision is never an approval: at best it sends the request, perhaps narrowed, to the two
reviewers. Cedar errors fail closed: an element any policy errored on is denied.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import cedarpy
import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.db import TZDateTime
from haven.disclosure.policy import governance
from haven.disclosure.policy.facts import (
    DataElement,
    Decision,
    Effect,
    LegalBasis,
    Outcome,
    PurposeCategory,
    RequestFacts,
    RuleFinding,
)
from haven.disclosure.policy.models import ComputerMatchingAgreement, Injunction
from haven.disclosure.policy.pack import NAMESPACE, CompiledPack, RuleText, compile_pack
from haven.disclosure.policy.registry import MATCHING_AGREEMENT_MONTHS, add_months
from haven.scheduling.holidays import federal_holidays

NOTICE_WORKING_DAYS = 10
_ACTION = {"type": f"{NAMESPACE}::Action", "id": "disclose"}

# Built once: every decision runs it, and building a statement costs more than running it.
_INJUNCTIONS_IN_FORCE = sa.select(
    Injunction.court,
    Injunction.case_number,
    Injunction.agency_category,
    Injunction.purpose,
    Injunction.legal_basis,
    Injunction.data_elements,
).where(
    Injunction.effective_from <= sa.bindparam("now", type_=TZDateTime),
    sa.or_(
        Injunction.effective_until.is_(None),
        Injunction.effective_until > sa.bindparam("now", type_=TZDateTime),
    ),
    Injunction.lifted_at.is_(None),
)

_compiled: dict[str, CompiledPack] = {}
_compiled_lock = threading.Lock()


@dataclass(frozen=True)
class InjunctionInForce:
    """What a decision needs of an injunction that matches the request."""

    court: str
    case_number: str
    data_elements: frozenset[str]


@dataclass(frozen=True)
class PythonRule:
    """A rule checked in Python, with the same plain-language shape as the pack's."""

    rule_id: str
    explanation: str
    source: str

    def finding(
        self, effect: Effect, detail: str = "", elements: Iterable[DataElement] = ()
    ) -> RuleFinding:
        explanation = f"{self.explanation} {detail}".strip()
        return RuleFinding(self.rule_id, effect, explanation, self.source, frozenset(elements))


DEFAULT_DENY = PythonRule(
    "default_deny",
    "Nothing is disclosed without the person's consent or a basis the Privacy Act lists, "
    "and no listed basis applies here.",
    "5 U.S.C. 552a(b); 20 CFR 401.100-401.180",
)
POLICY_ERROR = PythonRule(
    "policy_error",
    "A rule could not be evaluated for this request, so the gateway refuses (fails closed).",
    "Haven disclosure policy",
)
REQUEST_COMPLETE = PythonRule(
    "request_complete",
    "The request is incomplete and was not evaluated:",
    "20 CFR 401.100-401.180",
)
ONE_RECORD_EACH = PythonRule(
    "each_individual_matches_one_record",
    "Each individual must be identified well enough to match exactly one record;",
    "5 U.S.C. 552a(b); 20 CFR 401.155",
)
FUTURE_APPOINTMENTS_THE_POINT = PythonRule(
    "future_appointments_are_the_point",
    "Without the future appointment times and place, what is left (identity alone) would "
    "only serve to locate the person for civil immigration enforcement, so the request is "
    "denied rather than narrowed.",
    "5 U.S.C. 552a(b); Haven office policy",
)
CENTRAL_OFFICE = PythonRule(
    "decided_by_central_privacy_office",
    "Requests said to be required by law are decided by the central privacy office, never in "
    "a field office; this one goes there.",
    "20 CFR 401.120; 8 U.S.C. 1360(b)",
)
EMERGENCY_NOTICE = PythonRule(
    "emergency_notice",
    "The person must be sent notice of this emergency disclosure within 10 working days, by",
    "5 U.S.C. 552a(b)(8), 552a(e)(8)",
)


def evaluate(session: Session, facts: RequestFacts, *, now: datetime) -> Decision:
    """Decide ``facts`` under the active policy version. Writes nothing, except on a fresh
    install, where the first use installs the bundled pack as version 1 (with its ledger entry)."""
    # The reads below go straight to the connection; pending changes in this unit of work (an
    # injunction just lifted, say) must be in the database first, as autoflush would do.
    session.flush()
    version = governance.active_version_ref(session, now=now)
    pack = _compiled_pack(session, version)

    def decide(
        outcome: Outcome,
        findings: Sequence[RuleFinding],
        elements: Iterable[DataElement] = (),
        individuals: Sequence[str] = (),
        notice_due: date | None = None,
    ) -> Decision:
        return Decision(
            outcome=outcome,
            findings=tuple(findings),
            allowed_elements=frozenset(elements),
            allowed_individuals=tuple(individuals),
            policy_version=version.id,
            policy_hash=version.sha256,
            notice_due=notice_due,
        )

    problems = _incomplete(facts)
    agreement = _agreement(session, facts) if not problems else None
    if facts.legal_basis is LegalBasis.COMPUTER_MATCHING and agreement is None and not problems:
        problems.append("the matching agreement named is not on file")
    if problems:
        finding = REQUEST_COMPLETE.finding(Effect.INVALID, "; ".join(problems) + ".")
        return decide(Outcome.REJECTED_INVALID, [finding])

    matched = [person.ref for person in facts.individuals if person.matched_records == 1]
    enjoining = _injunctions_in_force(session, facts, now)
    elements = sorted(facts.data_elements)
    results = cedarpy.is_authorized_batch(
        [
            _cedar_request(facts, element, matched, agreement, enjoining, now)
            for element in elements
        ],
        pack.policy_set,
        pack.entities,
    )
    allowed, findings, obligations = _findings(pack, elements, results, enjoining)
    if allowed and _future_appointments_were_the_point(facts, allowed):
        findings.append(FUTURE_APPOINTMENTS_THE_POINT.finding(Effect.FORBID))
        allowed = set()
    if not allowed:
        return decide(Outcome.DENIED, findings)

    narrowed = len(allowed) < len(elements)
    individuals: list[str] = []
    if not facts.bulk:
        individuals = matched
        unmatched = len(facts.individuals) - len(matched)
        if unmatched:
            narrowed = True
            detail = f"{unmatched} of {len(facts.individuals)} did not and were removed."
            findings.append(ONE_RECORD_EACH.finding(Effect.NARROW, detail))

    notice_due = None
    if "notify_person_within_10_working_days" in obligations:
        notice_due = add_working_days(now.date(), NOTICE_WORKING_DAYS)
        detail = f"{notice_due.isoformat()}."
        findings.append(EMERGENCY_NOTICE.finding(Effect.OBLIGE, detail))
    outcome = Outcome.NARROWED if narrowed else Outcome.REVIEW
    if "decide_at_central_privacy_office" in obligations and facts.office_id is not None:
        findings.append(CENTRAL_OFFICE.finding(Effect.OBLIGE))
        outcome = Outcome.ROUTED_TO_CENTRAL_OFFICE
    return decide(outcome, findings, allowed, individuals, notice_due)


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (weekends and federal holidays skipped)."""
    horizon = start + timedelta(days=days * 2 + 14)
    holidays = {day for day, _name in federal_holidays(start, horizon)}
    current, counted = start, 0
    while counted < days:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            counted += 1
    return current


def _compiled_pack(session: Session, version: governance.VersionRef) -> CompiledPack:
    with _compiled_lock:
        cached = _compiled.get(version.sha256)
    if cached is not None:
        return cached
    files = governance.version_files(session, version)
    pack = compile_pack(files)
    with _compiled_lock:
        _compiled[version.sha256] = pack
    return pack


def _incomplete(facts: RequestFacts) -> list[str]:
    problems = []
    if not facts.data_elements:
        problems.append("no data elements are requested (field data_elements)")
    if not facts.bulk and not facts.individuals:
        problems.append("no individuals are named (field individuals)")
    refs = [person.ref for person in facts.individuals]
    if len(set(refs)) != len(refs):
        problems.append("an individual is named twice (field individuals)")
    if any(person.matched_records < 0 for person in facts.individuals):
        problems.append("a match count is negative (field individuals)")
    if (
        facts.legal_basis is LegalBasis.ROUTINE_USE
        and not (facts.routine_use_citation or "").strip()
    ):
        problems.append("a routine use needs its notice citation (field routine_use_citation)")
    if facts.legal_basis is LegalBasis.REQUIRED_BY_LAW and not facts.statute_cited:
        problems.append("'required by law' needs the statute cited (field statute)")
    if facts.legal_basis is LegalBasis.COMPUTER_MATCHING and facts.matching_agreement_id is None:
        problems.append("computer matching needs the agreement's id (field matching_agreement_id)")
    return problems


def _agreement(session: Session, facts: RequestFacts) -> ComputerMatchingAgreement | None:
    if facts.legal_basis is not LegalBasis.COMPUTER_MATCHING or facts.matching_agreement_id is None:
        return None
    return session.get(ComputerMatchingAgreement, facts.matching_agreement_id)


def agreement_in_force(
    agreement: ComputerMatchingAgreement, facts: RequestFacts, now: datetime
) -> bool:
    """The agreement covers this agency and purpose today and keeps to the 18-month limit."""
    today = now.date()
    return (
        agreement.agency_id == facts.agency_id
        and agreement.purpose == str(facts.purpose)
        and agreement.starts_on <= today <= agreement.ends_on
        and agreement.ends_on <= add_months(agreement.starts_on, MATCHING_AGREEMENT_MONTHS)
    )


def _injunctions_in_force(
    session: Session, facts: RequestFacts, now: datetime
) -> list[InjunctionInForce]:
    rows = session.connection().execute(_INJUNCTIONS_IN_FORCE, {"now": now})
    return [
        InjunctionInForce(row.court, row.case_number, frozenset(row.data_elements or ()))
        for row in rows
        if row.agency_category in (None, str(facts.agency_category))
        and row.purpose in (None, str(facts.purpose))
        and row.legal_basis in (None, str(facts.legal_basis))
    ]


def _enjoins(injunction: InjunctionInForce, element: DataElement) -> bool:
    return not injunction.data_elements or str(element) in injunction.data_elements


def _cedar_request(
    facts: RequestFacts,
    element: DataElement,
    matched: Sequence[str],
    agreement: ComputerMatchingAgreement | None,
    enjoining: Sequence[InjunctionInForce],
    now: datetime,
) -> dict[str, Any]:
    in_force = agreement is not None and agreement_in_force(agreement, facts, now)
    context = {
        "basis": str(facts.legal_basis),
        "purpose": str(facts.purpose),
        "document_kind": str(facts.document_kind),
        "in_writing": facts.in_writing,
        "signed_by_judge": facts.signed_by_judge,
        "official_rank": facts.official_level.rank,
        "names_records": facts.names_records,
        "names_activity": facts.names_activity,
        "crime_serious_or_violent": facts.crime_serious_or_violent,
        "subject_indicted_or_convicted": facts.subject_indicted_or_convicted,
        "imminent_harm_stated": facts.imminent_harm_stated,
        "bulk": facts.bulk,
        "individuals_named": len(facts.individuals),
        "individuals_matched": len(matched),
        "matching_agreement_in_force": in_force,
        "element_in_matching_agreement": (
            in_force and agreement is not None and str(element) in agreement.data_elements
        ),
        "enjoined": any(_enjoins(injunction, element) for injunction in enjoining),
    }
    return {
        "principal": {"type": f"{NAMESPACE}::Agency", "id": str(facts.agency_category)},
        "action": _ACTION,
        "resource": {"type": f"{NAMESPACE}::DataElement", "id": str(element)},
        "context": context,
    }


def _findings(
    pack: CompiledPack,
    elements: Sequence[DataElement],
    results: Sequence[cedarpy.AuthzResult],
    enjoining: Sequence[InjunctionInForce],
) -> tuple[set[DataElement], list[RuleFinding], set[str]]:
    """Which elements Cedar allowed, one finding per rule that applied, and the obligations."""
    allowed: set[DataElement] = set()
    applied: dict[str, set[DataElement]] = defaultdict(set)
    default_denied: set[DataElement] = set()
    errored: set[DataElement] = set()
    for element, result in zip(elements, results, strict=True):
        diagnostics = result.diagnostics
        if diagnostics.errors:
            errored.add(element)
            continue
        rule_ids = [
            diagnostics.id_annotations_by_reason.get(reason, reason)
            for reason in diagnostics.reasons
        ]
        if result.allowed:
            allowed.add(element)
        elif not rule_ids:
            default_denied.add(element)
        for rule_id in rule_ids:
            applied[rule_id].add(element)

    findings: list[RuleFinding] = []
    obligations: set[str] = set()
    whole = set(elements)
    # Forbids first: they are what the agency most needs to read.
    for rule_id, touched in sorted(applied.items(), key=lambda item: _order(pack, item[0])):
        rule = pack.rules.get(rule_id)
        if rule is None:
            continue
        if rule.obligation is not None:
            obligations.add(rule.obligation)
        scope = frozenset() if touched == whole else frozenset(touched)
        findings.append(_pack_finding(rule, scope, enjoining))
    if default_denied:
        denied_scope = set() if default_denied == whole else default_denied
        findings.append(DEFAULT_DENY.finding(Effect.FORBID, elements=denied_scope))
    if errored:
        findings.append(POLICY_ERROR.finding(Effect.FORBID, elements=errored))
    return allowed, findings, obligations


def _order(pack: CompiledPack, rule_id: str) -> tuple[int, str]:
    rule = pack.rules.get(rule_id)
    return (0 if rule is not None and rule.effect == "forbid" else 1, rule_id)


def _pack_finding(
    rule: RuleText, scope: frozenset[DataElement], enjoining: Sequence[InjunctionInForce]
) -> RuleFinding:
    effect = Effect.FORBID if rule.effect == "forbid" else Effect.PERMIT
    explanation = rule.explanation
    if rule.rule_id == "court_injunction" and enjoining:
        cases = ", ".join(f"{item.court}, {item.case_number}" for item in enjoining)
        explanation = f"{explanation} ({cases})"
    return RuleFinding(rule.rule_id, effect, explanation, rule.source, scope)


def _future_appointments_were_the_point(facts: RequestFacts, allowed: set[DataElement]) -> bool:
    """Civil immigration enforcement asked for future appointments, was refused them, and only
    identity would remain."""
    return (
        facts.purpose is PurposeCategory.CIVIL_IMMIGRATION
        and DataElement.FUTURE_APPOINTMENTS in facts.data_elements
        and DataElement.FUTURE_APPOINTMENTS not in allowed
        and allowed <= {DataElement.IDENTITY}
    )
