"""Staff pages through the app: sign-in with and without a code, cookies, CSRF, redirects
for pages and 401 JSON for the API, sign-out everywhere, and the admin's account pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.access.models import Role
from haven.access.second_factor import code_at
from haven.access.sessions import AccessPolicy
from haven.clock import ManualClock
from haven.db import unit_of_work
from haven.vault.keys import Keyring
from tests import factories
from tests.access.support import Staff, add_staff, grant, ledger_entries
from tests.access.web_support import sign_in
from tests.web.page_support import read


@pytest.fixture
def downtown(sessions: sessionmaker[Session]) -> int:
    with unit_of_work(sessions) as session:
        return factories.office(session, slug="downtown").id


@pytest.fixture
def clerk(
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
    downtown: int,
) -> Staff:
    return add_staff(sessions, clock, keyring, policy, "cleo", grant(Role.CLERK, downtown))


@pytest.fixture
def admin(
    sessions: sessionmaker[Session], clock: ManualClock, keyring: Keyring, policy: AccessPolicy
) -> Staff:
    return add_staff(sessions, clock, keyring, policy, "ada", grant(Role.ADMIN))


def test_a_clerk_signs_in_with_a_password_and_gets_a_strict_httponly_cookie(
    app_client: TestClient, clerk: Staff, sessions: sessionmaker[Session]
) -> None:
    response = sign_in(app_client, clerk)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("haven_staff=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Path=/" in cookie
    home = read(app_client.get("/staff/"))
    assert home.status_code == 200
    assert "Cleo Staffer" in home.text
    assert "Downtown Field Office" in home.text
    [entry] = ledger_entries(sessions, "access:session:signed_in")
    assert entry["actor"] == clerk.actor
    assert entry["second_factor"] is False


def test_an_admin_needs_the_code_and_the_password_alone_signs_nobody_in(
    app_client: TestClient, admin: Staff, clock: ManualClock, sessions: sessionmaker[Session]
) -> None:
    page = read(app_client.get("/staff/sign-in"))
    after_password = page.form("/staff/sign-in").submit(
        app_client, username="ada", password=admin.password
    )
    assert after_password.headers["location"].startswith("/staff/sign-in/code")
    assert app_client.get("/api/v1/staff/me").status_code == 401
    code_page = read(app_client.get(after_password.headers["location"]))
    wrong = code_page.form("/staff/sign-in/code").submit(app_client, code="000000")
    assert wrong.status_code == 401
    assert "That code is not right" in read(wrong).text
    assert admin.enrolment is not None
    code = code_at(admin.enrolment.secret, clock.now())
    signed_in = read(wrong).form("/staff/sign-in/code").submit(app_client, code=code)
    assert signed_in.status_code == 303
    me = app_client.get("/api/v1/staff/me").json()
    assert me == {"account": admin.actor, "display_name": "Ada Staffer", "roles": {"admin": []}}
    reasons = [e["reason"] for e in ledger_entries(sessions, "access:session:sign_in_failed")]
    assert reasons == ["wrong_code"]
    [entry] = ledger_entries(sessions, "access:session:signed_in")
    assert entry["second_factor"] is True


def test_a_used_code_cannot_sign_in_again(
    app_client: TestClient, admin: Staff, clock: ManualClock
) -> None:
    assert sign_in(app_client, admin, clock).status_code == 303
    app_client.cookies.clear()
    page = read(app_client.get("/staff/sign-in"))
    after_password = page.form("/staff/sign-in").submit(
        app_client, username="ada", password=admin.password
    )
    code_page = read(app_client.get(after_password.headers["location"]))
    assert admin.enrolment is not None
    replay = code_at(admin.enrolment.secret, clock.now())
    assert code_page.form("/staff/sign-in/code").submit(app_client, code=replay).status_code == 401


def test_wrong_passwords_back_off_then_lock_by_the_clock(
    app_client: TestClient, clerk: Staff, clock: ManualClock, sessions: sessionmaker[Session]
) -> None:
    form = read(app_client.get("/staff/sign-in")).form("/staff/sign-in")
    statuses = []
    for _ in range(3):
        statuses.append(form.submit(app_client, username="cleo", password="wrong" * 3).status_code)
    assert statuses == [401, 401, 429]  # third failure: wait 1 second
    waiting = form.submit(app_client, username="cleo", password=clerk.password)
    assert waiting.status_code == 429  # even the right password waits
    assert waiting.headers["retry-after"] == "1"
    clock.advance(timedelta(seconds=1))
    assert form.submit(app_client, username="cleo", password=clerk.password).status_code == 303
    reasons = [e["reason"] for e in ledger_entries(sessions, "access:session:sign_in_failed")]
    assert reasons == ["wrong_password"] * 3 + ["waiting"]


def test_ten_failures_lock_the_account_and_record_the_lockout(
    app_client: TestClient, clerk: Staff, clock: ManualClock, sessions: sessionmaker[Session]
) -> None:
    form = read(app_client.get("/staff/sign-in")).form("/staff/sign-in")
    for _ in range(10):
        clock.advance(timedelta(minutes=10))  # outwait each back-off
        form.submit(app_client, username="cleo", password="wrong" * 3)
    [locked] = ledger_entries(sessions, "access:account:locked_out")
    assert locked["actor"] == clerk.actor
    assert locked["failed_attempts"] == 10
    clock.advance(timedelta(minutes=29))
    assert form.submit(app_client, username="cleo", password=clerk.password).status_code == 429
    clock.advance(timedelta(minutes=2))
    assert form.submit(app_client, username="cleo", password=clerk.password).status_code == 303


def test_an_unknown_username_gets_the_same_answer_and_no_name_in_the_ledger(
    app_client: TestClient, clerk: Staff, sessions: sessionmaker[Session]
) -> None:
    form = read(app_client.get("/staff/sign-in")).form("/staff/sign-in")
    unknown = form.submit(app_client, username="mallory-secret", password="whatever-it-is")
    wrong = form.submit(app_client, username="cleo", password="whatever-it-is")
    assert unknown.status_code == wrong.status_code == 401
    assert read(unknown).text.replace("mallory-secret", "cleo") == read(wrong).text
    entries = ledger_entries(sessions, "access:session:sign_in_failed")
    assert [e["actor"] for e in entries] == ["public", clerk.actor]
    assert "mallory" not in str(entries)


def test_staff_pages_send_the_browser_to_sign_in_and_back(
    app_client: TestClient, admin: Staff, clock: ManualClock
) -> None:
    response = app_client.get("/staff/admin/accounts", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/sign-in?next=/staff/admin/accounts"
    page = read(app_client.get(response.headers["location"]))
    assert page.form("/staff/sign-in").fields["next"] == ["/staff/admin/accounts"]
    assert sign_in_to(app_client, admin, clock, "/staff/admin/accounts") == "/staff/admin/accounts"


def sign_in_to(client: TestClient, staff: Staff, clock: ManualClock, target: str) -> str:
    page = read(client.get(f"/staff/sign-in?next={target}"))
    response = page.form("/staff/sign-in").submit(
        client, username=staff.username, password=staff.password
    )
    code_page = read(client.get(response.headers["location"]))
    assert staff.enrolment is not None
    code = code_at(staff.enrolment.secret, clock.now())
    done = code_page.form("/staff/sign-in/code").submit(client, code=code)
    return done.headers["location"]


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/offices"])
def test_next_never_leads_off_the_staff_pages(
    app_client: TestClient, clerk: Staff, target: str
) -> None:
    page = read(app_client.get("/staff/sign-in", params={"next": target}))
    response = page.form("/staff/sign-in").submit(
        app_client, username="cleo", password=clerk.password
    )
    assert response.headers["location"] == "/staff/"


def test_the_api_answers_401_json_without_a_session(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/staff/me")
    assert response.status_code == 401
    assert response.json()["error"] == "not_signed_in"


def test_forms_without_their_csrf_token_are_refused(
    app_client: TestClient, clerk: Staff, sessions: sessionmaker[Session]
) -> None:
    app_client.get("/staff/sign-in")
    response = app_client.post(
        "/staff/sign-in", data={"username": "cleo", "password": clerk.password}
    )
    assert response.status_code == 403
    assert ledger_entries(sessions, "access:session:signed_in") == []
    sign_in(app_client, clerk)
    forged = app_client.post("/staff/sign-out-everywhere", data={"csrf_token": "x" * 64})
    assert forged.status_code == 403
    assert app_client.get("/api/v1/staff/me").status_code == 200


def test_sessions_end_when_idle_and_at_the_absolute_limit(
    app_client: TestClient, clerk: Staff, clock: ManualClock, policy: AccessPolicy
) -> None:
    sign_in(app_client, clerk)
    clock.advance(policy.idle - timedelta(seconds=1))
    assert app_client.get("/api/v1/staff/me").status_code == 200
    clock.advance(policy.idle - timedelta(seconds=1))
    assert app_client.get("/api/v1/staff/me").status_code == 200  # each request renews idle
    clock.advance(policy.idle)
    assert app_client.get("/api/v1/staff/me").status_code == 401
    sign_in(app_client, clerk)
    for _ in range(int(policy.absolute / (policy.idle / 2)) + 1):
        clock.advance(policy.idle / 2)
        app_client.get("/api/v1/staff/me")
    assert app_client.get("/api/v1/staff/me").status_code == 401


def test_sign_out_everywhere_ends_other_browsers_too(
    app_client: TestClient,
    clerk: Staff,
    settings: object,
    sessions: sessionmaker[Session],
) -> None:
    other = TestClient(app_client.app)
    sign_in(other, clerk)
    sign_in(app_client, clerk)
    home = read(app_client.get("/staff/"))
    out = home.form("/staff/sign-out-everywhere").submit(app_client)
    assert out.status_code == 303
    assert app_client.get("/api/v1/staff/me").status_code == 401
    assert other.get("/api/v1/staff/me").status_code == 401
    [entry] = ledger_entries(sessions, "access:session:signed_out_everywhere")
    assert entry["sessions_revoked"] == 2


def test_sign_out_ends_only_this_session(app_client: TestClient, clerk: Staff) -> None:
    other = TestClient(app_client.app)
    sign_in(other, clerk)
    sign_in(app_client, clerk)
    out = read(app_client.get("/staff/")).form("/staff/sign-out").submit(app_client)
    assert out.headers["location"] == "/staff/sign-in?signed_out=1"
    assert app_client.get("/api/v1/staff/me").status_code == 401
    assert other.get("/api/v1/staff/me").status_code == 200


def test_an_admin_adds_a_privacy_officer_and_sees_the_secret_once(
    app_client: TestClient, admin: Staff, clock: ManualClock, sessions: sessionmaker[Session]
) -> None:
    sign_in(app_client, admin, clock)
    form = read(app_client.get("/staff/admin/accounts/new")).form("/staff/admin/accounts")
    bad = form.submit(app_client, username="p", display_name="Pat", password="x" * 12)
    assert bad.status_code == 422
    assert "username" in read(bad).text
    created = form.submit(
        app_client,
        username="pat",
        display_name="Pat Officer",
        password="a long enough password",
        grant="privacy_officer",
    )
    assert created.status_code == 200
    page = read(created)
    assert "otpauth://totp/Haven:pat?secret=" in page.html
    accounts = read(app_client.get("/staff/admin/accounts"))
    assert "pat" in accounts.text
    assert "otpauth" not in accounts.html
    entry = ledger_entries(sessions, "access:account:created")[-1]
    assert entry["actor"] == admin.actor


def test_an_admin_disables_an_account_through_its_page(
    app_client: TestClient,
    admin: Staff,
    clerk: Staff,
    clock: ManualClock,
    sessions: sessionmaker[Session],
) -> None:
    clerk_browser = TestClient(app_client.app)
    sign_in(clerk_browser, clerk)
    sign_in(app_client, admin, clock)
    page = read(app_client.get(f"/staff/admin/accounts/{clerk.account_id}"))
    done = page.form("/disable").submit(app_client)
    assert done.status_code == 303
    assert clerk_browser.get("/api/v1/staff/me").status_code == 401
    assert "Disabled" in read(app_client.get(done.headers["location"])).text
    [entry] = ledger_entries(sessions, "access:account:disabled")
    assert entry == {**entry, "actor": admin.actor, "refs": [clerk.actor], "sessions_revoked": 1}


def test_an_admin_changes_roles_through_the_form(
    app_client: TestClient,
    admin: Staff,
    clerk: Staff,
    clock: ManualClock,
    downtown: int,
    sessions: sessionmaker[Session],
) -> None:
    sign_in(app_client, admin, clock)
    form = read(app_client.get(f"/staff/admin/accounts/{clerk.account_id}")).form("/roles")
    assert form.fields["grant"] == [f"clerk:{downtown}"]
    done = form.submit(app_client, grant=[f"clerk:{downtown}", f"manager:{downtown}"])
    assert done.status_code == 303
    [entry] = ledger_entries(sessions, "access:account:roles_changed")
    assert entry["roles"] == [
        {"role": "clerk", "office": downtown},
        {"role": "manager", "office": downtown},
    ]
    refused = form.submit(app_client, grant="wizard")
    assert refused.status_code == 422


def test_the_offices_page_lists_offices_and_staff_counts(
    app_client: TestClient, admin: Staff, clerk: Staff, clock: ManualClock
) -> None:
    sign_in(app_client, admin, clock)
    page = read(app_client.get("/staff/admin/offices"))
    assert "Downtown Field Office" in page.text
    assert "America/New_York" in page.text


def test_a_member_of_staff_changes_their_password_and_every_session_ends(
    app_client: TestClient, clerk: Staff, sessions: sessionmaker[Session]
) -> None:
    other = TestClient(app_client.app)
    sign_in(other, clerk)
    sign_in(app_client, clerk)
    form = read(app_client.get("/staff/password")).form("/staff/password")
    wrong = form.submit(
        app_client,
        current_password="not my password",
        new_password="a brand new password",
        confirm_password="a brand new password",
    )
    assert wrong.status_code == 422
    assert "The current password is not right" in read(wrong).text
    differ = form.submit(
        app_client,
        current_password=clerk.password,
        new_password="a brand new password",
        confirm_password="another new password",
    )
    assert differ.status_code == 422
    done = form.submit(
        app_client,
        current_password=clerk.password,
        new_password="a brand new password",
        confirm_password="a brand new password",
    )
    assert done.headers["location"] == "/staff/sign-in?password_changed=1"
    assert other.get("/api/v1/staff/me").status_code == 401
    assert app_client.get("/api/v1/staff/me").status_code == 401
    assert sign_in(app_client, clerk).status_code == 401  # the old password
    renewed = Staff(clerk.account_id, clerk.username, "a brand new password", None)
    assert sign_in(app_client, renewed).status_code == 303
    [entry] = ledger_entries(sessions, "access:account:password_changed")
    assert entry["actor"] == clerk.actor
    assert entry["sessions_revoked"] == 2


def test_an_htmx_request_without_a_session_redirects_the_whole_page(
    app_client: TestClient,
) -> None:
    response = app_client.get(
        "/staff/admin/accounts", headers={"HX-Request": "true"}, follow_redirects=False
    )
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/staff/sign-in?next=/staff/admin/accounts"
