"""Demo data: three fictional field offices in three US time zones, their services, staff,
interpreters, hours and closures, and a few weeks of bookings by invented people.

Bookings go through the booking action (`book_appointment`), so appointments, their slot claims
and the people's sealed records are exactly what a real booking writes. One office is set up to
reach past the soonest coming DST change: its services book far enough ahead, and some of its
bookings lie after the change. Seeding is idempotent: when the demo offices exist, nothing is
written and the summary describes what is there.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.errors import HavenError
from haven.scheduling.availability import Slot, find_slots
from haven.scheduling.booking import book_appointment
from haven.scheduling.demo_offices import OFFICES, OfficeSpec
from haven.scheduling.holidays import federal_holidays
from haven.scheduling.models import (
    Appointment,
    Closure,
    Office,
    OpeningHours,
    Resource,
    ResourceHours,
    ResourceKind,
    Service,
    ServiceResource,
)
from haven.scheduling.schemas import Accommodation, BookingRequest
from haven.scheduling.wallclock import next_offset_change
from haven.vault.keys import Keyring

BOOKED_DAYS = 21
# Days the DST office's services book beyond the change, and days of bookings after it.
PAST_CHANGE_DAYS = 14
BOOKED_DAYS_AFTER_CHANGE = 7
SEED = 6103  # demo data are reproducible; nothing here is a secret

FIRST_NAMES = [
    "Maria",
    "James",
    "Aisha",
    "Nguyen",
    "Wei",
    "Carlos",
    "Fatima",
    "Robert",
    "Linh",
    "Grace",
    "Omar",
    "Patricia",
    "Jose",
    "Mei",
    "Daniel",
    "Rosa",
    "Tuan",
    "Hannah",
    "Ahmed",
    "Lucia",
    "Michael",
    "Yusuf",
    "Elena",
    "Kevin",
    "Thu",
    "Samuel",
    "Layla",
    "Andre",
    "Xiu",
    "Teresa",
]
LAST_NAMES = [
    "Garcia",
    "Johnson",
    "Rahman",
    "Tran",
    "Chen",
    "Lopez",
    "Haddad",
    "Smith",
    "Pham",
    "Walker",
    "Hassan",
    "Martinez",
    "Nguyen",
    "Li",
    "Brown",
    "Hernandez",
    "Le",
    "Davis",
    "Khalil",
    "Reyes",
    "Wilson",
    "Saleh",
    "Flores",
    "Moore",
    "Vo",
    "Thompson",
    "Mansour",
    "Rivera",
    "Wang",
    "Cruz",
]
# Preferred languages of the demo people, with weights.
LANGUAGES = {"en": 62, "es": 18, "zh": 5, "vi": 6, "ar": 5, "tl": 4}


@dataclass(frozen=True)
class DstNote:
    """The office whose booking horizon reaches past the soonest coming DST change."""

    office: str
    timezone: str
    change_at: datetime  # aware UTC
    max_days_ahead: int
    appointments_after: int


@dataclass(frozen=True)
class DemoSummary:
    created: bool  # False when an earlier seed was found and reused
    offices: list[tuple[int, str, str]]  # (id, name, time zone)
    appointments: int
    dst: DstNote | None


def seed_demo(
    session: Session,
    *,
    clock: Clock,
    keyring: Keyring,
    base_url: str,
    booked_days: int = BOOKED_DAYS,
    booked_days_after_change: int = BOOKED_DAYS_AFTER_CHANGE,
) -> DemoSummary:
    """Create the demo offices and bookings unless they exist; describe what is there.

    Bookings fill `booked_days` from today, and `booked_days_after_change` from the day of
    the soonest DST change at the office that reaches past it.
    """
    slugs = [spec.slug for spec in OFFICES]
    if session.scalar(sa.select(sa.func.count()).where(Office.slug.in_(slugs))):
        return summarise_demo(session, clock)
    now = clock.now()
    soonest = soonest_dst_change(now)
    people = _People(random.Random(SEED))  # noqa: S311 - reproducible fiction, no secret
    for spec in OFFICES:
        office = _create_office(session, spec, now, soonest)
        booking = _Booking(clock, keyring, base_url, people)
        booking.fill(session, office, spec, booked_days, booked_days_after_change)
    return summarise_demo(session, clock, created=True)


def soonest_dst_change(now: datetime) -> tuple[str, datetime] | None:
    """(time zone, instant) of the demo offices' soonest DST change after now, if any."""
    changes = [
        (change, spec.timezone)
        for spec in OFFICES
        if (change := next_offset_change(ZoneInfo(spec.timezone), now)) is not None
    ]
    if not changes:
        return None
    change, zone = min(changes)
    return zone, change


