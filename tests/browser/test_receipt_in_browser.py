"""A person's receipt checked in a real Chromium page with WebCrypto (Ed25519, SHA-256): the page
fetches the checkpoint and the entry bundle itself and verifies signature and inclusion; the same
check fails after any byte of the receipt is changed (both databases)."""

from __future__ import annotations

import time
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from haven.db import unit_of_work
from haven.ledger.service import entries_from
from tests.browser.conftest import LiveServer
from tests.transparency.scenario import seed_history


def _book(server: LiveServer) -> str:
    body = {
        "office_id": server.catalogue.office_id,
        "service_id": server.catalogue.service_id,
        "starts_at": "2026-12-01T14:00:00+00:00",
        "name": "Ana Example",
        "phone": "+1 202-555-0143",
        "language": "en",
    }
    response = httpx.post(f"{server.url}/api/v1/appointments", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["manage_url"]).rsplit("/", 1)[1]


def _wait_for_signed_entries(server: LiveServer, count: int) -> None:
    """The background integrator signs a checkpoint shortly after the booking commits."""
    with httpx.Client(base_url=server.url) as client:
        for _ in range(600):
            response = client.get("/log/checkpoint")
            if response.status_code == 200 and int(response.text.split("\n")[1]) >= count:
                return
            time.sleep(0.05)
    raise AssertionError("no checkpoint covered the booking")


TAMPER_ALL = """async ([text, vkey]) => {
  const failures = [];
  for (let i = 0; i < text.length; i++) {
    const flipped = String.fromCharCode(text.charCodeAt(i) ^ 1);
    const changed = text.slice(0, i) + flipped + text.slice(i + 1);
    try { await window.havenCheckReceipt(changed, vkey); failures.push(i); } catch (e) {}
  }
  return failures;
}"""


def test_receipt_verifies_in_the_page_and_not_when_changed(
    live_server: LiveServer, browser: Any, screenshots: Any
) -> None:
    token = _book(live_server)
    _wait_for_signed_entries(live_server, 1)
    page = browser.new_page()
    page.goto(f"{live_server.url}/my/{token}")
    button = page.locator("button.verify-receipt").first
    button.click()
    result = page.locator("output.verify-result[data-verified]").first
    result.wait_for()
    assert result.get_attribute("data-verified") == "true", result.text_content()
    page.screenshot(path=str(screenshots / "my-record.png"), full_page=True)
    receipt_url = button.get_attribute("data-receipt")
    text = httpx.get(f"{live_server.url}{receipt_url}").text
    vkey = httpx.get(f"{live_server.url}/log/key").text.strip()
    assert page.evaluate("async ([t, k]) => await window.havenCheckReceipt(t, k)", [text, vkey])
    assert page.evaluate(TAMPER_ALL, [text, vkey]) == []


def test_report_and_log_pages_in_the_browser(
    live_server: LiveServer, browser: Any, screenshots: Any, sessions: sessionmaker[Session]
) -> None:
    with unit_of_work(sessions) as session:
        seed_history(session)
    _book(live_server)  # a commit through the app wakes its integrator
    with unit_of_work(sessions) as session:
        total = len(entries_from(session, 0, 10_000))
    _wait_for_signed_entries(live_server, total)
    page = browser.new_page()
    page.goto(f"{live_server.url}/transparency?period=2026Q4")
    assert page.locator("#table-by_agency_category").inner_text().count("0-9") == 1
    assert page.locator("svg.chart").count() == 4
    page.screenshot(path=str(screenshots / "transparency-report.png"), full_page=True)
    page.goto(f"{live_server.url}/transparency/log")
    assert "disclosure:request:received" in page.content()
    page.screenshot(path=str(screenshots / "transparency-log.png"), full_page=True)
