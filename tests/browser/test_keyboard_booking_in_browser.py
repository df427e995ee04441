"""The whole booking, from the office list to the confirmation, by keyboard alone in a real
Chromium: only Tab, Shift+Tab, Enter and Space move and act (typing fills the fields), every
focused control shows a visible focus outline, and errors are tied to their fields."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.db import unit_of_work
from haven.scheduling.models import Appointment
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

MAX_TABS = 120

_FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    text: (el.textContent || '').replace(/\\s+/g, ' ').trim(),
    outline: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
  };
}"""


class Keyboard:
    """Moves through a page with Tab and Shift+Tab only, checking each stop shows its focus."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.stops = 0

    def focused(self) -> dict[str, Any]:
        info: dict[str, Any] = self.page.evaluate(_FOCUSED)
        return info

    def tab_to(self, *, text: str | None = None, id: str | None = None, back: bool = False) -> None:
        """Press Tab (Shift+Tab when `back`) until the control with this text or id has focus."""
        for _ in range(MAX_TABS):
            self.page.keyboard.press("Shift+Tab" if back else "Tab")
            info = self.focused()
            if info["tag"] == "body":
                continue
            self.stops += 1
            assert info["outline"] != "none", f"no visible focus on {info}"
            assert info["outlineWidth"] >= 2, f"too thin a focus outline on {info}"
            if (text is not None and info["text"] == text) or (id is not None and info["id"] == id):
                return
        raise AssertionError(f"Tab never reached {text or id}")


def test_book_by_keyboard_alone(
    live_server: LiveServer, browser: Any, sessions: sessionmaker[Session]
) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-US")
    page = context.new_page()
    keys = Keyboard(page)
    page.goto(live_server.url + "/")

    keys.tab_to(text="Skip to main content")
    keys.tab_to(text="Downtown Benefits Office")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Downtown Benefits Office").wait_for()
    keys.tab_to(text="Benefits interview")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Week of Monday, November 30, 2026").wait_for()

    keys.tab_to(text="Next week →")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Week of Monday, December 7, 2026").wait_for()
    keys.tab_to(text="Tuesday, December 8, 2026, 9:00 AM")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Your details").wait_for()

    # Send the form empty first: the errors come back, each tied to its field.
    keys.tab_to(text="Book this appointment")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Please check your details").wait_for()
    name_field = page.locator("#name")
    assert name_field.get_attribute("aria-invalid") == "true"
    described_by = name_field.get_attribute("aria-describedby") or ""
    assert "name-error" in described_by.split()
    assert " ".join(page.inner_text("#name-error").split()) == "Error: Enter your name"
    assert "phone-error" in (page.locator("#phone").get_attribute("aria-describedby") or "")

    keys.tab_to(id="name")
    page.keyboard.type("Ana Example")
    keys.tab_to(id="phone")
    page.keyboard.type("(202) 555-0143")
    keys.tab_to(id="accommodation-wheelchair-access")
    page.keyboard.press("Space")
    assert page.locator("#accommodation-wheelchair-access").is_checked()
    # One step back and forth again: Shift+Tab works too.
    keys.tab_to(id="accommodation-interpreter", back=True)
    keys.tab_to(id="accommodation-wheelchair-access")
    keys.tab_to(text="Book this appointment")
    page.keyboard.press("Enter")

    page.get_by_role("heading", name="Your appointment is booked").wait_for()
    code = page.inner_text("#confirmation-code")
    keys.tab_to(text="See or change my appointment")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Your appointment", exact=True).wait_for()
    assert keys.stops > 10
    context.close()

    with unit_of_work(sessions) as session:
        [appointment] = session.scalars(sa.select(Appointment))
        assert appointment.confirmation_code == code
        assert appointment.accommodations == ["wheelchair-access"]
