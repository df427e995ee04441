"""What the pages hand their templates: the week in office-local days, the hold, the choices."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.db import unit_of_work
from haven.web.templating import local_date, local_time, zone_name
from tests import factories
from tests.web.page_support import arrange_office, read

SLOTS = "/offices/downtown/services/benefits-interview"


def test_the_week_is_office_local_from_today_with_links_either_side(
    app_client: TestClient, sessions: sessionmaker[Session]
) -> None:
    arrange_office(sessions)
    this_week = app_client.get(SLOTS)
    week = this_week.context["week"]  # type: ignore[attr-defined]
    assert this_week.template.name == "pages/slots.html"  # type: ignore[attr-defined]
    assert week.timezone == "America/New_York"
    assert week.first_day == date(2026, 11, 30)
    # Monday 30 November from 10:00 local (today), so the past days are not offered.
    assert [d.day for d in week.days] == [date(2026, 11, 30)] + [
        date(2026, 12, n) for n in range(1, 7)
    ]
    assert week.previous_url is None
    assert week.next_url == f"{SLOTS}?week=2026-12-07"
    monday = week.days[0]
    # One hour of minimum notice from 10:00: the first slot is 11:00 New York = 16:00 UTC.
    assert monday.slots[0].starts_at == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert [d.slots for d in week.days[-2:]] == [[], []]  # the weekend
    assert len(week.days[1].slots) == 16  # 9:00-17:00 every 30 minutes

    next_week = app_client.get(week.next_url).context["week"]  # type: ignore[attr-defined]
    assert next_week.first_day == date(2026, 12, 7)
    assert len(next_week.days) == 7
    assert next_week.previous_url == f"{SLOTS}?week=2026-11-30"


def test_the_last_bookable_week_has_no_next_link(
    app_client: TestClient, sessions: sessionmaker[Session]
) -> None:
    arrange_office(sessions)  # 60 days ahead: up to 29 January 2027
    week = app_client.get(f"{SLOTS}?week=2027-01-25").context["week"]  # type: ignore[attr-defined]
    assert week.next_url is None
    assert week.days[4].day == date(2027, 1, 29)
    assert week.days[4].slots
    assert not week.days[5].slots


def test_an_interpreter_choice_travels_with_the_week_and_the_hold(
    app_client: TestClient, sessions: sessionmaker[Session]
) -> None:
    arrange_office(sessions)
    response = app_client.get(f"{SLOTS}?interpreter=vi")
    context = response.context  # type: ignore[attr-defined]
    assert context["interpreter"] == "vi"
    assert context["interpreter_languages"] == ["es", "vi"]
    assert context["week"].carry == {"interpreter": "vi"}
    assert context["week"].next_url == f"{SLOTS}?week=2026-12-07&interpreter=vi"
    # A language the office cannot give is ignored rather than promised.
    assert app_client.get(f"{SLOTS}?interpreter=xx").context["interpreter"] is None  # type: ignore[attr-defined]


def test_the_details_context_shows_the_hold_and_the_choices(
    app_client: TestClient, sessions: sessionmaker[Session]
) -> None:
    arrange_office(sessions)
    slots = read(app_client.get(SLOTS))
    form = slots.form()
    button = next(b for b in form.buttons if b.name == "start")
    held = form.submit(app_client, button)
    details = app_client.get(held.headers["location"])
    context = details.context  # type: ignore[attr-defined]
    assert context["hold_live"] is True
    assert context["minutes_left"] == 10
    assert context["slot"].starts_at == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert context["slot"].ends_at == datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    assert context["languages"][:2] == ["en", "es"]
    assert "zh-Hant" in context["languages"]
    assert "interpreter" in context["accommodation_codes"]
    assert context["form"].idempotency_key
    assert context["held_fields"]["slot_starts_at"] == "2026-11-30T16:00:00+00:00"
    assert details.headers["cache-control"] == "no-store"


def test_office_list_shows_every_office_with_its_languages(
    app_client: TestClient, sessions: sessionmaker[Session]
) -> None:
    arrange_office(sessions)
    with unit_of_work(sessions) as session:
        factories.office(session, slug="westside", timezone="America/Los_Angeles")
    response = app_client.get("/")
    offices = response.context["offices"]  # type: ignore[attr-defined]
    assert [o.slug for o in offices] == ["downtown", "westside"]
    page = read(response)
    assert "Spanish" in page.text
    assert "100 Main Street, Springfield" in page.text


def test_time_helpers_use_the_office_zone() -> None:
    instant = datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
    assert local_time(instant, "America/New_York") == "12:00\u202fPM"
    assert local_time(instant, "Europe/Berlin") == "6:00\u202fPM"
    assert local_date(instant, "Asia/Tokyo") == "Thursday, July 2, 2026"
    assert zone_name("America/New_York") == "Eastern Time (America/New_York)"


def test_a_past_week_in_the_address_shows_this_week(
    app_client: TestClient, sessions: sessionmaker[Session]
) -> None:
    arrange_office(sessions)
    week = app_client.get(f"{SLOTS}?week=2026-01-05").context["week"]  # type: ignore[attr-defined]
    assert week.first_day == date(2026, 11, 30)
    assert week.days[0].day == date(2026, 11, 30)
