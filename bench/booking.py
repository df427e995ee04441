"""`haven bench booking`: concurrent clients race for slots through the real HTTP API.

The real app (`create_app`, the same routers, the same unit of work) runs under uvicorn in its
own process on 127.0.0.1; the clients are threads with their own httpx connections in this
process, so client and server do not share an interpreter lock. Three phases, one run:

- race: N clients each try all M slots of a one-counter service, starting at different slots,
  so every slot is fought over. Each slot can be booked once; everyone else must get a 409.
- flow: the same clients book N*M distinct slots of another one-counter service: every request
  should succeed, so this is the booking throughput without losers.
- baseline: the same clients send the same number of requests with the same JSON body to a
  bench-only endpoint on the same server stack that parses the body and inserts one row with
  no checks (mounted only in this process's app, never in production).

Afterwards the database is asked how many pairs of claims overlap (double_bookings). The
goal: double_bookings 0 always; on PostgreSQL the flow throughput at least 50% of baseline.
"""

from __future__ import annotations

import json
import multiprocessing
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import uvicorn
from fastapi import APIRouter

from bench.scratch import scratch_database
from haven.clock import SystemClock
from haven.config import Settings
from haven.db import TZDateTime, make_engine, make_sessionmaker, unit_of_work
from haven.scheduling.availability import MAX_RANGE_DAYS, find_slots
from haven.scheduling.claiming import count_overlapping_claims
from haven.scheduling.models import (
    Office,
    OpeningHours,
    Resource,
    ResourceKind,
    Service,
    ServiceResource,
)
from haven.scheduling.schemas import BookingRequest
from haven.web.app import create_app
from haven.web.deps import SessionDep

