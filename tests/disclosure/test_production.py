"""Production: only once produced, only to the agency that asked, signed by the office key;
and nothing in the gateway can send it by email."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

import haven.disclosure
from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.disclosure import service
from haven.disclosure.errors import WrongState
from haven.vault.keys import Keyring
from tests.disclosure.support import (
    API,
    AgencyApi,
    World,
    approve_by_both,
    entries,
    produce,
    warrant_request,
)

# Modules through which anything could leave by email.
MAIL_MODULES = {"smtplib", "email", "aiosmtplib", "haven.notify"}


def _approved(
    agency_api: AgencyApi,
    world: World,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
) -> str:
    public_id: str = agency_api.submit(warrant_request(world.office_id)).json()["id"]
    with unit_of_work(sessions) as session:
        request = service.get_request(session, public_id)
        approve_by_both(session, keyring, clock, world, request)
    return public_id


def test_the_production_is_fetchable_only_once_produced_and_only_by_that_agency(
    agency_api: AgencyApi,
    world: World,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    settings: Settings,
    app_client: TestClient,
) -> None:
    public_id = _approved(agency_api, world, sessions, clock, keyring)
    # Approved is not produced.
    assert agency_api.get(f"{API}/{public_id}/production").status_code == 409
    with unit_of_work(sessions) as session:
        produce(session, keyring, clock, settings, service.get_request(session, public_id))
    other = AgencyApi(app_client, world.health, clock)
    assert other.get(f"{API}/{public_id}/production").status_code == 404
    fetched = agency_api.get(f"{API}/{public_id}/production")
    assert fetched.status_code == 200
    assert set(fetched.json()) >= {"package", "signature", "public_key", "package_sha256"}
    assert "contact" in fetched.json()["package"]  # approved as asked: all three elements
    assert len(entries(sessions, "disclosure:production:fetched")) == 1
    refused = entries(sessions, "disclosure:request:refused")
    assert [(e["stage"], e["error"]) for e in refused] == [
        ("production", "disclosure_not_produced"),
        ("production", "disclosure_request_not_found"),
    ]


def test_a_request_cannot_be_produced_twice(
    agency_api: AgencyApi,
    world: World,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    settings: Settings,
) -> None:
    public_id = _approved(agency_api, world, sessions, clock, keyring)
    with unit_of_work(sessions) as session:
        request = service.get_request(session, public_id)
        produce(session, keyring, clock, settings, request)
        with pytest.raises(WrongState):
            produce(session, keyring, clock, settings, request)


def test_nothing_in_the_gateway_can_send_email() -> None:
    package = Path(haven.disclosure.__file__).parent
    imported: set[str] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
    leaks = {
        name
        for name in imported
        if any(name == m or name.startswith(f"{m}.") for m in MAIL_MODULES)
    }
    assert leaks == set()
