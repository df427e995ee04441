"""Public pages in the person's language, on both databases: chosen with ?lang= (and then
remembered), else from Accept-Language, else English; lang and dir on the page; dates, times,
errors and form messages in that language; a switcher that keeps the page."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.web import i18n
from tests.web.page_support import Catalogue, arrange_office, get, read

SLOTS = "/offices/downtown/services/{service}"


@pytest.fixture
def catalogue(sessions: sessionmaker[Session]) -> Catalogue:
    return arrange_office(sessions)


def _html_tag(html: str) -> str:
    found = re.search(r"<html[^>]*>", html)
    assert found is not None
    return found.group(0)


def test_lang_in_the_address_sets_the_language_and_a_cookie_keeps_it(
    app_client: TestClient, catalogue: Catalogue
) -> None:
    first = app_client.get("/?lang=ar")
    assert _html_tag(first.text) == '<html lang="ar" dir="rtl">'
    assert "احجز موعدًا في أحد المكاتب المحلية" in first.text
    assert first.headers["content-language"] == "ar"
    assert first.cookies.get(i18n.LANG_COOKIE) == "ar"
    # The next page, without ?lang=, follows the cookie.
    office = app_client.get("/offices/downtown")
    assert _html_tag(office.text) == '<html lang="ar" dir="rtl">'
    assert "اختر خدمة أخرى" not in office.text  # (that is the slots page's back link)
    assert "اختر مكتبًا آخر" in office.text


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-CA,fr;q=0.9,en;q=0.5", "fr"),
        ("de-DE,ko;q=0.8", "ko"),
        ("zh-CN,zh;q=0.9", "zh-Hans"),
        ("zh-TW", "en"),  # Traditional Chinese is not Simplified: English, not a guess
        ("fil-PH", "tl"),
        ("ht, fr;q=0.9", "ht"),
        ("en;q=0.2, vi;q=0.9", "vi"),
        ("", "en"),
    ],
)
def test_accept_language_picks_the_best_language_we_have(
    app_client: TestClient, catalogue: Catalogue, header: str, expected: str
) -> None:
    page = app_client.get("/", headers={"Accept-Language": header})
    direction = "rtl" if expected == "ar" else "ltr"
    assert _html_tag(page.text) == f'<html lang="{expected}" dir="{direction}">'
    assert i18n.LANG_COOKIE not in page.cookies  # only a choice the person made is remembered


def test_the_switcher_keeps_the_page_and_its_query(
    app_client: TestClient, catalogue: Catalogue
) -> None:
    url = SLOTS.format(service=catalogue.service_slug) + "?week=2026-12-07&interpreter=vi"
    page = read(app_client.get(url + "&lang=es"))
    switcher = {text: href for href, text in page.links if href.startswith(url.split("?")[0])}
    assert switcher["العربية"] == SLOTS.format(service=catalogue.service_slug) + (
        "?week=2026-12-07&interpreter=vi&lang=ar"
    )
    assert {"English", "Español", "中文 (简体)", "Tiếng Việt", "한국어", "Tagalog"} <= set(switcher)
    assert {"Kreyòl Ayisyen", "Русский", "Français"} <= set(switcher)
    # Dates and times in Spanish, in the office's zone (New York), week of 7 December.
    assert "Semana del lunes, 7 de diciembre de 2026" in page.text
    assert "martes, 8 de diciembre de 2026, 9:00" in page.text
    # The interpreter's language by its own name, then in the page's language.
    assert "Tiếng Việt (Vietnamita)" in page.text


def test_errors_are_shown_in_the_persons_language(
    app_client: TestClient, catalogue: Catalogue
) -> None:
    missing = get(app_client, "/offices/nowhere?lang=ru")
    assert missing.status_code == 404
    assert missing.lang == "ru"
    assert "По этому адресу офиса нет." in missing.text
    bad_week = app_client.get(SLOTS.format(service=catalogue.service_slug) + "?week=soon&lang=ko")
    assert bad_week.status_code == 422
    assert "주소의 주는 2026-12-07 같은 날짜여야 합니다." in bad_week.text


def test_form_messages_are_translated_with_their_limits(
    app_client: TestClient, catalogue: Catalogue
) -> None:
    app_client.cookies.set(i18n.LANG_COOKIE, "fr")
    slots = get(app_client, SLOTS.format(service=catalogue.service_slug))
    form = slots.form()
    [button] = [b for b in form.buttons if b.name == "start"][:1]
    held = form.submit(app_client, button)
    assert held.status_code == 303
    details = get(app_client, held.headers["location"])
    assert details.lang == "fr"
    # The preferred language starts as the one they are reading in.
    assert details.form("/book/").fields["language"] == ["fr"]
    response = details.form("/book/").submit(app_client, name="x" * 201, phone="", email="")
    assert response.status_code == 422
    page = read(response)
    assert "Votre nom doit faire 200 caractères au maximum" in page.text
    assert "Indiquez un numéro de téléphone ou une adresse e-mail" in page.text
    assert "Vérifiez vos informations" in page.text


def test_staff_pages_stay_in_english(app_client: TestClient, catalogue: Catalogue) -> None:
    page = app_client.get("/staff/sign-in?lang=es", follow_redirects=True)
    assert _html_tag(page.text) == '<html lang="en" dir="ltr">'