GOAL_RATIO = 0.5
BASELINE_PATH = "/bench/baseline"
# A table of the bench's own, created in the scratch database only.
_bench_metadata = sa.MetaData()
baseline_rows = sa.Table(
    "bench_baseline_rows",
    _bench_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("office_id", sa.Integer, nullable=False),
    sa.Column("starts_at", TZDateTime, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
)


@dataclass(frozen=True)
class Arena:
    office_id: int
    race_service_id: int
    flow_service_id: int
    race_slots: list[datetime]
    flow_slots: list[datetime]


@dataclass
class Phase:
    statuses: list[int]
    latencies: list[float]  # seconds, one per request
    seconds: float

    def figures(self) -> dict[str, Any]:
        ok = sum(200 <= s < 300 for s in self.statuses)
        ordered = sorted(self.latencies)
        return {
            "requests": len(self.statuses),
            "successes": ok,
            "conflicts": self.statuses.count(409),
            "other_errors": len(self.statuses) - ok - self.statuses.count(409),
            "seconds": round(self.seconds, 3),
            "requests_per_s": round(len(self.statuses) / self.seconds, 1),
            "successes_per_s": round(ok / self.seconds, 1),
            "p50_ms": round(_percentile(ordered, 50) * 1000, 2),
            "p99_ms": round(_percentile(ordered, 99) * 1000, 2),
        }


def _percentile(ordered: list[float], pct: int) -> float:
    """Nearest-rank percentile of sorted values."""
    if not ordered:
        return 0.0
    rank = max(1, -(-pct * len(ordered) // 100))
    return ordered[rank - 1]


def main(*, clients: int, slots: int, database_url: str | None, as_json: bool) -> None:
    """Run the three phases against SQLite (a temporary file) or a scratch PostgreSQL database."""
    with _scratch_database(database_url) as (url, home):
        arena = _arrange(url, clients, slots)
        with _server(url, home) as base_url:
            _warm_up(base_url, arena)
            race = _run_phase(base_url, clients, _race_requests(arena, clients))
            flow = _run_phase(base_url, clients, _flow_requests(arena, clients))
            baseline = _run_phase(base_url, clients, _baseline_requests(arena, clients))
        double_bookings = _double_bookings(url)
    report = _report(url, clients, slots, race, flow, baseline, double_bookings)
    print(json.dumps(report) if as_json else _human(report))


@contextmanager
def _scratch_database(database_url: str | None) -> Iterator[tuple[str, Path]]:
    """A migrated scratch database with the baseline's table, and a home for the server."""
    server_url = None if database_url is None or database_url.startswith("sqlite") else database_url
    with (
        tempfile.TemporaryDirectory(prefix="haven-bench-") as tmp,
        scratch_database(server_url) as url,
    ):
        _create_baseline_table(url)
        yield url, Path(tmp) / "home"


def _create_baseline_table(url: str) -> None:
    engine = make_engine(url)
    _bench_metadata.create_all(engine)
    engine.dispose()


def _arrange(url: str, clients: int, slots: int) -> Arena:
    """An office open around the clock with two one-counter services, and the slots to book."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    try:
        with unit_of_work(sessions) as session:
            office = Office(
                slug="bench", name="Bench Office", address="1 Bench Street", timezone="UTC"
            )
            session.add(office)
            session.flush()
            for weekday in range(7):
                session.add(
                    OpeningHours(
                        office_id=office.id,
                        weekday=weekday,
                        opens=wall_time(0, 0),
                        closes=wall_time(23, 30),
                    )
                )
            race = _one_counter_service(session, office, "race")
            flow = _one_counter_service(session, office, "flow")
        now = SystemClock().now()
        with unit_of_work(sessions) as session:
            race_slots = _first_slots(session, office.id, race, now, slots)
            flow_slots = _first_slots(session, office.id, flow, now, clients * slots)
    finally:
        engine.dispose()
    return Arena(office.id, race, flow, race_slots, flow_slots)


def _one_counter_service(session: Any, office: Office, slug: str) -> int:
    counter = Resource(
        office_id=office.id, kind=ResourceKind.COUNTER, name=f"{slug} counter", languages=["en"]
    )
    service = Service(
        office_id=office.id,
        slug=slug,
        name=slug.title(),
        duration_minutes=30,
        buffer_minutes=0,
        resource_kind=ResourceKind.COUNTER,
        max_days_ahead=365,
        min_notice_minutes=0,
    )
    session.add_all([counter, service])
    session.flush()
    session.add(ServiceResource(service_id=service.id, resource_id=counter.id))
    session.flush()
    return service.id


def _first_slots(
    session: Any, office_id: int, service_id: int, now: datetime, count: int
) -> list[datetime]:
    # Slots from tomorrow on: far enough that the server's clock cannot overtake them mid-run.
    first_day = (now + timedelta(days=1)).date()
    found = find_slots(
        session,
        office_id=office_id,
        service_id=service_id,
        start=first_day,
        end=first_day + timedelta(days=MAX_RANGE_DAYS - 1),
        now=now,
    )
    if len(found) < count:
        raise SystemExit(f"only {len(found)} slots fit in the bench's range; ask for fewer")
    return [slot.starts_at for slot in found[:count]]


def _serve(url: str, home: str, port: int) -> None:
    """The server process: the production app plus the bench-only baseline endpoint."""
    settings = Settings(home=Path(home), database_url=url)
    app = create_app(settings)
    app.include_router(_baseline_router())
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _baseline_router() -> APIRouter:
    router = APIRouter()

    @router.post(BASELINE_PATH, status_code=201, include_in_schema=False)
    def baseline(body: BookingRequest, session: SessionDep) -> dict[str, str]:
        # Same parsing and unit of work as a booking; one insert, no rules, no vault, no guard.
        session.execute(
            baseline_rows.insert().values(
                office_id=body.office_id, starts_at=body.starts_at, name=body.name
            )
        )
        return {"status": "stored"}

    return router


@contextmanager
def _server(url: str, home: Path) -> Iterator[str]:
    port = _free_port()
    context = multiprocessing.get_context("spawn")
    process = context.Process(target=_serve, args=(url, str(home), port), daemon=True)
    process.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base_url, process)
        yield base_url
    finally:
        process.terminate()
        process.join(timeout=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_ready(base_url: str, process: Any) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not process.is_alive():
            raise SystemExit("the bench server exited before it was ready")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("the bench server did not answer /healthz within 60 s")


Request = tuple[str, dict[str, Any]]


def _body(service_id: int, office_id: int, starts_at: datetime, client: int) -> dict[str, Any]:
    return {
        "office_id": office_id,
        "service_id": service_id,
        "starts_at": starts_at.isoformat(),
        "name": f"Bench Client {client}",
        "phone": "+1 202-555-0143",
        "language": "en",
        "accommodations": ["wheelchair-access"],
    }


def _race_requests(arena: Arena, clients: int) -> list[list[Request]]:
    slots = arena.race_slots
    return [
        [
            (
                "/api/v1/appointments",
                _body(arena.race_service_id, arena.office_id, slots[(c + i) % len(slots)], c),
            )
            for i in range(len(slots))
        ]
        for c in range(clients)
    ]


def _flow_requests(arena: Arena, clients: int) -> list[list[Request]]:
    slots = arena.flow_slots
    return [
        [
            ("/api/v1/appointments", _body(arena.flow_service_id, arena.office_id, at, c))
            for at in slots[c::clients]
        ]
        for c in range(clients)
    ]


def _baseline_requests(arena: Arena, clients: int) -> list[list[Request]]:
    return [
        [(BASELINE_PATH, body) for _, body in requests]
        for requests in _flow_requests(arena, clients)
    ]


def _warm_up(base_url: str, arena: Arena) -> None:
    # Connections, imports and caches on both paths, outside the measured phases.
    far = arena.flow_slots[-1] + timedelta(days=1)
    with httpx.Client(base_url=base_url, timeout=60) as client:
        for n in range(20):
            client.post(BASELINE_PATH, json=_body(arena.flow_service_id, arena.office_id, far, n))
            client.get(f"/api/v1/offices/{arena.office_id}/services")


def _run_phase(base_url: str, clients: int, requests: list[list[Request]]) -> Phase:
    """Every client thread sends its requests in order; all start together."""
    statuses: list[list[int]] = [[] for _ in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    start = threading.Barrier(clients + 1)

    def client(n: int) -> None:
        with httpx.Client(base_url=base_url, timeout=120) as http:
            http.get("/healthz")  # open the connection before the clock starts
            start.wait()
            for path, body in requests[n]:
                began = time.perf_counter()
                response = http.post(path, json=body)
                latencies[n].append(time.perf_counter() - began)
                statuses[n].append(response.status_code)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    return Phase(
        statuses=[s for per_client in statuses for s in per_client],
        latencies=[s for per_client in latencies for s in per_client],
        seconds=seconds,
    )


def _double_bookings(url: str) -> int:
    engine = make_engine(url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            return count_overlapping_claims(session)
    finally:
        engine.dispose()


def _report(
    url: str,
    clients: int,
    slots: int,
    race: Phase,
    flow: Phase,
    baseline: Phase,
    double_bookings: int,
) -> dict[str, Any]:
    race_figures, flow_figures = race.figures(), flow.figures()
    baseline_figures = baseline.figures()
    ratio = flow_figures["successes_per_s"] / baseline_figures["requests_per_s"]
    is_postgresql = not url.startswith("sqlite")
    return {
        "database": "postgresql" if is_postgresql else "sqlite",
        "clients": clients,
        "slots": slots,
        "attempts": race_figures["requests"],
        "successes": race_figures["successes"],
        "double_bookings": double_bookings,
        "bookings_per_s": flow_figures["successes_per_s"],
        "p50_ms": flow_figures["p50_ms"],
        "p99_ms": flow_figures["p99_ms"],
        "race": race_figures,
        "flow": flow_figures,
        "baseline": baseline_figures,
        "ratio_to_baseline": round(ratio, 3),
        "race_ratio_to_baseline": round(
            race_figures["requests_per_s"] / baseline_figures["requests_per_s"], 3
        ),
        "goal": {
            "double_bookings_zero": double_bookings == 0,
            "race_slots_each_booked_once": race_figures["successes"] == slots,
            "every_race_loser_409": race_figures["conflicts"]
            == race_figures["requests"] - race_figures["successes"],
            "ratio_at_least_half": ratio >= GOAL_RATIO if is_postgresql else None,
        },
    }


def _human(report: dict[str, Any]) -> str:
    race, flow, base = report["race"], report["flow"], report["baseline"]
    lines = [
        f"haven bench booking — {report['database']}, {report['clients']} clients, "
        f"{report['slots']} slots",
        f"race:     {race['requests']} attempts, {race['successes']} booked, "
        f"{race['conflicts']} got 409, {race['other_errors']} other errors; "
        f"{race['requests_per_s']} req/s, p50 {race['p50_ms']} ms, p99 {race['p99_ms']} ms",
        f"flow:     {flow['successes']}/{flow['requests']} booked, "
        f"{flow['successes_per_s']} bookings/s, p50 {flow['p50_ms']} ms, p99 {flow['p99_ms']} ms",
        f"baseline: {base['requests']} inserts, {base['requests_per_s']} req/s, "
        f"p50 {base['p50_ms']} ms, p99 {base['p99_ms']} ms",
        f"double_bookings: {report['double_bookings']}",
        f"bookings/s ÷ baseline req/s: {report['ratio_to_baseline']:.0%} "
        f"(race req/s ÷ baseline: {report['race_ratio_to_baseline']:.0%})",
    ]
    goal = report["goal"]
    if goal["ratio_at_least_half"] is not None:
        met = "met" if goal["ratio_at_least_half"] else "MISSED"
        lines.append(f"goal ≥ {GOAL_RATIO:.0%} of baseline on PostgreSQL: {met}")
    return "\n".join(lines)
