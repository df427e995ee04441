"""The gateway's notices reach the person through the outbox (both databases, a real SMS
webhook): a queued (b)(8) notice goes once, saying only that there is a notice and where to
read it; a delayed one waits until its written order ends."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.disclosure import delivery, service
from haven.notify.jobs import run_messages
from haven.notify.senders import FileOutbox, Senders, WebhookSmsSender
from haven.vault.keys import Keyring
from haven.worker import WorkerContext
from tests.disclosure.support import TARGET_NAME, AgencyApi, World
from tests.disclosure.test_production_notices import _produced
from tests.notify.servers import sms_webhook

SECRET = b"notice-webhook-secret"


def _notice_messages(
    app_client: Any,
    world: World,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    settings: Settings,
    delayed_until: datetime | None,
) -> list[list[dict[str, Any]]]:
    """The SMS bodies accepted after each of: the notice, a day later, after any order ends."""
    public_id = _produced(
        AgencyApi(app_client, world.health, clock), world, sessions, clock, keyring, settings
    )
    with unit_of_work(sessions) as session:
        request = service.get_request(session, public_id)
        delivery.handle_notice(
            session, clock, request, actor="staff:2", delayed_until=delayed_until
        )
    context = WorkerContext(settings=settings, clock=clock, sessions=sessions, keyring=keyring)
    seen: list[list[dict[str, Any]]] = []
    with sms_webhook(SECRET) as (provider, url):
        senders = Senders(
            email=FileOutbox(settings.home / "outbox"), sms=WebhookSmsSender(url, SECRET)
        )
        for step in (timedelta(0), timedelta(days=1), timedelta(days=200)):
            clock.advance(step)
            run_messages(context, senders)
            seen.append(
                [m for m in provider.accepted if m["to"] == "+12025550111" and "/my" in m["body"]]
            )
    return seen


def test_a_queued_notice_is_sent_once_and_names_nothing_about_the_disclosure(
    app_client: Any,
    world: World,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    settings: Settings,
) -> None:
    seen = _notice_messages(app_client, world, sessions, clock, keyring, settings, None)
    assert [len(s) for s in seen] == [1, 1, 1]
    body = seen[0][0]["body"]
    assert "/my" in body
    assert TARGET_NAME.split()[0] not in body
    assert "Health" not in body


def test_a_delayed_notice_waits_for_its_order_to_end(
    app_client: Any,
    world: World,
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    settings: Settings,
) -> None:
    order_ends = clock.now() + timedelta(days=30)
    seen = _notice_messages(app_client, world, sessions, clock, keyring, settings, order_ends)
    assert [len(s) for s in seen] == [0, 0, 1]
