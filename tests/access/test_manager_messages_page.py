"""The manager's messages page on both databases: a message that could not be delivered shows
with its attempts and reason, never the address or the text; other offices' managers and
clerks are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.access.sessions import AccessPolicy
from haven.clock import ManualClock
from haven.config import Settings
from haven.notify.jobs import run_messages
from haven.notify.senders import FileOutbox, Senders, WebhookSmsSender
from haven.vault.keys import Keyring
from haven.worker import WorkerContext
from tests.access.staff_world import World, browser, build_world
from tests.notify.servers import sms_webhook


@pytest.fixture
def world(
    sessions: sessionmaker[Session], clock: ManualClock, keyring: Keyring, policy: AccessPolicy
) -> World:
    return build_world(sessions, clock, keyring, policy)


def test_undelivered_messages_show_to_the_manager_without_personal_data(
    app_client: TestClient,
    world: World,
    clock: ManualClock,
    sessions: sessionmaker[Session],
    keyring: Keyring,
    settings: Settings,
) -> None:
    tuned = settings.model_copy(update={"message_max_attempts": 1})
    context = WorkerContext(settings=tuned, clock=clock, sessions=sessions, keyring=keyring)
    with sms_webhook(b"secret") as (provider, url):
        provider.fail_with = 500
        sms = WebhookSmsSender(url, b"secret")
        # Every appointment in this world gives a phone: email is never used here.
        run_messages(context, Senders(email=FileOutbox(tuned.home / "outbox"), sms=sms))
    clock.advance(timedelta(minutes=1))
    manager = browser(app_client, world.staff["manager_a"], clock)
    page = manager.get(f"/staff/manager/{world.office_a}/messages")
    assert page.status_code == 200
    assert "sms webhook: the provider answered 500" in page.text
    assert "Canary" not in page.text
    assert "+1" not in page.text
    assert manager.get(f"/staff/manager/{world.office_b}/messages").status_code == 403
    clerk = browser(app_client, world.staff["clerk_a"], clock)
    assert clerk.get(f"/staff/manager/{world.office_a}/messages").status_code == 403
