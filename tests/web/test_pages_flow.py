"""The public pages driven like a browser without JavaScript, on both databases: the forms the
app serves are read and submitted as they are, CSRF token and all, from the office list to the
confirmation, then rescheduled and cancelled through the manage link.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.db import unit_of_work
from haven.scheduling.models import Appointment, AppointmentStatus, Hold, SlotClaim
from haven.vault.models import PersonRecord
from tests.web.page_support import Catalogue, Page, arrange_office, get, read

# The factories' office is in New York; TEST_NOW is Monday 30 November 2026, 10:00 there.
TUESDAY = "Tuesday, December 1, 2026"


@pytest.fixture
def catalogue(sessions: sessionmaker[Session]) -> Catalogue:
    return arrange_office(sessions)


def _slot_button(page: Page, text: str, day: str = TUESDAY) -> tuple[object, object]:
    form = page.form()
    for button in form.buttons:
        if button.name == "start" and " ".join(button.text.split()) == f"{day}, {text}":
            return form, button
    raise AssertionError(f"no slot button for {day} {text}")


def _to_details(client: TestClient, catalogue: Catalogue, time_text: str = "9:00 AM") -> Page:
    """Office list -> office -> service -> Tuesday's slot -> the details form (a hold)."""
    home = get(client, "/")
    office_page = get(client, home.link("Downtown Benefits Office"))
    slots = get(client, office_page.link("Benefits interview"))
    form, button = _slot_button(slots, time_text)
    held = form.submit(client, button)  # type: ignore[attr-defined]
    assert held.status_code == 303
    assert held.headers["location"].startswith("/book/")
    details = get(client, held.headers["location"])
    assert details.status_code == 200
    return details


def _fill_in(details: Page, **changes: str | list[str]) -> dict[str, str | list[str]]:
    values: dict[str, str | list[str]] = {
        "name": "Ana Example",
        "phone": "(202) 555-0143",
        "email": "",
        "language": "es",
        "accommodations": ["wheelchair-access"],
        "accommodation_note": "Arriving with a walker",
    }
    values.update(changes)
    return values


def _appointments(sessions: sessionmaker[Session]) -> list[Appointment]:
    with unit_of_work(sessions) as session:
        return list(session.scalars(sa.select(Appointment).order_by(Appointment.id)))


def _claims(sessions: sessionmaker[Session]) -> list[SlotClaim]:
    with unit_of_work(sessions) as session:
        return list(session.scalars(sa.select(SlotClaim)))


