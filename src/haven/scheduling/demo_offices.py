"""The demo's three fictional field offices: who works there, when, and what they offer.

Names, addresses and staff are invented. Weekdays: 0 = Monday.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

from haven.scheduling.models import ResourceKind

WEEKDAYS = (0, 1, 2, 3, 4)
Hours = list[tuple[int, time, time]]


def every(days: tuple[int, ...], *intervals: tuple[time, time]) -> Hours:
    return [(day, opens, closes) for day in days for opens, closes in intervals]


@dataclass(frozen=True)
class ResourceSpec:
    kind: ResourceKind
    name: str
    languages: list[str]
    hours: Hours = field(default_factory=list)  # empty: the office's hours


@dataclass(frozen=True)
class ServiceSpec:
    slug: str
    name: str
    duration: int
    buffer: int
    kind: ResourceKind
    min_notice: int  # minutes
    max_days_ahead: int
    # How many of each day's open slots the demo fills, in percent.
    booked_percent: int


@dataclass(frozen=True)
class OfficeSpec:
    slug: str
    name: str
    address: str
    timezone: str
    area_code: str  # for the demo people's fictional 555-01xx phone numbers
    languages: list[str]
    hours: Hours
    resources: list[ResourceSpec]
    services: list[ServiceSpec]


def _counter(n: int, *languages: str) -> ResourceSpec:
    return ResourceSpec(ResourceKind.COUNTER, f"Counter {n}", ["en", *languages])


def _staff(name: str, *languages: str, hours: Hours | None = None) -> ResourceSpec:
    return ResourceSpec(ResourceKind.STAFF, name, ["en", *languages], hours or [])


def _interpreter(name: str, language: str, hours: Hours | None = None) -> ResourceSpec:
    return ResourceSpec(ResourceKind.INTERPRETER, name, [language], hours or [])


def _services(max_days_ahead: int) -> list[ServiceSpec]:
    counter, staff = ResourceKind.COUNTER, ResourceKind.STAFF
    return [
        ServiceSpec(
            "benefits-interview", "Benefits interview", 45, 15, staff, 1440, max_days_ahead, 45
        ),
        ServiceSpec("card-replacement", "Replacement card", 15, 5, counter, 60, max_days_ahead, 25),
        ServiceSpec(
            "document-drop-off", "Document drop-off", 10, 0, counter, 30, max_days_ahead, 15
        ),
        ServiceSpec(
            "address-change", "Address or name change", 20, 5, counter, 60, max_days_ahead, 20
        ),
    ]


DEFAULT_HORIZON_DAYS = 45

OFFICES = [
    OfficeSpec(
        slug="harbor-point",
        name="Harbor Point Benefits Office",
        address="415 Quayside Avenue, Harbor Point, NY 11990",
        timezone="America/New_York",
        area_code="631",
        languages=["en", "es", "zh"],
        hours=every(WEEKDAYS, (time(8, 30), time(16, 30))),
        resources=[
            _counter(1, "es"),
            _counter(2),
            _counter(3, "zh"),
            _staff("Caseworker Dana Whitfield"),
            _staff("Caseworker Luis Ocampo", "es"),
            _staff("Caseworker Mei Lin Zhou", "zh", hours=every(WEEKDAYS, (time(8, 30), time(13)))),
            _interpreter("Spanish interpreter (on site)", "es"),
            _interpreter(
                "Chinese interpreter (Tue/Thu)", "zh", hours=every((1, 3), (time(9), time(16)))
            ),
            _interpreter("Arabic interpreter (Wed)", "ar", hours=every((2,), (time(9), time(15)))),
        ],
        services=_services(DEFAULT_HORIZON_DAYS),
    ),
    OfficeSpec(
        slug="prairie-junction",
        name="Prairie Junction Field Office",
        address="2200 Grainger Road, Prairie Junction, IL 61999",
        timezone="America/Chicago",
        area_code="309",
        languages=["en", "es", "ar"],
        # Closed for lunch; Saturday mornings for people who cannot leave work.
        hours=every(WEEKDAYS, (time(9), time(12)), (time(13), time(16)))
        + every((5,), (time(9), time(12))),
        resources=[
            _counter(1, "es"),
            _counter(2),
            _staff("Caseworker Ruth Anders"),
            _staff("Caseworker Samir Haddad", "ar"),
            _interpreter(
                "Spanish interpreter (mornings)",
                "es",
                hours=every((0, 1, 2, 3, 4, 5), (time(9), time(12))),
            ),
            _interpreter(
                "Arabic interpreter (Mon/Thu)", "ar", hours=every((0, 3), (time(9), time(16)))
            ),
            _interpreter(
                "Vietnamese interpreter (Fri)", "vi", hours=every((4,), (time(9), time(16)))
            ),
        ],
        services=_services(DEFAULT_HORIZON_DAYS),
    ),
    OfficeSpec(
        slug="cedar-mesa",
        name="Cedar Mesa Service Center",
        address="77 Arroyo Vista Boulevard, Cedar Mesa, CA 93999",
        timezone="America/Los_Angeles",
        area_code="805",
        languages=["en", "es", "vi", "tl"],
        hours=every(WEEKDAYS, (time(8), time(17))),
        resources=[
            _counter(1, "es"),
            _counter(2, "vi"),
            _counter(3),
            _counter(4, "tl"),
            _staff("Caseworker Grace Navarro", "es", "tl"),
            _staff("Caseworker Tuan Pham", "vi"),
            _staff("Caseworker Elaine Brooks", hours=every((0, 1, 2), (time(8), time(17)))),
            _interpreter("Spanish interpreter (on site)", "es"),
            _interpreter("Vietnamese interpreter (on site)", "vi"),
            _interpreter(
                "Chinese interpreter (Mon/Wed)", "zh", hours=every((0, 2), (time(10), time(16)))
            ),
            _interpreter("Arabic interpreter (Tue)", "ar", hours=every((1,), (time(9), time(15)))),
        ],
        services=_services(DEFAULT_HORIZON_DAYS),
    ),
]
