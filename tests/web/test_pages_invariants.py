"""Rules every public page keeps, checked over every page template as the app renders it, and
over the template files themselves: a language, a title, a skip link, landmarks, labels tied to
inputs, no inline script, style or event handler, nothing loaded from another site, and the
security headers (CSP with script-src 'self').
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.scheduling import waitlist, walk_in_queue
from haven.scheduling.models import Office
from haven.scheduling.waitlist_models import WaitlistEntry
from haven.vault.keys import load_keyring
from haven.web.templating import TEMPLATES_DIR
from tests.web.page_support import Page, arrange_office, read

# The public pages; staff pages have their own walk (tests/access), the file checks below
# cover every template.
PAGE_TEMPLATES = sorted(
    f"pages/{p.name}"
    for p in (TEMPLATES_DIR / "pages").glob("*.html")
    if not p.name.startswith("_")
)


def _every_page(client: TestClient) -> Iterator[httpx.Response]:
    """One response per page template: the booking flow, its errors, manage, error pages."""
    yield client.get("/")
    yield client.get("/offices/downtown")
    slots = client.get("/offices/downtown/services/benefits-interview")
    yield slots
    slot_form = read(slots).form()
    start = next(b for b in slot_form.buttons if b.name == "start")
    held = slot_form.submit(client, start)
    details = client.get(held.headers["location"])
    yield details
    form = read(details).form("/book/")
    yield form.submit(client, name="", phone="")  # the form with its errors
    booked = form.submit(client, name="Ana Example", phone="202-555-0143", language="es")
    confirmation = client.get(booked.headers["location"])
    yield confirmation
    manage_url = read(confirmation).link("See or change my appointment")
    yield client.get(manage_url)
    yield client.get(f"{manage_url}/reschedule")
    cancel_page = client.get(f"{manage_url}/cancel")
    yield cancel_page
    cancelled = read(cancel_page).form("/cancel").submit(client)
    yield client.get(cancelled.headers["location"])
    yield client.get("/offices/nowhere")
    yield client.get("/book/expired-or-never-was")
    yield client.post("/offices/downtown/services/benefits-interview", data={"start": "x"})


def _queue_and_waitlist_pages(
    client: TestClient, sessions: sessionmaker[Session], settings: Settings, clock: ManualClock
) -> Iterator[httpx.Response]:
    """The waiting-room screen, a ticket, the waitlist form and an offer (issue 7)."""
    yield client.get("/offices/downtown/queue")
    join = client.get("/offices/downtown/services/benefits-interview/waitlist")
    yield join
    read(join).form("/waitlist").submit(
        client, first_day="2026-12-01", last_day="2026-12-01", name="Ana", contact="a@example.org"
    )
    keyring = load_keyring(settings)
    with unit_of_work(sessions) as session:
        waitlist.offer_open_slots(session, keyring, clock, offer_for=timedelta(hours=1))
        entry = session.scalars(sa.select(WaitlistEntry)).one()
        assert entry.offer_seed is not None
        offer = waitlist.offer_token(keyring, entry.offer_seed)
        office = session.get_one(Office, entry.office_id)
        ticket = walk_in_queue.issue_ticket(
            session,
            clock,
            actor="staff:test",
            office=office,
            service_id=entry.service_id,
            language="en",
        )
    yield client.get(f"/waitlist/offers/{offer}")
    yield client.get(f"/queue/tickets/{ticket.token}")


@pytest.fixture
def pages(
    app_client: TestClient,
    sessions: sessionmaker[Session],
    settings: Settings,
    clock: ManualClock,
) -> list[tuple[str, Page]]:
    arrange_office(sessions)
    rendered = []
    walks = (
        _every_page(app_client),
        _queue_and_waitlist_pages(app_client, sessions, settings, clock),
    )
    for response in itertools.chain(*walks):
        assert response.status_code < 500
        assert response.headers["content-type"].startswith("text/html")
        template = response.template.name  # type: ignore[attr-defined]
        rendered.append((template, read(response), response.headers))
    return [(name, page) for name, page, _ in rendered] + [
        (f"{name} headers", _headers_page(headers)) for name, _, headers in rendered
    ]


def _headers_page(headers: httpx.Headers) -> Page:
    page = Page(status_code=0, html="")
    page.text = "\n".join(f"{k}: {v}" for k, v in headers.items())
    return page


def test_every_page_template_is_rendered_by_the_walk(pages: list[tuple[str, Page]]) -> None:
    assert {name for name, _ in pages if not name.endswith("headers")} == set(PAGE_TEMPLATES)


def test_every_page_has_language_title_skip_link_and_landmarks(
    pages: list[tuple[str, Page]],
) -> None:
    for name, page in pages:
        if name.endswith("headers"):
            continue
        assert page.lang == "en", name
        assert page.title.endswith("Haven appointments"), name
        assert len(page.title) > len(" – Haven appointments"), name  # noqa: RUF001
        assert page.links[0] == ("#main", "Skip to main content"), name
        assert "main" in page.ids, name
        assert {"main", "header", "footer"} <= page.landmarks, name
        assert page.html.count("<h1") == 1, name


def test_every_input_has_a_label_and_unique_id(pages: list[tuple[str, Page]]) -> None:
    for name, page in pages:
        assert len(page.ids) == len(set(page.ids)), f"{name}: duplicate ids"
        for form in page.forms:
            for control in form.controls:
                if control.get("type") == "hidden":
                    continue
                assert control.get("id") in page.labels_for, f"{name}: {control} has no label"


def test_no_inline_script_style_or_handlers_and_nothing_from_elsewhere(
    pages: list[tuple[str, Page]],
) -> None:
    for name, page in pages:
        if name.endswith("headers"):
            continue
        assert page.scripts == [
            {"src": "/static/vendor/htmx/htmx.min.js?v=0.1.0"},
            {"src": "/static/js/haven.js?v=0.1.0"},
        ], name
        assert page.inline_handlers == [], name
        assert page.inline_styles == 0, name
        for url in page.urls:
            assert url.startswith(("/", "#")), f"{name}: {url}"
            assert not url.startswith("//"), f"{name}: {url}"


def test_every_page_sends_the_security_headers(pages: list[tuple[str, Page]]) -> None:
    for name, page in pages:
        if not name.endswith("headers"):
            continue
        assert "content-security-policy: default-src 'self'; script-src 'self';" in page.text
        assert "referrer-policy: same-origin" in page.text, name
        assert "x-content-type-options: nosniff" in page.text, name


@pytest.mark.parametrize(
    "template", sorted(str(p.relative_to(TEMPLATES_DIR)) for p in TEMPLATES_DIR.rglob("*.html"))
)
def test_template_files_hold_no_inline_code_or_outside_urls(template: str) -> None:
    path = TEMPLATES_DIR / template
    source = path.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", source), "inline event handler"
    assert not re.search(r"\sstyle\s*=", source), "inline style attribute"
    assert "<style" not in source
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", source, re.IGNORECASE), "URL"
    assert "javascript:" not in source.lower()
    if path.parent.name == "pages" and not path.name.startswith("_"):
        assert '{% extends "base.html" %}' in source
        assert "{% block title %}" in source
