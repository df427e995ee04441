"""What counsel records: injunctions that bar sharing, and computer matching agreements.

Both change what a request gets without changing the pack: the pack's rules read them
(``court_injunction``, ``computer_matching_agreement``). Each action writes its row and its
ledger entry in the caller's transaction, and is open only to counsel.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.access.models import Role, RoleAssignment, StaffAccount
from haven.clock import Clock
from haven.disclosure.policy.errors import RegistryInvalid, SignatureRefused
from haven.disclosure.policy.events import PolicyEvent
from haven.disclosure.policy.facts import AgencyCategory, DataElement, LegalBasis, PurposeCategory
from haven.disclosure.policy.models import ComputerMatchingAgreement, Injunction
from haven.ledger.store import append

MATCHING_AGREEMENT_MONTHS = 18


@dataclass(frozen=True)
class InjunctionScope:
    """Which requests an injunction bars; None (or no elements) matches everything."""

    agency_category: AgencyCategory | None = None
    purpose: PurposeCategory | None = None
    legal_basis: LegalBasis | None = None
    data_elements: frozenset[DataElement] = frozenset()


def counsel_actor(session: Session, username: str) -> str:
    """The ledger name of an active account holding the counsel role; refuses anyone else."""
    return _actor_holding(session, username, {Role.COUNSEL}, "only counsel keeps the registry")


def staff_actor_of(session: Session, username: str) -> str:
    """The ledger name of an active privacy officer or counsel (who may propose or activate)."""
    return _actor_holding(
        session,
        username,
        {Role.PRIVACY_OFFICER, Role.COUNSEL},
        "only a privacy officer or counsel acts on policy versions",
    )


def _actor_holding(session: Session, username: str, roles: set[Role], refusal: str) -> str:
    account = session.scalar(
        sa.select(StaffAccount).where(StaffAccount.username == username.strip().lower())
    )
    if account is None or account.disabled:
        raise SignatureRefused("no active staff account has that username", field="as")
    holds = session.scalar(
        sa.select(sa.func.count())
        .select_from(RoleAssignment)
        .where(RoleAssignment.account_id == account.id, RoleAssignment.role.in_(roles))
    )
    if not holds:
        raise SignatureRefused(refusal, field="as")
    return account.actor


def record_injunction(
    session: Session,
    clock: Clock,
    *,
    actor: str,
    court: str,
    case_number: str,
    summary: str,
    scope: InjunctionScope,
    effective_from: datetime,
    effective_until: datetime | None = None,
) -> Injunction:
    """Record a court injunction; matching requests are denied while it is in force."""
    court, case_number, summary = (
        _text(court, "court", 200),
        _text(case_number, "case_number", 100),
        _text(summary, "summary", 500),
    )
    if effective_until is not None and effective_until <= effective_from:
        raise RegistryInvalid("the injunction must end after it starts", field="effective_until")
    injunction = Injunction(
        court=court,
        case_number=case_number,
        summary=summary,
        agency_category=_value(scope.agency_category),
        purpose=_value(scope.purpose),
        legal_basis=_value(scope.legal_basis),
        data_elements=sorted(str(element) for element in scope.data_elements),
        effective_from=effective_from,
        effective_until=effective_until,
        recorded_by=actor,
        recorded_at=clock.now(),
    )
    session.add(injunction)
    session.flush()
    append(
        session,
        PolicyEvent.INJUNCTION_RECORDED,
        actor=actor,
        time=clock.now(),
        refs=[f"injunction:{injunction.id}"],
        injunction=injunction.id,
        court=court,
        case_number=case_number,
        agency_category=injunction.agency_category,
        purpose_category=injunction.purpose,
        legal_basis=injunction.legal_basis,
        data_elements=injunction.data_elements,
        effective_from=effective_from.isoformat(),
        effective_until=effective_until.isoformat() if effective_until else None,
    )
    return injunction


def lift_injunction(session: Session, clock: Clock, *, actor: str, injunction_id: int) -> None:
    """Record that an injunction no longer binds (dissolved, vacated or expired early)."""
    injunction = session.get(Injunction, injunction_id, with_for_update=True)
    if injunction is None:
        raise RegistryInvalid(f"injunction {injunction_id} does not exist", field="injunction")
    if injunction.lifted_at is not None:
        raise RegistryInvalid(f"injunction {injunction_id} was lifted already", field="injunction")
    injunction.lifted_at = clock.now()
    injunction.lifted_by = actor
    session.flush()
    append(
        session,
        PolicyEvent.INJUNCTION_LIFTED,
        actor=actor,
        time=clock.now(),
        refs=[f"injunction:{injunction_id}"],
        injunction=injunction_id,
    )


def list_injunctions(session: Session) -> list[Injunction]:
    return list(session.scalars(sa.select(Injunction).order_by(Injunction.id)))


def record_matching_agreement(
    session: Session,
    clock: Clock,
    *,
    actor: str,
    title: str,
    agency_id: int,
    parties: str,
    purpose: PurposeCategory,
    purpose_text: str,
    data_elements: Iterable[DataElement],
    starts_on: date,
    ends_on: date,
) -> ComputerMatchingAgreement:
    """Record a computer matching agreement: at most 18 months, with its parties, purpose and
    fields (5 U.S.C. 552a(o))."""
    elements = sorted(str(element) for element in set(data_elements))
    if not elements:
        raise RegistryInvalid("an agreement names the fields it covers", field="data_elements")
    if str(DataElement.TAX_RETURN_INFORMATION) in elements:
        raise RegistryInvalid("tax-return information is never shared", field="data_elements")
    if ends_on <= starts_on:
        raise RegistryInvalid("the agreement must end after it starts", field="ends_on")
    if ends_on > add_months(starts_on, MATCHING_AGREEMENT_MONTHS):
        raise RegistryInvalid("a matching agreement runs at most 18 months", field="ends_on")
    agreement = ComputerMatchingAgreement(
        title=_text(title, "title", 200),
        agency_id=agency_id,
        parties=_text(parties, "parties", 500),
        purpose=str(purpose),
        purpose_text=_text(purpose_text, "purpose_text", 1000),
        data_elements=elements,
        starts_on=starts_on,
        ends_on=ends_on,
        recorded_by=actor,
        recorded_at=clock.now(),
    )
    session.add(agreement)
    session.flush()
    append(
        session,
        PolicyEvent.AGREEMENT_RECORDED,
        actor=actor,
        time=clock.now(),
        refs=[f"matching_agreement:{agreement.id}"],
        agreement=agreement.id,
        agency=agency_id,
        purpose_category=str(purpose),
        data_elements=elements,
        starts_on=starts_on.isoformat(),
        ends_on=ends_on.isoformat(),
    )
    return agreement


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")


def _text(value: str, field: str, limit: int) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise RegistryInvalid(f"{field} must not be empty", field=field)
    if len(cleaned) > limit or any(not char.isprintable() for char in cleaned):
        raise RegistryInvalid(f"{field} must be at most {limit} printable characters", field=field)
    return cleaned


def _value(value: AgencyCategory | PurposeCategory | LegalBasis | None) -> str | None:
    return None if value is None else str(value)
