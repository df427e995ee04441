"""axe-core finds no WCAG 2.2 A/AA violation on any public page in any state (errors shown,
confirmation, an empty week, an office with nothing to book, manage, cancelled), in English and
in Arabic (right to left), nor on any staff page; the pages need no sideways scrolling at 320 px
nor at 200% zoom. Real Chromium, real app, both databases."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.scheduling import waitlist
from haven.scheduling.models import Office
from haven.scheduling.waitlist_models import WaitlistEntry
from haven.vault.keys import Keyring, load_keyring
from tests import factories
from tests.browser.a11y_support import axe_violations, create_staff, sign_in
from tests.browser.conftest import LiveServer
from tests.web.page_support import Catalogue

pytestmark = pytest.mark.browser

# The week of 14 December is closed at the test office: a week with no times at all.
CLOSED_WEEK = date(2026, 12, 14)


def _arrange_quiet_places(sessions: sessionmaker[Session], office_id: int) -> None:
    """A closed week at the test office, and a second office with nothing to book online."""
    with unit_of_work(sessions) as session:
        office = session.get(Office, office_id)
        assert office is not None
        factories.closure(session, office, CLOSED_WEEK, date(2026, 12, 18))
        quiet = factories.office(session, slug="quiet")
        quiet.name = "Quiet Street Office"


def _public_tour(page: Any, base: str, slots_path: str, lang: str) -> dict[str, list[str]]:
    """Every public page in each of its states, with selectors that do not depend on the
    page's language; axe's findings by page."""
    found: dict[str, list[str]] = {}

    def check(name: str) -> None:
        found[f"{lang} {name}"] = axe_violations(page)

    page.goto(f"{base}/?lang={lang}")
    check("offices")
    page.goto(f"{base}/offices/downtown")
    check("services")
    page.goto(f"{base}/offices/quiet")
    check("office with no services")
    page.goto(f"{base}{slots_path}?week={CLOSED_WEEK.isoformat()}")
    check("a week with no times")
    page.goto(f"{base}{slots_path}?week=2026-12-07")
    check("times")
    # A time that is not one of those offered: the page comes back with its notice.
    page.eval_on_selector("button[name=start]", "button => { button.value = 'not-a-time'; }")
    page.click("button[name=start]")
    page.wait_for_selector("main .notice[role=alert]")
    check("times with an error notice")
    page.click("button[name=start]")
    page.wait_for_selector("form[action^='/book/'] #name")
    check("details")
    page.click("form[action^='/book/'] button[type=submit]")
    page.wait_for_selector(".error-summary")
    check("details with errors")
    page.fill("#name", "Ana Example")
    page.fill("#phone", "(202) 555-0143")
    page.check("#accommodation-wheelchair-access")
    page.click("form[action^='/book/'] button[type=submit]")
    page.wait_for_selector("#confirmation-code")
    check("confirmation")
    manage = page.get_attribute("#manage-link", "href")
    assert manage is not None
    page.goto(base + manage)
    check("manage")
    page.click("a[href$='/reschedule']")
    page.wait_for_selector("button[name=start]")
    check("reschedule")
    page.goto(base + manage + "/cancel")
    check("cancel, are you sure")
    page.click("form[action$='/cancel'] button[type=submit]")
    page.wait_for_url("**?done=cancelled")
    check("cancelled")
    page.goto(base + "/offices/nowhere")
    check("not found")
    page.goto(base + "/book/expired-or-never-was")
    check("expired booking form")
    page.goto(f"{base}{slots_path}/waitlist")
    check("waitlist")
    page.click("form[action$='/waitlist'] button[type=submit]")
    page.wait_for_load_state()
    check("waitlist with errors")
    token = manage.rstrip("/").rsplit("/", 1)[-1]
    for name, path in [
        ("waiting-room screen", "/offices/downtown/queue"),
        ("my records", f"/my/{token}"),
        ("transparency", "/transparency"),
        ("transparency log", "/transparency/log"),
        ("disclosure policy", "/transparency/policy"),
    ]:
        page.goto(base + path)
        check(name)
    return found


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_every_public_page_in_every_state_passes_axe(
    live_server: LiveServer, browser: Any, sessions: sessionmaker[Session], lang: str
) -> None:
    _arrange_quiet_places(sessions, live_server.catalogue.office_id)
    context = browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-US")
    page = context.new_page()
    slots_path = f"/offices/downtown/services/{live_server.catalogue.service_slug}"
    found = _public_tour(page, live_server.url, slots_path, lang)
    context.close()
    assert len(found) == 22
    assert {name: v for name, v in found.items() if v} == {}


def test_every_staff_page_passes_axe(
    live_server: LiveServer,
    browser: Any,
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    office_id = live_server.catalogue.office_id
    secret = create_staff(sessions, live_server.clock, tmp_path / "home", office_id)
    context = browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-US")
    page = context.new_page()
    found: dict[str, list[str]] = {}
    # An appointment for the front desk's pages.
    slots_path = f"/offices/downtown/services/{live_server.catalogue.service_slug}"
    page.goto(live_server.url + slots_path)
    page.click("button[name=start]")
    page.fill("#name", "Ana Example")
    page.fill("#phone", "(202) 555-0143")
    page.click("form[action^='/book/'] button[type=submit]")
    page.wait_for_selector("#confirmation-code")

    page.goto(live_server.url + "/staff/sign-in")
    page.get_by_label("Username").fill("ally")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    found["sign-in with an error"] = axe_violations(page)
    sign_in(page, live_server.url, live_server.clock, secret)
    page.goto(live_server.url + f"/staff/clerk/{office_id}")
    visit_links = page.eval_on_selector_all(
        "a[href*='/appointments/']", "links => links.map(a => a.getAttribute('href'))"
    )
    assert visit_links, "the front desk lists the booked appointment"
    paths = [
        "/staff/",
        "/staff/password",
        "/staff/admin/accounts",
        "/staff/admin/accounts/new",
        "/staff/admin/accounts/1",
        "/staff/admin/offices",
        "/staff/clerk",
        f"/staff/clerk/{office_id}",
        visit_links[0],
        "/staff/manager",
        f"/staff/manager/{office_id}",
        "/staff/manager-record",
        f"/staff/manager/{office_id}/messages",
        "/staff/auditor",
        "/staff/auditor/verify",
        "/staff/privacy/alerts",
        "/staff/disclosure/",
        "/staff/disclosure/intake",
    ]
    for path in [*paths, f"/staff/clerk/{office_id}/queue"]:
        response = page.goto(live_server.url + path)
        assert response is not None
        assert response.status < 400, path
        found[path] = axe_violations(page)
    # A walk-in's ticket: the page that issues it, then the person's own (public) ticket page.
    page.click("form[action$='/queue/tickets'] button[type=submit]")
    ticket = page.get_attribute("main a[href*='/queue/tickets/']", "href")
    assert ticket is not None
    found["ticket issued"] = axe_violations(page)
    page.goto(ticket)
    found["the person's ticket"] = axe_violations(page)
    context.close()
    assert len(found) == 22
    assert {name: v for name, v in found.items() if v} == {}


def _scrolls_sideways(page: Any) -> bool:
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"
        )
    )


@pytest.mark.parametrize(
    ("viewport", "scale"),
    [
        ({"width": 320, "height": 640}, 1),
        # A 1280 x 800 window zoomed to 200%: half the CSS pixels, each drawn twice as large.
        ({"width": 640, "height": 400}, 2),
    ],
    ids=["320px", "200pct-zoom"],
)
def test_pages_need_no_sideways_scrolling_narrow_or_zoomed(
    live_server: LiveServer,
    browser: Any,
    sessions: sessionmaker[Session],
    viewport: dict[str, int],
    scale: int,
) -> None:
    _arrange_quiet_places(sessions, live_server.catalogue.office_id)
    context = browser.new_context(
        viewport=viewport, device_scale_factor=scale, locale="en-US", has_touch=scale == 1
    )
    page = context.new_page()
    slots_path = f"/offices/downtown/services/{live_server.catalogue.service_slug}"
    wide: list[str] = []
    original_goto = page.goto

    def goto_and_measure(url: str, **kwargs: Any) -> Any:
        response = original_goto(url, **kwargs)
        if _scrolls_sideways(page):
            wide.append(page.url)
        return response

    page.goto = goto_and_measure
    for lang in ("en", "ar", "vi"):
        _public_tour_without_axe(page, live_server.url, slots_path, lang, wide)
    context.close()
    assert wide == []


def _public_tour_without_axe(
    page: Any, base: str, slots_path: str, lang: str, wide: list[str]
) -> None:
    def measure() -> None:
        if _scrolls_sideways(page):
            wide.append(f"{lang} {page.url}")

    for path in ["/", "/offices/downtown", f"{slots_path}?week=2026-12-07"]:
        page.goto(f"{base}{path}{'&' if '?' in path else '?'}lang={lang}")
        measure()
    page.click("button[name=start]")
    page.wait_for_selector("#name")
    page.click("form[action^='/book/'] button[type=submit]")
    page.wait_for_selector(".error-summary")
    measure()
    page.fill("#name", "Ana Example")
    page.fill("#email", "ana@example.org")
    page.click("form[action^='/book/'] button[type=submit]")
    page.wait_for_selector("#confirmation-code")
    measure()
    manage = page.get_attribute("#manage-link", "href")
    page.goto(f"{base}{manage}")
    measure()


def test_axe_really_reports_violations(browser: Any) -> None:
    """The checker is live: a page with a nameless image and an unlabelled field fails."""
    context = browser.new_context()
    page = context.new_page()
    page.set_content('<html lang="en"><body><img src="x.png"><input type="text"></body></html>')
    found = " ".join(axe_violations(page))
    context.close()
    assert "image-alt" in found
    assert "label" in found


def _waitlist_offer_token(
    sessions: sessionmaker[Session], keyring: Keyring, clock: ManualClock, catalogue: Catalogue
) -> str:
    """Join the waitlist for a day with free times and let the offer job hold one: the token
    the offer's message links to."""
    day = date(2026, 12, 8)
    request = waitlist.WaitlistRequest(
        office_id=catalogue.office_id,
        service_id=catalogue.service_id,
        first_day=day,
        last_day=day,
        language="en",
        name="Ana Example",
        phone="+12025550143",
        email=None,
    )
    with unit_of_work(sessions) as session:
        entry_id = waitlist.join_waitlist(session, keyring, clock, request).id
    with unit_of_work(sessions) as session:
        assert waitlist.offer_open_slots(session, keyring, clock, offer_for=timedelta(hours=2))
    with unit_of_work(sessions) as session:
        seed = session.get_one(WaitlistEntry, entry_id).offer_seed
    assert seed is not None
    return waitlist.offer_token(keyring, seed)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_waitlist_offer_page_passes_axe(
    live_server: LiveServer,
    browser: Any,
    sessions: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    lang: str,
) -> None:
    # The live server's keyring (its home is tmp_path/home): the token is keyed by it.
    keyring = load_keyring(Settings(home=tmp_path / "home", database_url=database_url))
    token = _waitlist_offer_token(sessions, keyring, live_server.clock, live_server.catalogue)
    context = browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-US")
    page = context.new_page()
    response = page.goto(live_server.url + f"/waitlist/offers/{token}?lang={lang}")
    assert response is not None
    assert response.status == 200
    assert page.locator("form[action^='/waitlist/offers/']").count() == 1
    found = axe_violations(page)
    context.close()
    assert found == []
