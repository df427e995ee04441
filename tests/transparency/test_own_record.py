"""A person's own view, on both databases: reached with their manage link, it lists their
bookings' ledger entries and nobody else's; receipts verify in Python and fail after any byte is
changed; another person's entry has no receipt through anyone else's link."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from haven.cli.main import app as cli
from haven.db import unit_of_work
from haven.disclosure import accounting
from haven.disclosure.events import DisclosureEvent
from haven.errors import HavenError
from haven.ledger import service as ledger_service
from haven.ledger.note import Verifier
from haven.ledger.store import append
from haven.scheduling import booking
from haven.transparency.receipts import check_receipt
from haven.vault.service import person_tag_key
from tests.scheduling.booking_support import Desk, arrange_desk, booking_request, tuesday
from tests.transparency.support import app_sessions, integrator_of


def book(client: TestClient, desk: Desk, desk_hour: int, name: str, **overrides: Any) -> str:
    """Book through the real action with the app's keyring; return the manage token."""
    state = client.app.state.haven  # type: ignore[attr-defined]
    with unit_of_work(app_sessions(client)) as session:
        result = booking.book_appointment(
            session,
            keyring=state.keyring,
            clock=state.clock,
            request=booking_request(desk, tuesday(desk_hour), name=name, **overrides),
            base_url="https://haven.example",
        )
    return result.view.manage_url.rsplit("/", 1)[1]


@pytest.fixture
def two_people(app_client: TestClient) -> tuple[TestClient, str, str]:
    integrator_of(app_client).stop()
    desk = arrange_desk(app_sessions(app_client))
    first = book(app_client, desk, 9, "Ana Example")
    app_client.app.state.haven.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    second = book(app_client, desk, 10, "Bea Example")
    integrator_of(app_client).run_once()
    return app_client, first, second


def own_indexes(client: TestClient, token: str) -> set[int]:
    page = client.get(f"/my/{token}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    entries = page.context["record"].entries  # type: ignore[attr-defined]
    return {e.index for e in entries if e.kind == "scheduling:appointment:booked"}


def test_each_person_sees_only_their_own_booking(two_people: tuple[TestClient, str, str]) -> None:
    client, first, second = two_people
    mine, theirs = own_indexes(client, first), own_indexes(client, second)
    assert len(mine) == 1
    assert len(theirs) == 1
    assert mine.isdisjoint(theirs)
    page = client.get(f"/my/{first}").text
    assert "may be disclosures about you that this list does not show" in page


def test_no_receipt_for_another_persons_entry(two_people: tuple[TestClient, str, str]) -> None:
    client, first, second = two_people
    (their_entry,) = own_indexes(client, second)
    response = client.get(f"/my/{first}/receipt/{their_entry}")
    assert response.status_code == 404
    assert "Bea" not in response.text
    assert client.get(f"/my/not-a-token/receipt/{their_entry}").status_code == 404
    assert client.get("/my/not-a-token").status_code == 404


def test_opening_the_record_is_a_recorded_read(two_people: tuple[TestClient, str, str]) -> None:
    client, first, _ = two_people
    client.get(f"/my/{first}")
    integrator_of(client).run_once()
    entries = client.get(f"/my/{first}").context["record"].entries  # type: ignore[attr-defined]
    reads = [e for e in entries if e.kind == "access:personal_data:read"]
    assert reads
    assert reads[0].purpose == "answer the person's own request"


def test_receipt_verifies_and_fails_after_any_changed_byte(
    two_people: tuple[TestClient, str, str], tmp_path: object
) -> None:
    client, first, _ = two_people
    (index,) = own_indexes(client, first)
    receipt = client.get(f"/my/{first}/receipt/{index}")
    assert receipt.status_code == 200
    document = receipt.content
    assert "tag_key" not in json.loads(document)
    verifier = Verifier.from_vkey(client.get("/log/key").text.strip())
    assert check_receipt(document, verifier).size >= index + 1
    for position in range(len(document)):
        changed = bytearray(document)
        changed[position] ^= 0x01
        with pytest.raises(HavenError):
            check_receipt(bytes(changed), verifier)


def test_cli_verify_receipt(two_people: tuple[TestClient, str, str], tmp_path: object) -> None:
    from pathlib import Path

    client, first, _ = two_people
    (index,) = own_indexes(client, first)
    folder = Path(str(tmp_path))
    good = folder / "receipt.json"
    good.write_bytes(client.get(f"/my/{first}/receipt/{index}").content)
    vkey = client.get("/log/key").text.strip()
    ok = CliRunner().invoke(cli, ["verify-receipt", str(good), "--vkey", vkey])
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.startswith("ok:")
    bad = folder / "bad.json"
    text = good.read_text()
    bad.write_text(text.replace('"index": ', '"index": 1', 1))
    failed = CliRunner().invoke(cli, ["verify-receipt", str(bad), "--vkey", vkey])
    assert failed.exit_code == 1
    assert failed.stderr.startswith("FAILED:")
    assert len(failed.stderr.strip().splitlines()) == 1


def _disclose(client: TestClient, token: str, request: str, basis: str) -> None:
    """A production about the person: its accounting entry and its tagged ledger entry, as the
    gateway writes them in one transaction."""
    state = client.app.state.haven  # type: ignore[attr-defined]
    with unit_of_work(app_sessions(client)) as session:
        person_id = booking.appointment_by_manage_token(session, token).person_id
        accounting.record_disclosure(
            session,
            state.keyring,
            person_id=person_id,
            lookup="",
            disclosure=accounting.Disclosure(
                disclosed_at=state.clock.now(),
                nature=("name",),
                purpose="test purpose",
                basis=basis,
                recipient_name="County Health",
                recipient_address="1 Main St",
                request=request,
            ),
        )
        append(
            session,
            DisclosureEvent.PRODUCTION_MADE,
            actor="staff:1",
            time=state.clock.now(),
            refs=[f"disclosure-request:{request}"],
            subject_tag_keys=[person_tag_key(session, state.keyring, person_id)],
            individuals=1,
        )
    integrator_of(client).run_once()


def test_law_enforcement_disclosure_is_withheld_everywhere(
    two_people: tuple[TestClient, str, str],
) -> None:
    client, first, _ = two_people
    _disclose(client, first, "RHEALTH", "health_safety_emergency")
    _disclose(client, first, "RPOLICE", "law_enforcement")
    record = client.get(f"/my/{first}").context["record"]  # type: ignore[attr-defined]
    assert [line.disclosure.request for line in record.disclosures] == ["RHEALTH"]
    produced = [e for e in record.entries if e.kind == "disclosure:production:produced"]
    assert len(produced) == 1
    with unit_of_work(app_sessions(client)) as session:
        entries = ledger_service.entries_from(session, 0, 10_000)
    police = next(i for i, data in entries if b"RPOLICE" in data)
    assert client.get(f"/my/{first}/receipt/{police}").status_code == 404
    assert client.get(f"/my/{first}/receipt/{produced[0].index}").status_code == 200


def test_manage_page_links_to_the_record(two_people: tuple[TestClient, str, str]) -> None:
    client, first, _ = two_people
    page = client.get(f"/appointments/manage/{first}")
    assert f'href="/my/{first}"' in page.text
