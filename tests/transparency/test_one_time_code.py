"""Reaching `/my` with the confirmation code and a one-time code, on both databases: the code
arrives in the outbox and opens the record; unknown codes get the very same page; limits count
per confirmation code and per address whether or not the code exists; wrong one-time codes run
out; the grant shows only its own person's entries."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from haven.config import Settings
from haven.transparency.one_time import ASKS_PER_ADDRESS, ASKS_PER_CODE, WRONG_TRIES
from haven.transparency.own_pages import outbox_dir
from tests.scheduling.booking_support import arrange_desk
from tests.transparency.support import app_sessions, integrator_of
from tests.transparency.test_own_record import book, own_indexes
from tests.web.page_support import Form, get, read

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def desk_client(app_client: TestClient, settings: Settings) -> tuple[TestClient, Path, str, str]:
    """The app with two bookings; codes go to the dev mode's file outbox, which the test reads."""
    integrator_of(app_client).stop()
    outbox = outbox_dir(settings)
    desk = arrange_desk(app_sessions(app_client))
    first = book(app_client, desk, 9, "Ana Example")
    second = book(app_client, desk, 10, "Bea Example")
    integrator_of(app_client).run_once()
    return app_client, outbox, first, second


def confirmation_code(client: TestClient, token: str) -> str:
    # From the API, not a pattern search of the page: a manage token in the page's links can
    # itself contain a run shaped like a code, which made this flaky.
    answer = client.get(f"/api/v1/appointments/manage/{token}")
    assert answer.status_code == 200
    code: str = answer.json()["confirmation_code"]
    return code


def ask(client: TestClient, code: str) -> str:
    form = get(client, "/my").form("/my/code")
    response = form.submit(client, confirmation_code=code)
    assert response.status_code == 200, response.text
    return response.text


def messages(outbox: Path) -> list[dict[str, str]]:
    if not outbox.exists():
        return []
    return [json.loads(p.read_text()) for p in outbox.iterdir()]


def _without_csrf(html: str) -> str:
    return CSRF_RE.sub("", html)


def _open(client: TestClient, answer: str, code: str, one_time: str) -> int | str:
    """Post the second form as the page gave it; the grant's link, or the status."""
    response = read_form(answer).submit(client, confirmation_code=code, one_time_code=one_time)
    if response.status_code == 303:
        return str(response.headers["location"]).rsplit("/", 1)[1]
    return response.status_code


def read_form(html: str) -> Form:
    return read(httpx.Response(200, text=html)).form("/my/open")


def test_code_opens_the_record(desk_client: tuple[TestClient, Path, str, str]) -> None:
    client, outbox, first, second = desk_client
    assert client.post("/my/code", data={"confirmation_code": "X"}).status_code == 403  # no CSRF
    code = confirmation_code(client, first)
    answer = ask(client, code.lower().replace("-", ""))
    (message,) = messages(outbox)
    assert message["to"] == "+12025550143"
    one_time = re.search(r"\d{6}", message["body"])
    assert one_time is not None
    grant = _open(client, answer, code, one_time.group(0))
    assert isinstance(grant, str)
    assert own_indexes(client, grant) == own_indexes(client, first)
    assert own_indexes(client, grant).isdisjoint(own_indexes(client, second))
    assert _open(client, answer, code, one_time.group(0)) == 422  # used once


def test_unknown_code_gets_the_same_page(desk_client: tuple[TestClient, Path, str, str]) -> None:
    client, outbox, first, _ = desk_client
    known = ask(client, confirmation_code(client, first))
    unknown = ask(client, "ZZZZ-ZZZZ")
    assert _without_csrf(known).replace(confirmation_code(client, first), "X") == _without_csrf(
        unknown
    ).replace("ZZZZ-ZZZZ", "X")
    assert len(messages(outbox)) == 1


def test_limits_count_unknown_codes_like_known_ones(
    desk_client: tuple[TestClient, Path, str, str],
) -> None:
    client, _, first, _ = desk_client
    for code in (confirmation_code(client, first), "ZZZZ-ZZZZ"):
        form = get(client, "/my").form("/my/code")
        statuses = [
            form.submit(client, confirmation_code=code).status_code
            for _ in range(ASKS_PER_CODE + 1)
        ]
        assert statuses == [200] * ASKS_PER_CODE + [429]


def test_limit_per_address(desk_client: tuple[TestClient, Path, str, str]) -> None:
    client, _, _, _ = desk_client
    form = get(client, "/my").form("/my/code")
    statuses = [
        form.submit(client, confirmation_code=f"AAAA-{n:04d}").status_code
        for n in range(ASKS_PER_ADDRESS + 1)
    ]
    assert statuses == [200] * ASKS_PER_ADDRESS + [429]


def test_wrong_codes_run_out(desk_client: tuple[TestClient, Path, str, str]) -> None:
    client, outbox, first, _ = desk_client
    code = confirmation_code(client, first)
    answer = ask(client, code)
    found = re.search(r"\d{6}", messages(outbox)[0]["body"])
    assert found is not None
    right = found.group(0)
    wrong = "000000" if right != "000000" else "111111"
    assert [_open(client, answer, code, wrong) for _ in range(WRONG_TRIES)] == [422] * WRONG_TRIES
    assert _open(client, answer, code, right) == 422


def test_a_made_up_grant_opens_nothing(desk_client: tuple[TestClient, Path, str, str]) -> None:
    client, _, _, _ = desk_client
    assert client.get("/my/once-made-up").status_code == 404
    assert client.get("/my/once-made-up/receipt/0").status_code == 404
