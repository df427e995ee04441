"""The booking API over HTTP on both databases: the happy path and every error path."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from tests.scheduling.booking_support import Desk, arrange_desk, request_body, tuesday

APPOINTMENTS = "/api/v1/appointments"
MANAGE = "/api/v1/appointments/manage"


@pytest.fixture
def desk(sessions: sessionmaker[Session]) -> Desk:
    return arrange_desk(sessions)


def _book(client: TestClient, desk: Desk, hour: int = 9, **overrides: Any) -> dict[str, Any]:
    response = client.post(APPOINTMENTS, json=request_body(desk, tuesday(hour), **overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _token(booked: dict[str, Any]) -> str:
    return str(booked["manage_url"]).rsplit("/", 1)[1]


def _assert_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"]
    assert body["message"]
    if field is not None:
        assert field in body["message"] or body.get("field") == field, body
    return body


def test_booking_answers_code_link_and_times_in_utc_and_office_time(
    app_client: TestClient, desk: Desk
) -> None:
    booked = _book(app_client, desk)
    assert booked["status"] == "booked"
    assert len(booked["confirmation_code"]) == 9
    assert booked["manage_url"].startswith("http://127.0.0.1:8000/manage/")
    assert booked["starts_at"] == "2026-12-01T14:00:00Z"
    assert booked["starts_at_local"] == "2026-12-01T09:00:00-05:00"
    assert booked["ends_at_local"] == "2026-12-01T09:30:00-05:00"
    assert booked["office"]["timezone"] == "America/New_York"
    assert booked["service"]["duration_minutes"] == 30
    assert booked["person"]["phone"] == "+12025550143"
    shown = app_client.get(f"{MANAGE}/{_token(booked)}")
    assert shown.status_code == 200
    assert shown.json() == booked


@pytest.mark.parametrize(
    "field", ["ssn", "citizenship", "immigration_status", "date_of_birth", "country_of_birth"]
)
def test_fields_haven_never_stores_are_refused_by_name(
    app_client: TestClient, desk: Desk, field: str
) -> None:
    body = request_body(desk, tuesday(9))
    body[field] = "anything"
    response = app_client.post(APPOINTMENTS, json=body)
    error = _assert_error(response, 422)
    assert f"unknown field '{field}'" in error["message"]
    assert error["errors"][0]["field"] == field
    assert "anything" not in response.text


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": "Ana\x00"}, "name"),
        ({"phone": "12"}, "phone"),
        ({"phone": None, "email": "not-an-address"}, "email"),
        ({"phone": None}, "phone"),
        ({"email": "ana@example.org"}, "phone"),
        ({"language": "english please"}, "language"),
        ({"language": None}, "language"),
        ({"accommodations": ["jacuzzi"]}, "accommodations"),
        ({"accommodation_note": "x" * 201}, "accommodation_note"),
        ({"accommodations": ["interpreter"]}, "interpreter_language"),
        ({"interpreter_language": "es"}, "interpreter_language"),
        ({"starts_at": "2026-12-01T09:00:00"}, "starts_at"),
        ({"starts_at": "next tuesday"}, "starts_at"),
        ({"office_id": "downtown"}, "office_id"),
        ({"hold_token": "h" * 129}, "hold_token"),
    ],
)
def test_invalid_booking_fields_get_422_naming_the_field(
    app_client: TestClient, desk: Desk, overrides: dict[str, Any], field: str
) -> None:
    response = app_client.post(APPOINTMENTS, json=request_body(desk, tuesday(9), **overrides))
    _assert_error(response, 422, field)


def test_language_tags_are_stored_in_canonical_case(app_client: TestClient, desk: Desk) -> None:
    booked = _book(
        app_client,
        desk,
        language="PT-br",
        phone=None,
        email=" Ana@Example.ORG ",
        accommodations=["quiet-room", "large-print", "quiet-room"],
    )
    assert booked["language"] == "pt-BR"
    assert booked["person"]["email"] == "ana@example.org"
    assert booked["accommodations"] == ["large-print", "quiet-room"]


def test_slot_rules_are_422_naming_starts_at(
    app_client: TestClient, desk: Desk, clock: ManualClock
) -> None:
    response = app_client.post(
        APPOINTMENTS, json=request_body(desk, clock.now() + timedelta(minutes=5))
    )
    body = _assert_error(response, 422, "starts_at")
    assert body["error"] == "too_soon"
    off_grid = app_client.post(APPOINTMENTS, json=request_body(desk, tuesday(9, 10)))
    assert _assert_error(off_grid, 422, "starts_at")["error"] == "not_on_slot_grid"


def test_unknown_office_or_service_is_404(app_client: TestClient, desk: Desk) -> None:
    _assert_error(
        app_client.post(APPOINTMENTS, json=request_body(desk, tuesday(9), office_id=999)), 404
    )
    _assert_error(
        app_client.post(APPOINTMENTS, json=request_body(desk, tuesday(9), service_id=999)), 404
    )


def test_a_taken_slot_is_409_with_an_actionable_message(app_client: TestClient, desk: Desk) -> None:
    _book(app_client, desk)
    response = app_client.post(APPOINTMENTS, json=request_body(desk, tuesday(9), name="Ben"))
    body = _assert_error(response, 409, "starts_at")
    assert body["message"] == "that time was just taken, please choose another"


def test_idempotent_retry_books_once_and_answers_the_same(
    app_client: TestClient, desk: Desk
) -> None:
    headers = {"Idempotency-Key": "3b8e0a52-retry-test"}
    body = request_body(desk, tuesday(9))
    first = app_client.post(APPOINTMENTS, json=body, headers=headers)
    again = app_client.post(APPOINTMENTS, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    different = app_client.post(APPOINTMENTS, json=request_body(desk, tuesday(10)), headers=headers)
    error = _assert_error(different, 422, "Idempotency-Key")
    assert "different booking request" in error["message"]
    # Without the key a second submit is a second booking attempt: the slot is taken.
    _assert_error(app_client.post(APPOINTMENTS, json=body), 409)


def test_an_idempotency_key_too_short_to_be_unique_is_refused(
    app_client: TestClient, desk: Desk
) -> None:
    response = app_client.post(
        APPOINTMENTS, json=request_body(desk, tuesday(9)), headers={"Idempotency-Key": "1"}
    )
    _assert_error(response, 422, "Idempotency-Key")


def test_holds_are_exclusive_expire_and_convert(
    app_client: TestClient, desk: Desk, clock: ManualClock
) -> None:
    slot = {"office_id": desk.office_id, "service_id": desk.service_id}
    slot["starts_at"] = tuesday(9).isoformat()  # type: ignore[assignment]
    held = app_client.post("/api/v1/holds", json=slot)
    assert held.status_code == 201, held.text
    assert held.json()["expires_at"] == "2026-11-30T15:10:00Z"
    _assert_error(app_client.post("/api/v1/holds", json=slot), 409)
    _assert_error(app_client.post(APPOINTMENTS, json=request_body(desk, tuesday(9))), 409)
    clock.advance(timedelta(minutes=10))
    other = app_client.post("/api/v1/holds", json=slot)
    assert other.status_code == 201
    _book(app_client, desk, hold_token=other.json()["hold_token"])
    late = request_body(desk, tuesday(9), hold_token=held.json()["hold_token"])
    _assert_error(app_client.post(APPOINTMENTS, json=late), 409)


def test_a_hold_refuses_unknown_fields(app_client: TestClient, desk: Desk) -> None:
    slot = {"office_id": desk.office_id, "service_id": desk.service_id, "name": "Ana"}
    slot["starts_at"] = tuesday(9).isoformat()
    _assert_error(app_client.post("/api/v1/holds", json=slot), 422, "name")


def test_a_held_slot_booked_with_another_slot_is_422(app_client: TestClient, desk: Desk) -> None:
    slot = {"office_id": desk.office_id, "service_id": desk.service_id}
    held = app_client.post("/api/v1/holds", json=slot | {"starts_at": tuesday(9).isoformat()})
    token = held.json()["hold_token"]
    response = app_client.post(APPOINTMENTS, json=request_body(desk, tuesday(10), hold_token=token))
    _assert_error(response, 422, "hold_token")


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_an_unknown_manage_token_is_404(app_client: TestClient, method: str) -> None:
    body = {"starts_at": tuesday(10).isoformat()} if method == "PATCH" else None
    response = app_client.request(method, f"{MANAGE}/no-such-token", json=body)
    assert "whole link" in _assert_error(response, 404)["message"]
    too_long = app_client.request(method, f"{MANAGE}/{'t' * 200}", json=body)
    _assert_error(too_long, 404)


def test_reschedule_through_patch(app_client: TestClient, desk: Desk) -> None:
    token = _token(_book(app_client, desk))
    moved = app_client.patch(f"{MANAGE}/{token}", json={"starts_at": tuesday(11).isoformat()})
    assert moved.status_code == 200, moved.text
    assert moved.json()["starts_at_local"] == "2026-12-01T11:00:00-05:00"
    # The old time is free again, the new one is not.
    _book(app_client, desk, 9, name="Ben")
    _assert_error(app_client.post(APPOINTMENTS, json=request_body(desk, tuesday(11))), 409)


def test_reschedule_errors(app_client: TestClient, desk: Desk) -> None:
    token = _token(_book(app_client, desk))
    _book(app_client, desk, 10, name="Ben")
    url = f"{MANAGE}/{token}"
    _assert_error(app_client.patch(url, json={"starts_at": tuesday(10).isoformat()}), 409)
    _assert_error(app_client.patch(url, json={"starts_at": tuesday(10, 5).isoformat()}), 422)
    _assert_error(app_client.patch(url, json={}), 422, "starts_at")
    extra = {"starts_at": tuesday(11).isoformat(), "office_id": 2}
    _assert_error(app_client.patch(url, json=extra), 422, "office_id")
    assert app_client.get(url).json()["starts_at"] == "2026-12-01T14:00:00Z"


def test_cancel_through_delete_then_gone_for_changes(app_client: TestClient, desk: Desk) -> None:
    token = _token(_book(app_client, desk))
    url = f"{MANAGE}/{token}"
    first = app_client.delete(url)
    assert first.status_code == 200
    assert first.json()["status"] == "cancelled"
    assert app_client.delete(url).json()["status"] == "cancelled"
    assert app_client.get(url).json()["status"] == "cancelled"
    gone = app_client.patch(url, json={"starts_at": tuesday(10).isoformat()})
    assert _assert_error(gone, 410)["error"] == "appointment_cancelled"
    _book(app_client, desk, 9, name="Ben")


def test_a_past_appointment_is_gone_for_changes(
    app_client: TestClient, desk: Desk, clock: ManualClock
) -> None:
    token = _token(_book(app_client, desk))
    clock.set(tuesday(9, 15))
    url = f"{MANAGE}/{token}"
    assert _assert_error(app_client.delete(url), 410)["error"] == "appointment_over"
    _assert_error(app_client.patch(url, json={"starts_at": tuesday(15).isoformat()}), 410)
    assert app_client.get(url).status_code == 200


def test_openapi_documents_the_booking_api(app_client: TestClient) -> None:
    spec = app_client.get("/openapi.json").json()
    paths = spec["paths"]
    assert set(paths["/api/v1/appointments/manage/{token}"]) == {"get", "patch", "delete"}
    create = paths["/api/v1/appointments"]["post"]
    assert {"201", "409", "422"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert "post" in paths["/api/v1/holds"]
    request_schema = spec["components"]["schemas"]["BookingRequest"]
    assert request_schema["additionalProperties"] is False
    assert app_client.get("/docs").status_code == 200


def test_the_calendar_file_is_offered_through_the_api(app_client: TestClient, desk: Desk) -> None:
    booked = _book(app_client, desk)
    token = _token(booked)
    assert booked["calendar_url"] == f"http://127.0.0.1:8000{MANAGE}/{token}/calendar.ics"
    response = app_client.get(f"{MANAGE}/{token}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert "DTSTART:20261201T140000Z" in response.text
    assert booked["confirmation_code"] in response.text
    assert "Ana" not in response.text
    _assert_error(app_client.get(f"{MANAGE}/no-such-token/calendar.ics"), 404)
