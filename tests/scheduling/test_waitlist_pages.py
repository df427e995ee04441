"""The waitlist's pages through the app on both databases: the service page links to it, the
form joins in the person's language (and names a bad field), the offer's page books the held
time and a second accept is told the offer is gone."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.scheduling import waitlist
from haven.scheduling.models import Appointment
from haven.scheduling.waitlist_models import WaitlistEntry
from haven.vault.keys import load_keyring
from tests.web.page_support import arrange_office, read

TUESDAY = "2026-12-01"


def test_joining_from_the_service_page_in_spanish(
    app_client: TestClient, sessions: sessionmaker[Session]
) -> None:
    where = arrange_office(sessions)
    slots = read(
        app_client.get(f"/offices/{where.office_slug}/services/{where.service_slug}?lang=es")
    )
    join_url = slots.link("lista de espera")
    page = read(app_client.get(join_url))
    assert page.lang == "es"
    bad = page.form("/waitlist").submit(
        app_client, first_day="soon", name="Ana", contact="+12025550143"
    )
    assert bad.status_code == 422
    assert (
        'id="first_day" name="first_day" type="date" value="soon" required aria-invalid="true"'
        in bad.text
    )
    done = page.form("/waitlist").submit(
        app_client,
        first_day=TUESDAY,
        last_day=TUESDAY,
        name="Ana Example",
        contact="+1 202-555-0143",
    )
    assert done.status_code == 303
    assert "Está en la lista de espera" in app_client.get(done.headers["location"]).text
    with unit_of_work(sessions) as session:
        [entry] = session.scalars(sa.select(WaitlistEntry)).all()
        assert (entry.language, entry.status, str(entry.first_day)) == ("es", "waiting", TUESDAY)


def test_the_offer_page_books_the_held_time_once(
    app_client: TestClient, sessions: sessionmaker[Session], clock: ManualClock, settings: Settings
) -> None:
    where = arrange_office(sessions)
    page = read(
        app_client.get(f"/offices/{where.office_slug}/services/{where.service_slug}/waitlist")
    )
    page.form("/waitlist").submit(
        app_client,
        first_day=TUESDAY,
        last_day=TUESDAY,
        name="Ana Example",
        contact="ana@example.org",
    )
    keyring = load_keyring(settings)
    with unit_of_work(sessions) as session:
        assert waitlist.offer_open_slots(session, keyring, clock, offer_for=timedelta(hours=1)) == 1
        [entry] = session.scalars(sa.select(WaitlistEntry)).all()
        assert entry.offer_seed is not None
        token = waitlist.offer_token(keyring, entry.offer_seed)
    offer = read(app_client.get(f"/waitlist/offers/{token}"))
    assert offer.status_code == 200
    accepted = offer.form("/accept").submit(app_client)
    assert accepted.status_code == 303
    assert accepted.headers["location"].startswith("/manage/")
    assert app_client.get(accepted.headers["location"]).status_code == 200
    again = offer.form("/accept").submit(app_client)
    assert again.status_code == 410
    with unit_of_work(sessions) as session:
        assert len(session.scalars(sa.select(Appointment)).all()) == 1
