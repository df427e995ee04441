"""The transparency pages and a person's own view in the person's language, on both databases:
lang and dir on the page, a translated heading, the language switcher, dates through Babel,
and the policy's own text kept in English with a translated sentence saying why."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.db import unit_of_work
from haven.disclosure.policy import governance
from haven.scheduling import booking
from tests.scheduling.booking_support import arrange_desk, booking_request, tuesday
from tests.transparency.support import app_sessions, integrator_of, seed_app

ARABIC_HEADINGS = {
    "/transparency": "ما الذي طلبته الجهات الأخرى، وما الذي حصلت عليه",
    "/transparency/log": "السجل العام",
    "/transparency/policy": "كيف يقرر هذا المكتب ما يمكن أن تحصل عليه الجهات الأخرى",
    "/my": "اطّلع على سجلك",
}


def _heading(html: str) -> str:
    found = re.search(r"<h1>([^<]*)</h1>", html)
    assert found is not None
    return found.group(1)


def _manage_token(client: TestClient) -> str:
    """Book through the real action with the app's keyring; return the manage token."""
    state = client.app.state.haven  # type: ignore[attr-defined]
    desk = arrange_desk(app_sessions(client))
    with unit_of_work(app_sessions(client)) as session:
        result = booking.book_appointment(
            session,
            keyring=state.keyring,
            clock=state.clock,
            request=booking_request(desk, tuesday(9), name="Ana Example"),
            base_url="https://haven.example",
        )
    integrator_of(client).run_once()
    return result.view.manage_url.rsplit("/", 1)[1]


@pytest.mark.parametrize("url", sorted(ARABIC_HEADINGS))
def test_each_transparency_page_in_arabic_is_right_to_left_and_translated(
    app_client: TestClient, url: str
) -> None:
    page = seed_app(app_client).get(f"{url}?lang=ar")
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl">' in page.text
    assert _heading(page.text) == ARABIC_HEADINGS[url]
    assert page.headers["content-language"] == "ar"
    # The switcher keeps the page: its French link leads back here.
    assert f'href="{url}?lang=fr"' in page.text


def test_report_sections_and_charts_are_in_the_language(app_client: TestClient) -> None:
    page = seed_app(app_client).get("/transparency?lang=ko")
    assert '<title id="chart-by_legal_basis-title">법적 근거별 요청</title>' in page.text
    assert "이 숫자를 계산한 방법" in page.text
    assert "Requests by legal basis" not in page.text


def test_log_page_dates_are_formatted_for_the_locale(app_client: TestClient) -> None:
    page = seed_app(app_client).get("/transparency/log?lang=fr")
    assert _heading(page.text) == "Le journal public"
    assert "Dernier point de contrôle" in page.text
    assert re.search(r"\d{1,2} (novembre|décembre) 2026", page.text)


def test_policy_text_stays_english_and_the_page_says_so(
    app_client: TestClient, sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    with unit_of_work(sessions) as session:
        installed = governance.install_bundled_pack(session, now=clock.now())
    assert installed is not None
    page = app_client.get(f"/transparency/policy/{installed.id}?lang=es")
    assert page.status_code == 200
    assert f"Versión {installed.id}" in page.text
    assert "El texto de la política se muestra solo en inglés" in page.text
    assert '<pre lang="en" dir="ltr">' in page.text
    status = re.search(rf"Versión {installed.id} \(([^)]*)\)", page.text)
    assert status is not None
    assert status.group(1) == "vigente"


def test_own_record_is_in_the_language_with_local_dates(app_client: TestClient) -> None:
    integrator_of(app_client).stop()
    token = _manage_token(app_client)
    page = app_client.get(f"/my/{token}?lang=es")
    assert page.status_code == 200
    assert _heading(page.text) == "Su expediente"
    assert "Entradas sobre usted en el registro público" in page.text
    assert "martes, 1 de diciembre de 2026" in page.text
    assert "<td>reservada</td>" in page.text
    assert "<td>booked</td>" not in page.text
    arabic = app_client.get(f"/my/{token}?lang=ar")
    assert '<html lang="ar" dir="rtl">' in arabic.text
    assert _heading(arabic.text) == "سجلك"


def _table_cells(html: str) -> list[str]:
    """The text of every report table's row headers and cells."""
    tables = re.findall(r'<table class="figures" id="table-[^"]*">.*?</table>', html, re.S)
    return [cell.strip() for t in tables for cell in re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", t)]


def test_report_row_labels_and_withheld_values_are_in_the_language(
    app_client: TestClient,
) -> None:
    client = seed_app(app_client)
    cells = _table_cells(client.get("/transparency?lang=es").text)
    assert "denegadas" in cells
    assert "porcentaje entregado" in cells
    # A quarter without requests withholds its share produced and its times to decision.
    empty = _table_cells(client.get("/transparency?lang=es&period=2025Q1").text)
    assert empty.count("no se publica") == 3
    english = {"denied", "withheld", "share produced", "not required", "median hours"}
    assert not english & set(cells + empty)
    # The downloads keep their documented English keys.
    assert (
        "outcomes,share_produced,withheld"
        in client.get("/transparency/report.csv?period=2025Q1").text
    )
    assert "outcomes,denied," in client.get("/transparency/report.csv").text