def summarise_demo(session: Session, clock: Clock, *, created: bool = False) -> DemoSummary:
    """What the demo database holds, and which office reaches past the next DST change."""
    slugs = [spec.slug for spec in OFFICES]
    offices = [
        (office_id, name, zone)
        for office_id, name, zone in session.execute(
            sa.select(Office.id, Office.name, Office.timezone)
            .where(Office.slug.in_(slugs))
            .order_by(Office.id)
        )
    ]
    office_ids = [office_id for office_id, _, _ in offices]
    appointments = session.scalar(
        sa.select(sa.func.count()).where(Appointment.office_id.in_(office_ids))
    )
    return DemoSummary(
        created=created,
        offices=offices,
        appointments=appointments or 0,
        dst=_dst_note(session, clock.now(), offices),
    )


def _dst_note(
    session: Session, now: datetime, offices: list[tuple[int, str, str]]
) -> DstNote | None:
    soonest = soonest_dst_change(now)
    if soonest is None:
        return None
    zone, change = soonest
    for office_id, name, office_zone in offices:
        if office_zone != zone:
            continue
        horizon = session.scalar(
            sa.select(sa.func.max(Service.max_days_ahead)).where(Service.office_id == office_id)
        )
        after = session.scalar(
            sa.select(sa.func.count()).where(
                Appointment.office_id == office_id, Appointment.starts_at >= change
            )
        )
        return DstNote(name, zone, change, horizon or 0, after or 0)
    return None


def _create_office(
    session: Session, spec: OfficeSpec, now: datetime, soonest: tuple[str, datetime] | None
) -> Office:
    office = Office(
        slug=spec.slug,
        name=spec.name,
        address=spec.address,
        timezone=spec.timezone,
        languages=spec.languages,
    )
    session.add(office)
    session.flush()
    session.add_all(
        OpeningHours(office_id=office.id, weekday=day, opens=opens, closes=closes)
        for day, opens, closes in spec.hours
    )
    today = now.astimezone(ZoneInfo(spec.timezone)).date()
    horizon = max(s.max_days_ahead for s in spec.services)
    if soonest is not None and soonest[0] == spec.timezone:
        change_day = soonest[1].astimezone(ZoneInfo(spec.timezone)).date()
        horizon = max(horizon, (change_day - today).days + PAST_CHANGE_DAYS)
    _add_closures(session, office, today, today + timedelta(days=horizon))
    by_kind = _add_resources(session, office, spec)
    for service_spec in spec.services:
        service = Service(
            office_id=office.id,
            slug=service_spec.slug,
            name=service_spec.name,
            duration_minutes=service_spec.duration,
            buffer_minutes=service_spec.buffer,
            resource_kind=service_spec.kind,
            min_notice_minutes=service_spec.min_notice,
            max_days_ahead=max(service_spec.max_days_ahead, horizon),
        )
        session.add(service)
        session.flush()
        session.add_all(
            ServiceResource(service_id=service.id, resource_id=resource.id)
            for resource in by_kind.get(service_spec.kind, [])
        )
    session.flush()
    return office


def _add_closures(session: Session, office: Office, first: date, last: date) -> None:
    for day, name in federal_holidays(first, last):
        session.add(Closure(office_id=office.id, starts_on=day, ends_on=day, reason=name))
    # One one-off closure on the second Wednesday from today.
    training = first + timedelta(days=(2 - first.weekday()) % 7 + 7)
    session.add(
        Closure(office_id=office.id, starts_on=training, ends_on=training, reason="Staff training")
    )


def _add_resources(
    session: Session, office: Office, spec: OfficeSpec
) -> dict[ResourceKind, list[Resource]]:
    by_kind: dict[ResourceKind, list[Resource]] = {}
    for resource_spec in spec.resources:
        resource = Resource(
            office_id=office.id,
            kind=resource_spec.kind,
            name=resource_spec.name,
            languages=resource_spec.languages,
        )
        session.add(resource)
        session.flush()
        session.add_all(
            ResourceHours(resource_id=resource.id, weekday=day, starts=starts, ends=ends)
            for day, starts, ends in resource_spec.hours
        )
        by_kind.setdefault(resource_spec.kind, []).append(resource)
    return by_kind