def test_book_from_office_list_to_confirmation_then_reschedule_and_cancel(
    app_client: TestClient,
    catalogue: Catalogue,
    sessions: sessionmaker[Session],
    clock: ManualClock,
) -> None:
    details = _to_details(app_client, catalogue)
    assert "We are keeping this time for you until 10:10 AM" in details.text
    assert "Eastern Time (America/New_York)" in details.text
    with unit_of_work(sessions) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Hold)) == 1

    form = details.form("/book/")
    booked = form.submit(app_client, **_fill_in(details))
    assert booked.status_code == 303, booked.text
    confirmation_url = booked.headers["location"]
    assert confirmation_url.startswith("/appointments/manage/")
    assert confirmation_url.endswith("/confirmation")

    confirmation = get(app_client, confirmation_url)
    assert confirmation.status_code == 200
    [appointment] = _appointments(sessions)
    assert appointment.confirmation_code in confirmation.text
    assert appointment.starts_at == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    assert appointment.language == "es"
    assert appointment.accommodations == ["wheelchair-access"]
    assert "Tuesday, December 1, 2026" in confirmation.text
    assert "9:00 AM \u2013 9:30 AM" in confirmation.text
    assert "What to bring" in confirmation.text
    manage_url = confirmation.link("See or change my appointment")
    token = manage_url.rsplit("/", 1)[-1]
    assert confirmation_url == f"{manage_url}/confirmation"
    # The link is shown in full so it can be copied, written down or bookmarked.
    assert (manage_url, f"http://127.0.0.1:8000{manage_url}") in confirmation.links
    assert len(token) >= 43
    # The name was sealed in the vault, never stored in the clear.
    with unit_of_work(sessions) as session:
        [record] = session.scalars(sa.select(PersonRecord))
        assert b"Ana Example" not in record.ciphertext

    ics = app_client.get(confirmation.link("Add to my calendar"))
    assert ics.status_code == 200
    assert ics.headers["content-type"].startswith("text/calendar")
    [event] = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    assert str(event["LOCATION"]) == "100 Main Street, Springfield"
    assert b"Ana Example" not in ics.content

    manage = get(app_client, manage_url)
    assert manage.status_code == 200
    assert "Ana Example" in manage.text
    assert "+12025550143" in manage.text
    assert "Wheelchair access" in manage.text
    assert "Arriving with a walker" in manage.text
    assert "Booked" in manage.text

    clock.advance(timedelta(minutes=5))
    reschedule_page = get(app_client, manage.link("Choose a new time"))
    form, button = _slot_button(reschedule_page, "11:30 AM")
    moved = form.submit(app_client, button)  # type: ignore[attr-defined]
    assert moved.status_code == 303
    assert moved.headers["location"] == f"{manage_url}?done=rescheduled"
    after_move = get(app_client, moved.headers["location"])
    assert "Your appointment was moved to the new time." in after_move.text
    assert "11:30 AM \u2013 12:00 PM" in after_move.text
    [appointment] = _appointments(sessions)
    assert appointment.starts_at == datetime(2026, 12, 1, 16, 30, tzinfo=UTC)
    moved_event = icalendar.Calendar.from_ical(app_client.get(f"{manage_url}/calendar.ics").content)
    [moved_vevent] = moved_event.walk("VEVENT")
    assert moved_vevent.decoded("DTSTART") == datetime(2026, 12, 1, 16, 30, tzinfo=UTC)
    assert int(moved_vevent["SEQUENCE"]) > int(event["SEQUENCE"])

    cancel_page = get(app_client, after_move.link("Cancel this appointment"))
    cancelled = cancel_page.form("/cancel").submit(app_client)
    assert cancelled.status_code == 303
    after_cancel = get(app_client, cancelled.headers["location"])
    assert "Your appointment was cancelled." in after_cancel.text
    assert "Cancelled" in after_cancel.text
    assert "Choose a new time" not in after_cancel.text
    [appointment] = _appointments(sessions)
    assert appointment.status == AppointmentStatus.CANCELLED
    assert _claims(sessions) == []
    cancelled_ics = icalendar.Calendar.from_ical(
        app_client.get(f"{manage_url}/calendar.ics").content
    )
    assert str(cancelled_ics.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"


def test_errors_show_next_to_their_fields_and_keep_the_values(
    app_client: TestClient, catalogue: Catalogue, sessions: sessionmaker[Session]
) -> None:
    details = _to_details(app_client, catalogue)
    form = details.form("/book/")
    response = form.submit(
        app_client, **_fill_in(details, name="", phone="", accommodation_note="Keep me")
    )
    assert response.status_code == 422
    page = read(response)
    assert page.title.startswith("Error:")
    assert "Enter your name" in page.text
    assert "Enter a phone number or an email address" in page.text
    assert {"name-error", "phone-error"} <= set(page.ids)
    # The summary at the top lists the problems in the form's order, each linking to its field.
    summary = [link for link in page.links if link[0] in ("#name", "#phone")]
    assert summary == [
        ("#name", "Enter your name"),
        ("#phone", "Enter a phone number or an email address"),
    ]
    assert 'aria-invalid="true"' in page.html
    again = page.form("/book/")
    assert again.fields["accommodation_note"] == ["Keep me"]
    assert again.fields["language"] == ["es"]
    assert again.fields["accommodations"] == ["wheelchair-access"]
    assert _appointments(sessions) == []

    bad_phone = again.submit(app_client, **_fill_in(details, phone="12"))
    assert bad_phone.status_code == 422
    bad_page = read(bad_phone)
    assert "phone number" in bad_page.text
    assert "phone-error" in bad_page.ids
    assert bad_page.form("/book/").fields["name"] == ["Ana Example"]

    both = again.submit(app_client, **_fill_in(details, email="ana@example.org"))
    assert both.status_code == 422
    assert "Give just one way to reach you" in read(both).text

    long_note = again.submit(app_client, **_fill_in(details, accommodation_note="x" * 201))
    assert long_note.status_code == 422
    assert "200 characters or fewer" in read(long_note).text
    assert _appointments(sessions) == []

    fixed = again.submit(app_client, **_fill_in(details, email="", phone="202-555-0143"))
    assert fixed.status_code == 303


def test_asking_for_an_interpreter_the_hold_does_not_have_explains_what_to_do(
    app_client: TestClient, catalogue: Catalogue
) -> None:
    details = _to_details(app_client, catalogue)
    response = details.form("/book/").submit(
        app_client,
        **_fill_in(details, accommodations=["interpreter"], interpreter_language="vi"),
    )
    assert response.status_code == 422
    page = read(response)
    assert "kept for you without an interpreter" in page.text
    assert page.link("Choose the time again").startswith(
        "/offices/downtown/services/benefits-interview?week=2026-12-01"
    )


def test_a_time_chosen_with_an_interpreter_books_one(
    app_client: TestClient, catalogue: Catalogue, sessions: sessionmaker[Session]
) -> None:
    slots = get(app_client, "/offices/downtown/services/benefits-interview?interpreter=vi")
    assert slots.form().fields["interpreter"] == ["vi"]
    form, button = _slot_button(slots, "10:00 AM")
    held = form.submit(app_client, button)  # type: ignore[attr-defined]
    details = get(app_client, held.headers["location"])
    assert details.form("/book/").fields["interpreter_language"] == ["vi"]
    assert details.form("/book/").fields["accommodations"] == ["interpreter"]
    booked = details.form("/book/").submit(
        app_client, **_fill_in(details, accommodations=["interpreter"], interpreter_language="vi")
    )
    assert booked.status_code == 303, booked.text
    [appointment] = _appointments(sessions)
    assert appointment.interpreter_language == "vi"
    assert len(_claims(sessions)) == 2  # a counter and the interpreter


def test_a_double_submit_books_once(
    app_client: TestClient, catalogue: Catalogue, sessions: sessionmaker[Session]
) -> None:
    details = _to_details(app_client, catalogue)
    form = details.form("/book/")
    first = form.submit(app_client, **_fill_in(details))
    second = form.submit(app_client, **_fill_in(details))
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(_appointments(sessions)) == 1


def test_a_taken_time_sends_the_person_back_to_choose_another(
    app_client: TestClient, catalogue: Catalogue, sessions: sessionmaker[Session]
) -> None:
    slots = get(app_client, "/offices/downtown/services/benefits-interview")
    form, button = _slot_button(slots, "9:00 AM")
    # Two counters: two holds take the time, the third person is told it was taken.
    for _ in range(2):
        assert form.submit(app_client, button).status_code == 303  # type: ignore[attr-defined]
    third = form.submit(app_client, button)  # type: ignore[attr-defined]
    assert third.status_code == 409
    page = read(third)
    assert "That time was just taken, please choose another." in page.text
    assert page.title.startswith("Choose a day and time")
    with pytest.raises(AssertionError):
        _slot_button(page, "9:00 AM")


def test_an_expired_hold_still_books_when_the_time_is_free(
    app_client: TestClient, catalogue: Catalogue, clock: ManualClock
) -> None:
    details = _to_details(app_client, catalogue)
    clock.advance(timedelta(minutes=30))
    stale = get(app_client, details.form("/book/").action)
    assert "could not keep this time for you any longer" in stale.text
    booked = stale.form("/book/").submit(app_client, **_fill_in(stale))
    assert booked.status_code == 303


def test_a_time_taken_after_the_hold_ended_says_so_on_the_form(
    app_client: TestClient, catalogue: Catalogue, clock: ManualClock
) -> None:
    details = _to_details(app_client, catalogue)
    clock.advance(timedelta(minutes=30))
    # Meanwhile two other people take the 9:00 slot on both counters.
    for _ in range(2):
        _to_details(app_client, catalogue)
    response = details.form("/book/").submit(app_client, **_fill_in(details))
    assert response.status_code == 409
    page = read(response)
    assert ("#hold-notice", "That time was just taken, please choose another.") in page.links
    assert page.form("/book/").fields["name"] == ["Ana Example"]


def test_forms_without_the_csrf_token_are_refused(
    app_client: TestClient, catalogue: Catalogue, sessions: sessionmaker[Session]
) -> None:
    details = _to_details(app_client, catalogue)
    form = details.form("/book/")
    missing = app_client.post(
        form.action, data={**form.data(), **_fill_in(details), "csrf_token": ""}
    )
    assert missing.status_code == 403
    assert "this form has expired" in read(missing).text.lower()
    forged = app_client.post(
        form.action, data={**form.data(), **_fill_in(details), "csrf_token": "a" * 64}
    )
    assert forged.status_code == 403
    cross_site = app_client.post(
        form.action,
        data={**form.data(), **_fill_in(details)},
        headers={"Origin": "https://evil.example"},
    )
    assert cross_site.status_code == 403
    # A fresh browser (no cookie) posting a token it copied from someone else's page.
    stranger = TestClient(app_client.app)
    assert stranger.post(form.action, data=form.data(**_fill_in(details))).status_code == 403
    assert _appointments(sessions) == []


def test_unknown_addresses_answer_with_a_page_and_a_4xx(
    app_client: TestClient, catalogue: Catalogue
) -> None:
    for url, status in [
        ("/offices/nowhere", 404),
        ("/offices/downtown/services/nothing", 404),
        ("/offices/downtown/services/benefits-interview?week=soon", 422),
        ("/book/not-a-hold", 410),
        ("/appointments/manage/not-a-token", 404),
        ("/appointments/manage/not-a-token/reschedule", 404),
        ("/appointments/manage/not-a-token/cancel", 404),
    ]:
        response = app_client.get(url)
        assert response.status_code == status, url
        assert response.headers["content-type"].startswith("text/html")
        assert read(response).title
    api = app_client.get("/api/v1/appointments/manage/not-a-token/calendar.ics")
    assert api.status_code == 404
    assert api.json()["error"] == "appointment_not_found"


def test_a_bad_slot_value_is_a_4xx_page(app_client: TestClient, catalogue: Catalogue) -> None:
    slots = get(app_client, "/offices/downtown/services/benefits-interview")
    form = slots.form()
    for bad in ["tomorrow", "2026-12-01T14:00:00", "2026-12-01T14:07:00Z"]:
        response = form.submit(app_client, start=bad)
        assert 400 <= response.status_code < 500, bad
        assert "Choose a day and time" in read(response).title


def test_reschedule_to_a_taken_time_keeps_the_old_one(
    app_client: TestClient, catalogue: Catalogue, sessions: sessionmaker[Session]
) -> None:
    urls = []
    for _ in range(3):
        details = _to_details(app_client, catalogue, "9:30 AM" if urls else "9:00 AM")
        booked = details.form("/book/").submit(app_client, **_fill_in(details))
        urls.append(booked.headers["location"].removesuffix("/confirmation"))
        if len(urls) == 1:
            continue
    # 9:30 is now full (two counters); moving the 9:00 booking there fails and changes nothing.
    page = get(app_client, f"{urls[0]}/reschedule")
    form = page.form("/reschedule")
    response = form.submit(app_client, start="2026-12-01T14:30:00+00:00")
    assert response.status_code == 409
    assert "That time was just taken" in read(response).text
    first = _appointments(sessions)[0]
    assert first.starts_at == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def test_api_calendar_twin_serves_the_same_file(
    app_client: TestClient, catalogue: Catalogue
) -> None:
    details = _to_details(app_client, catalogue)
    booked = details.form("/book/").submit(app_client, **_fill_in(details))
    token = booked.headers["location"].split("/")[3]
    page_ics = app_client.get(f"/appointments/manage/{token}/calendar.ics")
    api_ics = app_client.get(f"/api/v1/appointments/manage/{token}/calendar.ics")
    assert api_ics.status_code == 200
    assert api_ics.headers["content-type"] == page_ics.headers["content-type"]
    assert api_ics.content == page_ics.content


def test_the_short_manage_link_from_the_api_leads_to_the_page(
    app_client: TestClient, catalogue: Catalogue
) -> None:
    details = _to_details(app_client, catalogue)
    booked = details.form("/book/").submit(app_client, **_fill_in(details))
    token = booked.headers["location"].split("/")[3]
    response = app_client.get(f"/manage/{token}", follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["location"] == f"/appointments/manage/{token}"
