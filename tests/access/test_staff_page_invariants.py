"""Rules every sign-in and admin page keeps, as the app renders them: a language, a title, a
skip link, landmarks, one h1, labels tied to inputs, unique ids, no inline script or style,
nothing from another site, the security headers, never cached, and a CSRF token in every form.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.access.models import Role
from haven.access.sessions import AccessPolicy
from haven.clock import ManualClock
from haven.db import unit_of_work
from haven.vault.keys import Keyring
from tests import factories
from tests.access.support import add_staff, grant
from tests.access.web_support import sign_in
from tests.web.page_support import Page, read

ACCESS_TEMPLATES = {
    "staff/sign_in.html",
    "staff/sign_in_code.html",
    "staff/staff_home.html",
    "staff/staff_accounts.html",
    "staff/staff_account.html",
    "staff/staff_account_new.html",
    "staff/staff_account_created.html",
    "staff/staff_offices.html",
    "staff/staff_error.html",
    "staff/staff_password.html",
}


def _every_access_page(
    client: TestClient,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
) -> Iterator[httpx.Response]:
    with unit_of_work(sessions) as session:
        office_id = factories.office(session, slug="downtown").id
    admin = add_staff(sessions, clock, keyring, policy, "ada", grant(Role.ADMIN))
    clerk = add_staff(sessions, clock, keyring, policy, "cleo", grant(Role.CLERK, office_id))
    sign_in_page = client.get("/staff/sign-in")
    yield sign_in_page
    after_password = (
        read(sign_in_page)
        .form("/staff/sign-in")
        .submit(client, username="ada", password=admin.password)
    )
    code_page = client.get(after_password.headers["location"])
    yield code_page
    yield read(code_page).form("/staff/sign-in/code").submit(client, code="123")  # with error
    client.cookies.clear()
    sign_in(client, admin, clock)
    yield client.get("/staff/")
    yield client.get("/staff/admin/accounts")
    new_account = client.get("/staff/admin/accounts/new")
    yield new_account
    yield read(new_account).form("/staff/admin/accounts").submit(client, username="x")
    yield client.get(f"/staff/admin/accounts/{clerk.account_id}")
    yield (
        read(new_account)
        .form("/staff/admin/accounts")
        .submit(
            client,
            username="pat",
            display_name="Pat Officer",
            password="a long enough password",
            grant="privacy_officer",
        )
    )
    yield client.get("/staff/admin/offices")
    yield client.get("/staff/password")
    yield client.get("/staff/admin/accounts/424242")


@pytest.fixture
def pages(
    app_client: TestClient,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
) -> list[tuple[str, Page, httpx.Headers]]:
    rendered = []
    for response in _every_access_page(app_client, sessions, clock, keyring, policy):
        assert response.status_code < 500
        template = response.template.name  # type: ignore[attr-defined]
        rendered.append((template, read(response), response.headers))
    return rendered


def test_the_walk_renders_every_access_template(
    pages: list[tuple[str, Page, httpx.Headers]],
) -> None:
    assert {name for name, _, _ in pages} == ACCESS_TEMPLATES


def test_every_page_has_language_title_skip_link_landmarks_and_one_heading(
    pages: list[tuple[str, Page, httpx.Headers]],
) -> None:
    for name, page, _ in pages:
        assert page.lang == "en", name
        assert page.title.endswith("Haven staff"), name
        assert len(page.title) > len(" - Haven staff"), name
        assert page.links[0] == ("#main", "Skip to main content"), name
        assert {"main", "header", "footer"} <= page.landmarks, name
        assert page.html.count("<h1") == 1, name


def test_every_input_has_a_label_and_every_form_a_csrf_token(
    pages: list[tuple[str, Page, httpx.Headers]],
) -> None:
    for name, page, _ in pages:
        assert len(page.ids) == len(set(page.ids)), f"{name}: duplicate ids"
        for form in page.forms:
            assert form.method == "post", name
            assert form.fields.get("csrf_token", [""])[0], f"{name}: {form.action} has no token"
            for control in form.controls:
                if control.get("type") != "hidden":
                    assert control.get("id") in page.labels_for, f"{name}: {control}"


def test_no_inline_code_nothing_from_elsewhere_and_the_headers(
    pages: list[tuple[str, Page, httpx.Headers]],
) -> None:
    for name, page, headers in pages:
        assert page.scripts == [{"src": "/static/vendor/htmx/htmx.min.js?v=0.1.0"}], name
        assert page.inline_handlers == [], name
        assert page.inline_styles == 0, name
        for url in page.urls:
            assert url.startswith(("/", "#")), f"{name}: {url}"
            assert not url.startswith("//"), f"{name}: {url}"
        assert headers["cache-control"] == "no-store", name
        assert headers["content-security-policy"].startswith("default-src 'self'"), name
        assert headers["x-frame-options"] == "DENY", name
