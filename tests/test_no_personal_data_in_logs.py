"""Personal data never reaches the logs: the app runs under a real uvicorn with every logger at
DEBUG (uvicorn's access and error logs, SQLAlchemy's statements and rows, Haven's own), people
book with canary names and contacts through the API and the pages, staff read them, bad input
carrying them is refused, retention runs; then everything logged is searched for the canaries."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from haven.access.models import Role
from haven.access.sessions import AccessPolicy
from haven.clock import ManualClock
from haven.config import Settings
from haven.vault.keys import load_keyring
from haven.web.app import create_app
from haven.worker import Worker, WorkerContext
from tests.access.support import add_staff, grant
from tests.access.web_support import sign_in
from tests.scheduling.booking_support import arrange_desk, request_body, tuesday

CANARY_NAME = "Quillon Canarywing"
CANARY_PHONE = "+1 202-555-0187"
CANARY_EMAIL = "quillon.canarywing@example.org"
CANARY_NOTE = "Canarywing needs a quiet room"
WALK_IN = "Zebulon Canarywing"
CANARIES = ("Canarywing", "Quillon", "Zebulon", "2025550187", "555-0187", "quillon.canary")
LOGGERS = (
    "",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "sqlalchemy",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "haven",
    "httpx",
    "alembic",
)


class Everything(logging.Handler):
    """Keeps every record, formatted with its arguments and any traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured() -> Iterator[Everything]:
    handler = Everything()
    saved = {
        name: (logging.getLogger(name).level, logging.getLogger(name).propagate) for name in LOGGERS
    }
    logging.getLogger().addHandler(handler)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
        logging.getLogger(name).propagate = True
    yield handler
    logging.getLogger().removeHandler(handler)
    for name, (level, propagate) in saved.items():
        logging.getLogger(name).setLevel(level)
        logging.getLogger(name).propagate = propagate


def _serve(settings: Settings, clock: ManualClock) -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = create_app(settings.model_copy(update={"base_url": url}), clock=clock)
    config = uvicorn.Config(app, log_config=None, log_level="debug", access_log=True)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.02)
    assert server.started
    return server, thread, url


def test_canary_personal_data_never_appears_in_any_log(
    captured: Everything,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    tmp_path: Path,
    database_url: str,
) -> None:
    settings = Settings(
        home=tmp_path / "home",
        database_url=database_url,
        dev_mode=True,
        staff_password_memory_kib=64,
        staff_password_time_cost=1,
        staff_password_parallelism=1,
    )
    desk = arrange_desk(sessions)
    keyring = load_keyring(settings)
    policy = AccessPolicy.from_settings(settings)
    clerk = add_staff(sessions, clock, keyring, policy, "clerkc", grant(Role.CLERK, desk.office_id))
    server, thread, url = _serve(settings, clock)
    try:
        with httpx.Client(base_url=url) as public:
            body = request_body(
                desk,
                tuesday(9),
                name=CANARY_NAME,
                phone=CANARY_PHONE,
                accommodation_note=CANARY_NOTE,
            )
            booked = public.post(
                "/api/v1/appointments", json=body, headers={"Idempotency-Key": "canary-0001"}
            )
            assert booked.status_code == 201, booked.text
            again = public.post(
                "/api/v1/appointments", json=body, headers={"Idempotency-Key": "canary-0001"}
            )
            assert again.status_code == 201
            by_email = request_body(
                desk, tuesday(10), name=CANARY_NAME, phone=None, email=CANARY_EMAIL
            )
            assert public.post("/api/v1/appointments", json=by_email).status_code == 201
            token = booked.json()["manage_url"].rsplit("/", 1)[1]
            assert CANARY_NAME in public.get(f"/api/v1/appointments/manage/{token}").text
            assert CANARY_NAME in public.get(f"/appointments/manage/{token}").text
            refused = public.post(
                "/api/v1/appointments",
                json=request_body(desk, tuesday(11), name=CANARY_NAME, phone="Canarywing 555-0187"),
            )
            assert refused.status_code == 422
            assert "Canarywing" not in refused.text
        with httpx.Client(base_url=url) as staff:
            sign_in(staff, clerk)  # type: ignore[arg-type]
            day = staff.get(f"/staff/clerk/{desk.office_id}?purpose=check-in")
            assert CANARY_NAME in day.text
            walked = staff.post(
                f"/staff/clerk/{desk.office_id}/walk-ins",
                data={
                    "csrf_token": _csrf(day.text),
                    "name": WALK_IN,
                    "service": str(desk.service_id),
                    "language": "en",
                },
            )
            assert walked.status_code in (200, 303)
        clock.advance(timedelta(days=settings.retention_days + 2))
        Worker(WorkerContext(settings, clock, sessions, keyring)).run_round()
    finally:
        server.should_exit = True
        thread.join()
    logged = "\n".join(captured.lines)
    assert len(captured.lines) > 50, "the loggers were not captured"
    assert "INSERT INTO person_records" in logged  # SQL statements were logged at DEBUG
    assert "GET /appointments/manage/" in logged  # uvicorn's access log was on
    for canary in CANARIES:
        assert canary.lower() not in logged.lower(), canary


def _csrf(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]
