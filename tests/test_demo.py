"""The demo data on both databases: three offices, consistent bookings, a DST office, reuse."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from haven.cli.main import app as haven_cli
from haven.clock import ManualClock
from haven.db import unit_of_work
from haven.scheduling.availability import find_slots
from haven.scheduling.demo import DemoSummary, seed_demo, soonest_dst_change
from haven.scheduling.models import (
    Appointment,
    Closure,
    Office,
    OpeningHours,
    Resource,
    ResourceKind,
    Service,
    ServiceResource,
    SlotClaim,
)
from haven.vault.keys import KEY_BYTES, Keyring
from haven.vault.models import PersonRecord


def _seed(sessions: sessionmaker[Session], clock: ManualClock) -> DemoSummary:
    keyring = Keyring(
        current_kek=secrets.token_bytes(KEY_BYTES), blind_index_key=secrets.token_bytes(KEY_BYTES)
    )
    with unit_of_work(sessions) as session:
        return seed_demo(
            session,
            clock=clock,
            keyring=keyring,
            base_url="http://demo.test",
            booked_days=2,
            booked_days_after_change=2,  # the change falls on a Sunday
        )


@pytest.fixture
def seeded(sessions: sessionmaker[Session], clock: ManualClock) -> DemoSummary:
    return _seed(sessions, clock)


def test_three_offices_with_services_interpreters_hours_and_closures(
    session: Session, seeded: DemoSummary
) -> None:
    zones = {zone for _, _, zone in seeded.offices}
    assert len(seeded.offices) == 3
    assert len(zones) == 3
    assert all(zone.startswith("America/") for zone in zones)
    interpreters = session.scalars(
        sa.select(Resource.languages).where(Resource.kind == ResourceKind.INTERPRETER)
    ).all()
    spoken = {language for languages in interpreters for language in languages}
    assert {"es", "zh", "vi", "ar"} <= spoken
    slugs = set(session.scalars(sa.select(Service.slug)))
    assert {"benefits-interview", "card-replacement", "document-drop-off"} <= slugs
    # One office closes for lunch: two opening intervals on a Wednesday.
    intervals = session.execute(
        sa.select(OpeningHours.office_id, sa.func.count())
        .where(OpeningHours.weekday == 2)
        .group_by(OpeningHours.office_id)
    ).all()
    assert sorted(count for _, count in intervals) == [1, 1, 2]
    closures = session.execute(sa.select(Closure.starts_on, Closure.reason)).all()
    # The clock reads 2026-11-30: Christmas and New Year's Day fall in every office's horizon.
    assert (date(2026, 12, 25), "Christmas Day") in closures
    assert (date(2027, 1, 1), "New Year's Day") in closures
    assert sum(reason == "Staff training" for _, reason in closures) == 3


def test_every_appointment_claims_what_it_uses(session: Session, seeded: DemoSummary) -> None:
    appointments = session.scalars(sa.select(Appointment)).all()
    assert len(appointments) == seeded.appointments > 50
    assert session.scalar(sa.select(sa.func.count()).select_from(PersonRecord)) == len(appointments)
    claims: dict[int, list[SlotClaim]] = {}
    for claim in session.scalars(sa.select(SlotClaim)):
        assert claim.appointment_id is not None
        claims.setdefault(claim.appointment_id, []).append(claim)
    links = set(session.execute(sa.select(ServiceResource.service_id, ServiceResource.resource_id)))
    resources = {r.id: r for r in session.scalars(sa.select(Resource))}
    for appointment in appointments:
        service = appointment.service
        own = claims[appointment.id]
        serving = [c for c in own if (service.id, c.resource_id) in links]
        assert len(serving) == 1
        for claim in own:
            assert claim.starts_at == appointment.starts_at
            assert claim.ends_at == appointment.ends_at + timedelta(minutes=service.buffer_minutes)
            assert resources[claim.resource_id].office_id == appointment.office_id
        interpreters = [c for c in own if c not in serving]
        if appointment.interpreter_language is None:
            assert interpreters == []
        else:
            server = resources[serving[0].resource_id]
            needs_one = appointment.interpreter_language not in server.languages
            assert len(interpreters) == int(needs_one)
            for claim in interpreters:
                assert appointment.interpreter_language in resources[claim.resource_id].languages


def test_one_office_books_past_the_next_dst_change(
    session: Session, seeded: DemoSummary, clock: ManualClock
) -> None:
    soonest = soonest_dst_change(clock.now())
    assert soonest is not None
    zone, change = soonest
    assert seeded.dst is not None
    assert seeded.dst.timezone == zone
    assert seeded.dst.change_at == change
    assert seeded.dst.appointments_after > 0
    office = session.scalars(sa.select(Office).where(Office.timezone == zone)).one()
    today = clock.now().astimezone(ZoneInfo(zone)).date()
    change_day = change.astimezone(ZoneInfo(zone)).date()
    assert seeded.dst.max_days_ahead > (change_day - today).days
    # The same service opens at the same wall-clock time on both sides of the change.
    service = session.scalars(
        sa.select(Service).where(Service.office_id == office.id, Service.slug == "card-replacement")
    ).one()

    def first_local_times(day: date) -> list[str]:
        slots = find_slots(
            session,
            office_id=office.id,
            service_id=service.id,
            start=day,
            end=day + timedelta(days=13),
            now=clock.now(),
        )
        by_weekday = {s.local_start.weekday(): s.local_start for s in reversed(slots)}
        return [f"{by_weekday[d]:%H:%M}" for d in sorted(by_weekday)]

    before = first_local_times(change_day - timedelta(days=14))
    after = first_local_times(change_day + timedelta(days=7))
    assert before == after
    assert before[0] == "08:30"


def test_seeding_again_and_haven_demo_reuse_everything(
    sessions: sessionmaker[Session],
    seeded: DemoSummary,
    clock: ManualClock,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    again = _seed(sessions, clock)
    assert seeded.created
    assert not again.created
    assert again.offices == seeded.offices
    assert again.appointments == seeded.appointments
    # The command finds the same database seeded and says what is in it.
    monkeypatch.setenv("HAVEN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HAVEN_DATABASE_URL", database_url)
    result = CliRunner().invoke(haven_cli, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "reused" in result.output
    for _, name, zone in seeded.offices:
        assert f"{name} ({zone})" in result.output
    assert f"appointments: {seeded.appointments}" in result.output
    assert "demo staff" in result.output
    assert "DST:" in result.output
    assert "http://127.0.0.1:8000/" in result.output  # where the demo is (or would be) served
