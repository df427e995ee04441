"""Read actions for the public catalogue: which offices there are and what each one offers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.scheduling.models import Office, OpeningHours, Resource, ResourceKind, Service
from haven.scheduling.office_schedule import OfficeNotFound


@dataclass(frozen=True)
class OpeningInterval:
    weekday: int  # 0 = Monday
    opens: time
    closes: time


@dataclass(frozen=True)
class OfficeEntry:
    id: int
    slug: str
    name: str
    address: str
    timezone: str
    languages: list[str]
    interpreter_languages: list[str]
    hours: list[OpeningInterval] = field(default_factory=list)


@dataclass(frozen=True)
class ServiceEntry:
    id: int
    slug: str
    name: str
    duration_minutes: int
    min_notice_minutes: int
    max_days_ahead: int


def list_offices(session: Session) -> list[OfficeEntry]:
    """Every office with its weekly hours and the languages it can interpret, by name."""
    offices = session.execute(
        sa.select(
            Office.id, Office.slug, Office.name, Office.address, Office.timezone, Office.languages
        ).order_by(Office.name, Office.id)
    ).all()
    hours: dict[int, list[OpeningInterval]] = {}
    for office_id, weekday, opens, closes in session.execute(
        sa.select(
            OpeningHours.office_id, OpeningHours.weekday, OpeningHours.opens, OpeningHours.closes
        ).order_by(OpeningHours.office_id, OpeningHours.weekday, OpeningHours.opens)
    ):
        hours.setdefault(office_id, []).append(OpeningInterval(weekday, opens, closes))
    interpreted: dict[int, set[str]] = {}
    for office_id, languages in session.execute(
        sa.select(Resource.office_id, Resource.languages).where(
            Resource.kind == ResourceKind.INTERPRETER, Resource.active.is_(True)
        )
    ):
        interpreted.setdefault(office_id, set()).update(languages or [])
    return [
        OfficeEntry(
            id=office_id,
            slug=slug,
            name=name,
            address=address,
            timezone=timezone,
            languages=list(languages or []),
            interpreter_languages=sorted(interpreted.get(office_id, set())),
            hours=hours.get(office_id, []),
        )
        for office_id, slug, name, address, timezone, languages in offices
    ]


def list_services(session: Session, office_id: int) -> list[ServiceEntry]:
    """The office's bookable (active) services, by name. Raises OfficeNotFound."""
    if session.get(Office, office_id) is None:
        raise OfficeNotFound(office_id)
    rows = session.execute(
        sa.select(
            Service.id,
            Service.slug,
            Service.name,
            Service.duration_minutes,
            Service.min_notice_minutes,
            Service.max_days_ahead,
        )
        .where(Service.office_id == office_id, Service.active.is_(True))
        .order_by(Service.name, Service.id)
    )
    return [ServiceEntry(*row) for row in rows]
