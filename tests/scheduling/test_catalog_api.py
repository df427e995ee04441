"""The catalogue API on both databases: offices, services, availability and every error path."""

from __future__ import annotations

from datetime import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.db import unit_of_work
from haven.scheduling.models import ResourceKind
from tests import factories


@pytest.fixture
def catalogue(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Two offices; the first has a service, an inactive one and a Spanish interpreter."""
    with unit_of_work(sessions) as session:
        office = factories.office(session, slug="eastside", opens=time(9), closes=time(12))
        factories.resource(
            session, office, kind=ResourceKind.INTERPRETER, name="Interpreter", languages=["es"]
        )
        service = factories.service(session, office, duration_minutes=60)
        retired = factories.service(session, office, slug="retired")
        retired.active = False
        other = factories.office(session, slug="westside", timezone="America/Los_Angeles")
        other_service = factories.service(session, other, slug="card-replacement")
        ids = {"office": office.id, "service": service.id, "retired": retired.id}
        ids |= {"other_office": other.id, "other_service": other_service.id}
    return ids


def _availability(client: TestClient, office: int, **params: object) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = client.get(f"/api/v1/offices/{office}/availability", params=params)
    return response.status_code, response.json()


def test_offices_list_hours_and_interpreter_languages(
    app_client: TestClient, catalogue: dict[str, int]
) -> None:
    response = app_client.get("/api/v1/offices")
    assert response.status_code == 200
    offices = {o["slug"]: o for o in response.json()}
    assert set(offices) == {"eastside", "westside"}
    eastside = offices["eastside"]
    assert eastside["timezone"] == "America/New_York"
    assert eastside["interpreter_languages"] == ["es"]
    assert eastside["hours"][0] == {"weekday": 0, "opens": "09:00:00", "closes": "12:00:00"}
    assert [h["weekday"] for h in eastside["hours"]] == [0, 1, 2, 3, 4]
    assert offices["westside"]["interpreter_languages"] == []


def test_services_lists_only_active_services_of_the_office(
    app_client: TestClient, catalogue: dict[str, int]
) -> None:
    response = app_client.get(f"/api/v1/offices/{catalogue['office']}/services")
    assert response.status_code == 200
    assert [s["id"] for s in response.json()] == [catalogue["service"]]
    assert response.json()[0]["duration_minutes"] == 60


def test_availability_lists_local_slots(app_client: TestClient, catalogue: dict[str, int]) -> None:
    status, body = _availability(
        app_client,
        catalogue["office"],
        service=catalogue["service"],
        start="2026-12-01",
        end="2026-12-02",
    )
    assert status == 200
    starts = [s["local_start"] for s in body["slots"]]
    assert starts[:3] == [
        "2026-12-01T09:00:00-05:00",
        "2026-12-01T10:00:00-05:00",
        "2026-12-01T11:00:00-05:00",
    ]
    assert len(starts) == 6
    assert body["slots"][0]["starts_at"] == "2026-12-01T14:00:00Z"
    assert body["slots"][0]["capacity"] == 1


def test_availability_with_an_interpreter_language(
    app_client: TestClient, catalogue: dict[str, int]
) -> None:
    common = {"service": catalogue["service"], "start": "2026-12-01", "end": "2026-12-01"}
    status, spanish = _availability(
        app_client, catalogue["office"], **common, interpreter_language="es"
    )
    assert status == 200
    assert len(spanish["slots"]) == 3
    status, vietnamese = _availability(
        app_client, catalogue["office"], **common, interpreter_language="vi"
    )
    assert status == 200
    assert vietnamese["slots"] == []


def test_unknown_office_is_404_json(app_client: TestClient, catalogue: dict[str, int]) -> None:
    missing = catalogue["other_office"] + 100
    response = app_client.get(f"/api/v1/offices/{missing}/services")
    assert response.status_code == 404
    assert response.json()["error"] == "office_not_found"
    assert str(missing) in response.json()["message"]
    status, body = _availability(
        app_client, missing, service=catalogue["service"], start="2026-12-01", end="2026-12-01"
    )
    assert (status, body["field"]) == (404, "office_id")


@pytest.mark.parametrize("which", ["retired", "other_service", "missing"])
def test_unknown_or_foreign_service_is_404_json(
    app_client: TestClient, catalogue: dict[str, int], which: str
) -> None:
    service = catalogue.get(which, catalogue["other_service"] + 100)
    status, body = _availability(
        app_client, catalogue["office"], service=service, start="2026-12-01", end="2026-12-01"
    )
    assert status == 404
    assert body["field"] == "service"
    assert "service" in body["message"]


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"start": "2026-13-01", "end": "2026-12-02"}, "start", "date"),
        ({"start": "2026-12-01", "end": "tomorrow"}, "end", "date"),
        ({"end": "2026-12-02"}, "start", "required"),
        ({"start": "2026-12-05", "end": "2026-12-01"}, "end", "on or after"),
        ({"start": "2026-12-01", "end": "2027-03-01"}, "end", "at most 62 days"),
        ({"start": "2026-12-01", "end": "2026-12-01", "service": "abc"}, "service", "integer"),
        (
            {"start": "2026-12-01", "end": "2026-12-01", "interpreter_language": "español!"},
            "interpreter_language",
            "pattern",
        ),
    ],
)
def test_bad_parameters_are_422_naming_the_parameter(
    app_client: TestClient,
    catalogue: dict[str, int],
    params: dict[str, str],
    field: str,
    words: str,
) -> None:
    status, body = _availability(
        app_client, catalogue["office"], **({"service": catalogue["service"]} | params)
    )
    assert status == 422
    assert f"'{field}'" in body["message"]
    assert words in body["message"]
    reported = body.get("field") or body["errors"][0]["field"]
    assert reported == field


def test_non_numeric_office_id_is_422(app_client: TestClient, catalogue: dict[str, int]) -> None:
    response = app_client.get("/api/v1/offices/downtown/services")
    assert response.status_code == 422
    assert "office_id" in response.json()["message"]
