"""Malformed and hostile API calls: each gets a clear 4xx naming what is wrong, and each is
recorded in the ledger as a refusal (with the body only as a hash and a size)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.db import unit_of_work
from haven.disclosure.client import AgencySigner, request_body
from haven.disclosure.models import SignatureUse
from haven.disclosure.schemas import MAX_BODY_BYTES
from tests.disclosure.support import API, AgencyApi, World, entries, warrant_request


def _post(client: TestClient, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return client.post(API, content=body, headers={"Content-Type": "application/json", **headers})


def _refusals(sessions: sessionmaker[Session]) -> list[dict[str, Any]]:
    return entries(sessions, "disclosure:request:refused")


def _assert_refused(
    response: httpx.Response,
    sessions: sessionmaker[Session],
    status: int,
    field: str,
    stage: str,
) -> None:
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["field"] == field
    assert answer["message"]
    [refusal] = _refusals(sessions)
    assert (refusal["stage"], refusal["field"]) == (stage, field)
    assert refusal["error"] == answer["error"]
    assert entries(sessions, "disclosure:request:received") == []


def test_unsigned_call_is_refused_401_and_recorded(
    app_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    body = request_body(warrant_request(world.office_id))
    response = _post(app_client, body, {})
    _assert_refused(response, sessions, 401, "signature", "signature")
    assert _refusals(sessions)[0]["actor"] == "unauthenticated"


def test_signature_by_another_key_under_a_registered_key_id_is_refused(
    agency_api: AgencyApi, app_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    forger = AgencySigner.generate(world.immigration.signer.key_id)
    body = request_body(warrant_request(world.office_id))
    headers = forger.sign("POST", API, body, created=agency_api.clock.now())
    _assert_refused(_post(app_client, body, headers), sessions, 401, "signature", "signature")


def test_unknown_key_id_is_refused(
    agency_api: AgencyApi, app_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    stranger = AgencySigner.generate("not-registered")
    body = request_body(warrant_request(world.office_id))
    headers = stranger.sign("POST", API, body, created=agency_api.clock.now())
    _assert_refused(_post(app_client, body, headers), sessions, 401, "keyid", "signature")


def test_body_changed_after_signing_fails_the_content_digest(
    agency_api: AgencyApi, app_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    body = request_body(warrant_request(world.office_id))
    headers = agency_api.headers("POST", API, body)
    tampered = body.replace(b"Rosa", b"Rosy")
    response = _post(app_client, tampered, headers)
    _assert_refused(response, sessions, 400, "content-digest", "signature")


def test_digest_recomputed_for_a_changed_body_breaks_the_signature(
    agency_api: AgencyApi, app_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    body = request_body(warrant_request(world.office_id))
    headers = agency_api.headers("POST", API, body)
    tampered = body.replace(b"Rosa", b"Rosy")
    headers["Content-Digest"] = agency_api.headers("POST", API, tampered)["Content-Digest"]
    _assert_refused(_post(app_client, tampered, headers), sessions, 401, "signature", "signature")


def test_replayed_signature_is_refused_the_second_time(
    agency_api: AgencyApi, app_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    body = request_body(warrant_request(world.office_id))
    headers = agency_api.headers("POST", API, body)
    assert _post(app_client, body, headers).status_code == 201
    again = _post(app_client, body, headers)
    assert again.status_code == 401
    assert again.json()["field"] == "nonce"
    assert [r["field"] for r in _refusals(sessions)] == ["nonce"]
    assert len(entries(sessions, "disclosure:request:received")) == 1


def test_reused_nonce_with_a_fresh_signature_is_refused(
    agency_api: AgencyApi, app_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    first = request_body(warrant_request(world.office_id))
    second = request_body(warrant_request(world.office_id, ["identity"]))
    nonce = "same-nonce-0123456789"
    assert (
        _post(app_client, first, agency_api.headers("POST", API, first, nonce=nonce)).status_code
        == 201
    )
    response = _post(app_client, second, agency_api.headers("POST", API, second, nonce=nonce))
    assert response.status_code == 401
    assert response.json()["field"] == "nonce"


@pytest.mark.parametrize(
    ("offset", "field"),
    [(timedelta(minutes=-6), "created"), (timedelta(minutes=2), "created")],
    ids=["expired", "from-the-future"],
)
def test_signature_outside_its_time_window_is_refused(
    agency_api: AgencyApi,
    app_client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
    offset: timedelta,
    field: str,
) -> None:
    body = request_body(warrant_request(world.office_id))
    headers = agency_api.headers("POST", API, body, created=agency_api.clock.now() + offset)
    _assert_refused(_post(app_client, body, headers), sessions, 401, field, "signature")


def test_key_past_its_validity_is_refused(
    agency_api: AgencyApi,
    app_client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
    clock: ManualClock,
) -> None:
    clock.advance(timedelta(days=400))
    body = request_body(warrant_request(world.office_id))
    _assert_refused(
        _post(app_client, body, agency_api.headers("POST", API, body)),
        sessions,
        401,
        "keyid",
        "signature",
    )


def _without_digest(headers: dict[str, str]) -> dict[str, str]:
    headers["Signature-Input"] = headers["Signature-Input"].replace(' "content-digest"', "")
    return headers


def _garbled_input(headers: dict[str, str]) -> dict[str, str]:
    headers["Signature-Input"] = "sig1=(@method);created=now"
    return headers


def _other_algorithm(headers: dict[str, str]) -> dict[str, str]:
    headers["Signature-Input"] = headers["Signature-Input"].replace("ed25519", "rsa-pss-sha512")
    return headers


@pytest.mark.parametrize(
    ("spoil", "field"),
    [
        (_without_digest, "signature-input"),
        (_garbled_input, "signature-input"),
        (_other_algorithm, "alg"),
    ],
    ids=["not-covering-the-digest", "garbled", "other-algorithm"],
)
def test_signature_headers_that_do_not_say_what_they_must_are_400(
    agency_api: AgencyApi,
    app_client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
    spoil: Callable[[dict[str, str]], dict[str, str]],
    field: str,
) -> None:
    body = request_body(warrant_request(world.office_id))
    headers = spoil(agency_api.headers("POST", API, body))
    _assert_refused(_post(app_client, body, headers), sessions, 400, field, "signature")


def test_oversized_body_is_413_and_recorded(
    agency_api: AgencyApi, app_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    body = b'{"padding":"' + b"x" * MAX_BODY_BYTES + b'"}'
    response = _post(app_client, body, agency_api.headers("POST", API, body))
    assert response.status_code == 413
    [refusal] = _refusals(sessions)
    assert refusal["stage"] == "size"
    assert refusal["body_bytes"] <= MAX_BODY_BYTES


def _with(**changes: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(payload: dict[str, Any]) -> dict[str, Any]:
        for dotted, value in changes.items():
            target = payload
            *parents, last = dotted.split("__")
            for part in parents:
                target = target[int(part)] if part.isdigit() else target[part]
            target[last] = value
        return payload

    return change


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_with(immigration_status="unknown"), "immigration_status"),
        (_with(individuals__0__date_of_birth="1990-01-01"), "individuals.0.date_of_birth"),
        (_with(official_name="Robert'); DROP TABLE disclosure_requests;--"), "official_name"),
        (_with(activity="<script>alert(1)</script>"), "activity"),
        (_with(individuals__0__name="Rosa\x00Example"), "individuals.0.name"),
        (_with(legal_basis="because we asked"), "legal_basis"),
        (_with(data_elements=["everything"]), "data_elements.0"),
        (_with(individuals=[]), "request"),
    ],
    ids=[
        "unknown-field",
        "unknown-identifier",
        "sql-injection",
        "markup",
        "control-character",
        "unknown-basis",
        "unknown-element",
        "nobody-named",
    ],
)
def test_hostile_or_malformed_content_is_422_naming_the_field_and_recorded(
    agency_api: AgencyApi,
    world: World,
    sessions: sessionmaker[Session],
    change: Callable[[dict[str, Any]], dict[str, Any]],
    field: str,
) -> None:
    response = agency_api.submit(change(warrant_request(world.office_id)))
    _assert_refused(response, sessions, 422, field, "content")


def test_body_that_is_not_json_is_422_and_recorded(
    agency_api: AgencyApi, app_client: TestClient, sessions: sessionmaker[Session]
) -> None:
    body = b"{not json"
    response = _post(app_client, body, agency_api.headers("POST", API, body))
    _assert_refused(response, sessions, 422, "request", "content")


def test_status_and_production_need_a_signature_too(
    agency_api: AgencyApi, app_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    public_id = agency_api.submit(warrant_request(world.office_id)).json()["id"]
    for path in (f"{API}/{public_id}", f"{API}/{public_id}/production"):
        response = app_client.get(path)
        assert response.status_code == 401
        assert response.json()["error"] == "signature_refused"
    # A signature for one path does not open another.
    headers = agency_api.headers("GET", f"{API}/{public_id}", b"")
    assert app_client.get(f"{API}/{public_id}/production", headers=headers).status_code == 401
    assert len(_refusals(sessions)) == 3


def test_the_replay_cache_forgets_signatures_once_they_are_expired_anyway(
    agency_api: AgencyApi, world: World, sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    assert agency_api.submit(warrant_request(world.office_id)).status_code == 201
    clock.advance(timedelta(minutes=10))
    assert agency_api.submit(warrant_request(world.office_id)).status_code == 201
    with unit_of_work(sessions) as session:
        assert session.query(SignatureUse).count() == 1


def test_a_refusal_keeps_the_caller_s_free_text_out_of_the_ledger(
    agency_api: AgencyApi, world: World, sessions: sessionmaker[Session]
) -> None:
    payload = warrant_request(world.office_id)
    payload["Rosa Example born 1990"] = "x"
    response = agency_api.submit(payload)
    assert response.status_code == 422
    [refusal] = _refusals(sessions)
    assert "Rosa" not in str(refusal)
    assert refusal["field"] == "request"
