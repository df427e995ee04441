"""A person books, reschedules and cancels in a real Chromium, clicking and typing; htmx swaps
the week in place under the CSP; the pages fit a 320 px screen. Screenshots of every step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.db import unit_of_work
from haven.scheduling.models import Appointment, AppointmentStatus
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser


def _watch_console(page: Any) -> list[str]:
    """Collect what went wrong besides the pages themselves (whose 4xx are on purpose): script
    errors, CSP violations, and any script, style or image that failed to load."""
    problems: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    def on_response(response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            problems.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", on_response)
    return problems


def _shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_book_reschedule_and_cancel_by_clicking(
    live_server: LiveServer,
    browser: Any,
    screenshots: Path,
    sessions: sessionmaker[Session],
) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-US")
    page = context.new_page()
    problems = _watch_console(page)

    page.goto(live_server.url + "/")
    _shot(page, screenshots, "01-offices")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # focus is visible
    page.get_by_role("link", name="Downtown Benefits Office").click()
    _shot(page, screenshots, "02-services")
    page.get_by_role("link", name="Benefits interview").click()
    page.get_by_role("heading", name="Week of Monday, November 30, 2026").wait_for()
    _shot(page, screenshots, "03-times")

    # htmx swaps the next week in place: the page (and this marker) stays, the URL follows.
    page.evaluate("window.havenMarker = 'same page'")
    page.get_by_role("link", name="Next week").click()
    page.get_by_role("heading", name="Week of Monday, December 7, 2026").wait_for()
    assert page.evaluate("window.havenMarker") == "same page"
    assert page.url.endswith("?week=2026-12-07")
    assert page.evaluate("document.activeElement.id") in ("next-week", "previous-week")
    page.get_by_role("button", name="Tuesday, December 8, 2026, 9:00 AM").click()

    page.get_by_role("heading", name="Your details").wait_for()
    assert "We are keeping this time for you until" in page.inner_text("#hold-notice")
    _shot(page, screenshots, "04-details")
    page.get_by_role("button", name="Book this appointment").click()
    page.get_by_role("heading", name="Please check your details").wait_for()
    # Focus lands on the summary of what to fix.
    assert page.evaluate("document.activeElement.className") == "error-summary"
    assert page.get_by_label("Your name").get_attribute("aria-invalid") == "true"
    _shot(page, screenshots, "05-details-errors")

    page.get_by_label("Your name").fill("Ana Example")
    page.get_by_label("Phone number").fill("(202) 555-0143")
    page.get_by_label("Which language do you prefer?").select_option("es")
    page.get_by_label("Wheelchair access").check()
    page.get_by_label("Anything else we should know? (optional)").fill("Arriving with a walker")
    page.get_by_role("button", name="Book this appointment").click()

    page.get_by_role("heading", name="Your appointment is booked").wait_for()
    code = page.inner_text("#confirmation-code")
    assert len(code) == 9
    assert code[4] == "-"
    _shot(page, screenshots, "06-confirmation")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Add to my calendar (.ics)").click()
    ics = Path(download_info.value.path()).read_bytes()
    assert b"DTSTART:20261208T140000Z\r\n" in ics

    page.get_by_role("link", name="See or change my appointment").click()
    page.get_by_role("heading", name="Your appointment", exact=True).wait_for()
    assert "Ana Example" in page.inner_text("main")
    _shot(page, screenshots, "07-manage")
    page.get_by_role("link", name="Choose a new time").click()
    page.get_by_role("heading", name="Choose a new time").wait_for()
    _shot(page, screenshots, "08-reschedule")
    page.get_by_role("button", name="Wednesday, December 9, 2026, 10:00 AM").click()
    page.get_by_text("Your appointment was moved to the new time.").wait_for()
    assert "Wednesday, December 9, 2026" in page.inner_text("main")
    _shot(page, screenshots, "09-rescheduled")

    page.get_by_role("link", name="Cancel this appointment").click()
    page.get_by_role("heading", name="Cancel your appointment?").wait_for()
    _shot(page, screenshots, "10-cancel")
    page.get_by_role("button", name="Yes, cancel my appointment").click()
    page.get_by_text("Your appointment was cancelled.").wait_for()
    _shot(page, screenshots, "11-cancelled")
    context.close()

    assert problems == []
    with unit_of_work(sessions) as session:
        [appointment] = session.scalars(sa.select(Appointment))
        assert appointment.confirmation_code == code
        assert appointment.status == AppointmentStatus.CANCELLED


def test_pages_fit_a_320_pixel_screen_and_work_without_javascript(
    live_server: LiveServer, browser: Any, screenshots: Path, sessions: sessionmaker[Session]
) -> None:
    context = browser.new_context(
        viewport={"width": 320, "height": 640}, java_script_enabled=False, locale="en-US"
    )
    page = context.new_page()

    def fits() -> bool:
        return bool(page.evaluate("document.documentElement.scrollWidth <= 320"))

    page.goto(live_server.url + "/")
    assert fits()
    page.get_by_role("link", name="Downtown Benefits Office").click()
    page.get_by_role("link", name="Benefits interview").click()
    assert fits()
    _shot(page, screenshots, "12-mobile-times")
    page.get_by_role("link", name="Next week").click()  # a plain link without JavaScript
    assert page.url.endswith("?week=2026-12-07")
    page.get_by_role("button", name="Thursday, December 10, 2026, 2:00 PM").click()
    page.get_by_role("heading", name="Your details").wait_for()
    assert fits()
    _shot(page, screenshots, "13-mobile-details")
    page.get_by_label("Your name").fill("Bao Tran")
    page.get_by_label("Email address").fill("bao@example.org")
    page.get_by_role("button", name="Book this appointment").click()
    page.get_by_role("heading", name="Your appointment is booked").wait_for()
    assert fits()
    _shot(page, screenshots, "14-mobile-confirmation")
    # Touch targets: every button and button-styled link is at least 44 px tall.
    heights = page.eval_on_selector_all(
        "button, a.button", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert heights
    assert min(heights) >= 44
    context.close()
    with unit_of_work(sessions) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 1
