"""Booking in Spanish, Arabic (right to left), Simplified Chinese and English in a real
Chromium: the language is chosen with the switcher and then kept from page to page; the pages
say lang and dir, show the translated words, and dates in the language. Screenshots for the
README (`HAVEN_SCREENSHOTS=docs/screenshots`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.db import unit_of_work
from haven.scheduling.models import Appointment
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

# What each language's pages must say: the switcher's name, the times page's heading, the
# week's first day, the details heading, the confirmation heading.
LANGUAGES = {
    "en": (
        "English",
        "Choose a day and time",
        "Week of Monday, December 7, 2026",
        "Your details",
        "Your appointment is booked",
    ),
    "es": (
        "Español",
        "Elija un día y una hora",
        "Semana del lunes, 7 de diciembre de 2026",
        "Sus datos",
        "Su cita está reservada",
    ),
    "ar": (
        "العربية",
        "اختر يومًا ووقتًا",
        "أسبوع الاثنين، 7 ديسمبر 2026",
        "بياناتك",
        "تم حجز موعدك",
    ),
    "zh-Hans": (
        "中文 (简体)",
        "选择日期和时间",
        "2026年12月7日星期一 这一周",
        "您的信息",
        "您的预约已确认",
    ),
}


def _document_language(page: Any) -> tuple[str, str]:
    lang, direction = page.evaluate("[document.documentElement.lang, document.documentElement.dir]")
    return str(lang), str(direction)


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_book_in_a_language_chosen_with_the_switcher(
    live_server: LiveServer,
    browser: Any,
    screenshots: Path,
    sessions: sessionmaker[Session],
    lang: str,
) -> None:
    switcher_name, times_heading, week_heading, details_heading, booked_heading = LANGUAGES[lang]
    direction = "rtl" if lang == "ar" else "ltr"
    context = browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-US")
    page = context.new_page()
    page.goto(live_server.url + "/offices/downtown")
    assert _document_language(page) == ("en", "ltr")
    page.get_by_role("navigation", name="Language").get_by_role("link", name=switcher_name).click()
    # The same page, now in the chosen language.
    assert page.url.endswith(f"/offices/downtown?lang={lang}")
    assert _document_language(page) == (lang, direction)

    page.click(f"a[href='/offices/downtown/services/{live_server.catalogue.service_slug}']")
    # No ?lang= in this address: the cookie kept the choice.
    assert "lang=" not in page.url
    assert _document_language(page) == (lang, direction)
    page.get_by_role("heading", name=times_heading, exact=True).wait_for()
    page.click("#next-week")
    page.get_by_role("heading", name=week_heading).wait_for()
    if lang == "ar":
        # Right to left: the page's text starts at the right edge.
        start = page.evaluate("getComputedStyle(document.querySelector('main h1')).direction")
        assert start == "rtl"
    page.screenshot(path=str(screenshots / f"lang-{lang}-times.png"), full_page=True)

    page.click("#week button[name=start]")
    page.get_by_role("heading", name=details_heading, exact=True).wait_for()
    assert page.locator("#language").input_value() == lang
    page.fill("#name", "Ana Example")
    page.fill("#phone", "(202) 555-0143")
    page.screenshot(path=str(screenshots / f"lang-{lang}-details.png"), full_page=True)
    page.click("form[action^='/book/'] button[type=submit]")
    page.get_by_role("heading", name=booked_heading).wait_for()
    assert _document_language(page) == (lang, direction)
    code = page.inner_text("#confirmation-code")
    page.screenshot(path=str(screenshots / f"lang-{lang}-confirmation.png"), full_page=True)
    context.close()

    with unit_of_work(sessions) as session:
        [appointment] = session.scalars(sa.select(Appointment))
        assert appointment.confirmation_code == code
        assert appointment.language == lang
