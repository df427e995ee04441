"""Signing in through the real pages, the way a browser without JavaScript does."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from haven.access.second_factor import code_at
from haven.clock import ManualClock
from tests.access.support import Staff
from tests.web.page_support import read


def sign_in(client: TestClient, staff: Staff, clock: ManualClock | None = None) -> httpx.Response:
    """Submit the sign-in form (and the code form when asked); returns the last response."""
    page = read(client.get("/staff/sign-in"))
    response = page.form("/staff/sign-in").submit(
        client, username=staff.username, password=staff.password
    )
    if response.headers.get("location", "").startswith("/staff/sign-in/code"):
        assert staff.enrolment is not None
        assert clock is not None
        code_page = read(client.get(response.headers["location"]))
        code = code_at(staff.enrolment.secret, clock.now())
        response = code_page.form("/staff/sign-in/code").submit(client, code=code)
    return response
