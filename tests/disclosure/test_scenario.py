"""The issue's scenario, steps 1 and 3, through the signed API on both databases.

Step 1: an immigration-enforcement agency asks for every appointment at one office next week
for civil enforcement: denied with its reasons, recorded, and nothing decrypted.
Step 3: the same agency sends a judicial warrant naming one person: review, two distinct
signatures, a production with only the approved fields, an accounting entry, the notice.
"""

from __future__ import annotations

import base64
import json

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.access.models import Role
from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.disclosure import accounting, delivery, review, service
from haven.disclosure.models import Notice, NoticeStatus, RequestStatus
from haven.disclosure.production import load_office_signer
from haven.ledger.note import ed25519_signature_valid
from haven.vault.keys import Keyring
from tests.disclosure.support import (
    API,
    AgencyApi,
    World,
    bulk_request,
    entries,
    reviewer,
    warrant_request,
)


def test_step_1_bulk_civil_immigration_request_is_denied_with_reasons_and_nothing_decrypted(
    agency_api: AgencyApi, world: World, sessions: sessionmaker[Session]
) -> None:
    reads_before = len(entries(sessions, "access:personal_data"))

    response = agency_api.submit(bulk_request(world.office_id))

    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["status"] == "denied"
    rules = {reason["rule"] for reason in answer["decision"]["reasons"]}
    # bulk; civil immigration without a judge's warrant (future times and place)
    assert {"specific_individuals_only", "future_appointments_civil_immigration"} <= rules
    assert all(reason["explanation"] for reason in answer["decision"]["reasons"])
    assert answer["decision"]["allowed_elements"] == []

    evaluated = entries(sessions, "disclosure:request:evaluated")
    assert len(evaluated) == 1
    assert evaluated[0]["outcome"] == "denied"
    assert evaluated[0]["refs"] == [f"disclosure-request:{answer['id']}"]
    assert evaluated[0]["policy_hash"] == answer["decision"]["policy_hash"]
    assert evaluated[0]["records_decrypted"] == 0
    assert len(entries(sessions, "access:personal_data")) == reads_before

    status = agency_api.get(f"{API}/{answer['id']}")
    assert status.status_code == 200
    assert status.json()["status"] == "denied"
    production = agency_api.get(f"{API}/{answer['id']}/production")
    assert production.status_code == 409
    assert production.json()["error"] == "disclosure_not_produced"


def test_step_3_judicial_warrant_goes_to_review_two_approvals_production_accounting_notice(
    agency_api: AgencyApi,
    world: World,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    settings: Settings,
    app_client: TestClient,
) -> None:
    response = agency_api.submit(warrant_request(world.office_id))
    assert response.status_code == 201, response.text
    public_id = response.json()["id"]
    assert response.json()["status"] == "in-review"
    assert response.json()["decision"]["outcome"] == "review"
    # Before any approval the production is not there, for anyone.
    assert agency_api.get(f"{API}/{public_id}/production").status_code == 409

    with unit_of_work(sessions) as session:
        request = service.get_request(session, public_id)
        review.approve(
            session,
            keyring,
            clock,
            request,
            reviewer(world.privacy_officer, Role.PRIVACY_OFFICER, clock),
        )
        assert request.status == RequestStatus.IN_REVIEW  # one signature is not enough
        review.narrow(
            session,
            keyring,
            clock,
            request,
            reviewer(world.counsel, Role.COUNSEL, clock),
            elements={"identity", "future_appointments"},
            individuals={"individual:0"},
            note="Contact details are not needed to execute the warrant.",
        )
        assert request.status == RequestStatus.NARROWED
        delivery.produce(
            session,
            keyring,
            clock,
            load_office_signer(settings),
            request,
            actor=f"staff:{world.privacy_officer.account_id}",
        )

    fetched = agency_api.get(f"{API}/{public_id}/production")
    assert fetched.status_code == 200, fetched.text
    body = fetched.json()
    assert ed25519_signature_valid(
        base64.b64decode(body["public_key"]),
        base64.b64decode(body["signature"]),
        body["package"].encode(),
    )
    package = json.loads(body["package"])
    assert package["elements"] == ["future_appointments", "identity"]
    [person] = package["individuals"]
    assert set(person) == {"ref", "identity", "future_appointments"}
    assert person["identity"] == {"name": "Rosa Example"}
    assert [visit["starts_at"] for visit in person["future_appointments"]] == [
        "2026-12-07T15:00:00+00:00"
    ]
    assert "+12025550111" not in body["package"]

    # Only that agency: another registered agency gets the same 404 as a made-up id.
    other = AgencyApi(app_client, world.health, clock)
    assert other.get(f"{API}/{public_id}/production").status_code == 404
    assert other.get(f"{API}/{public_id}").status_code == 404

    with unit_of_work(sessions) as session:
        request = service.get_request(session, public_id)
        person_view = accounting.for_person(
            session, keyring, clock.now(), person_id=world.target_person_id
        )
        assert len(person_view) == 1
        line = person_view[0].disclosure
        assert line.recipient_name == "Immigration Enforcement Field Office"
        assert line.recipient_address == "1 Federal Plaza, Example City"
        assert line.nature == ("future_appointments", "identity")
        assert line.purpose == "criminal"
        notices = delivery.handle_notice(
            session, clock, request, actor=f"staff:{world.counsel.account_id}"
        )
        # Compulsory legal process: the person is told once the process is public record.
        assert [(n.reason, n.status, n.channel) for n in notices] == [
            ("compulsory_legal_process_once_public", NoticeStatus.DELAYED, "sms")
        ]
        assert request.status == RequestStatus.NOTICE_DELAYED
        # Once the warrant is public record, counsel releases the notice to the person.
        assert delivery.release_notices(session, clock, request, actor="staff:2") == 1
        assert [n.status for n in notices] == [NoticeStatus.QUEUED]
        assert request.status == RequestStatus.NOTICED
        service.close(session, clock, request, actor=f"staff:{world.counsel.account_id}")
        assert session.query(Notice).count() == 1

    kinds = [e["kind"] for e in entries(sessions, "disclosure:")]
    for kind in (
        "disclosure:request:received",
        "disclosure:request:evaluated",
        "disclosure:review:assigned",
        "disclosure:review:signed",
        "disclosure:request:decided",
        "disclosure:production:produced",
        "disclosure:production:fetched",
        "disclosure:notice:handled",
        "disclosure:request:closed",
    ):
        assert kind in kinds, kind
    signed = entries(sessions, "disclosure:review:signed")
    assert {e["actor"] for e in signed} == {
        f"staff:{world.privacy_officer.account_id}",
        f"staff:{world.counsel.account_id}",
    }
    produced = entries(sessions, "disclosure:production:produced")[0]
    assert len(produced["subject_tags"]) == 1
    reads = entries(sessions, "access:personal_data:read")
    assert {r["purpose"] for r in reads} == {"disclosure review"}
    assert all(r["records"] == 1 for r in reads)