@dataclass(frozen=True)
class _Booking:
    clock: Clock
    keyring: Keyring
    base_url: str
    people: _People

    def fill(
        self, session: Session, office: Office, spec: OfficeSpec, days: int, days_after_change: int
    ) -> None:
        """Book a share of each service's open slots for `days` from today, and for
        `days_after_change` from a DST change the office's services book past."""
        now = self.clock.now()
        zone = ZoneInfo(spec.timezone)
        today = now.astimezone(zone).date()
        ranges = [(today, today + timedelta(days=days - 1))]
        services = session.scalars(
            sa.select(Service).where(Service.office_id == office.id).order_by(Service.id)
        ).all()
        horizon = max(s.max_days_ahead for s in services)
        change = next_offset_change(zone, now)
        if change is not None and (change.astimezone(zone).date() - today).days < horizon:
            change_day = change.astimezone(zone).date()
            ranges.append((change_day, change_day + timedelta(days=days_after_change - 1)))
        interpreted = {
            language
            for resource in spec.resources
            if resource.kind == ResourceKind.INTERPRETER
            for language in resource.languages
            if language != "en"
        }
        for service, service_spec in zip(services, spec.services, strict=True):
            for first, last in ranges:
                if last < first:
                    continue
                slots = find_slots(
                    session,
                    office_id=office.id,
                    service_id=service.id,
                    start=first,
                    end=last,
                    now=now,
                )
                for slot in self.people.pick(slots, service_spec.booked_percent):
                    self._book(
                        session,
                        self.people.request(
                            office.id, service.id, slot, spec.area_code, interpreted
                        ),
                    )

    def _book(self, session: Session, request: BookingRequest) -> None:
        try:
            self._book_appointment(session, request)
        except HavenError:
            # Taken by an earlier demo booking of another service, or no interpreter free
            # then: a real person would choose again; the demo tries without an interpreter.
            if request.interpreter_language is None:
                return
            without = request.model_copy(
                update={"interpreter_language": None, "accommodations": []}
            )
            try:
                self._book_appointment(session, without)
            except HavenError:
                return

    def _book_appointment(self, session: Session, request: BookingRequest) -> None:
        book_appointment(
            session,
            keyring=self.keyring,
            clock=self.clock,
            request=request,
            base_url=self.base_url,
        )


class _People:
    """Invented people and their choices, reproducible from one seed."""

    def __init__(self, chooser: random.Random) -> None:
        self._random = chooser
        self._count = 0

    def pick(self, slots: list[Slot], percent: int) -> list[Slot]:
        by_day: dict[date, list[Slot]] = {}
        for slot in slots:
            by_day.setdefault(slot.local_start.date(), []).append(slot)
        chosen: list[Slot] = []
        for day_slots in by_day.values():
            wanted = round(len(day_slots) * percent / 100 * self._random.uniform(0.6, 1.4))
            chosen += self._random.sample(day_slots, min(wanted, len(day_slots)))
        return sorted(chosen, key=lambda slot: slot.starts_at)

    def request(
        self,
        office_id: int,
        service_id: int,
        slot: Slot,
        area_code: str,
        interpreted: set[str],
    ) -> BookingRequest:
        chooser = self._random
        self._count += 1
        first, last = chooser.choice(FIRST_NAMES), chooser.choice(LAST_NAMES)
        language = chooser.choices(list(LANGUAGES), weights=list(LANGUAGES.values()))[0]
        wants_interpreter = language != "en" and language in interpreted and chooser.random() < 0.7
        accommodations = [Accommodation.INTERPRETER] if wants_interpreter else []
        if chooser.random() < 0.06:
            accommodations.append(Accommodation.WHEELCHAIR_ACCESS)
        contact: dict[str, str] = (
            # 555-0100 to 555-0199 are set aside for fiction.
            {"phone": f"+1{area_code}55501{self._count % 100:02d}"}
            if chooser.random() < 0.6
            else {"email": f"{first}.{last}{self._count}@example.org".lower()}
        )
        return BookingRequest(
            office_id=office_id,
            service_id=service_id,
            starts_at=slot.starts_at,
            interpreter_language=language if wants_interpreter else None,
            name=f"{first} {last}",
            language=language,
            accommodations=accommodations,
            **contact,
        )
