"""Outside the dev outbox, the one-time code for `/my` goes through the office's own message
channels: a real SMTP server receives it at the address the person booked with, and a contact
whose channel is not configured gets no code (fail closed)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.header import decode_header, make_header

import pytest
from fastapi.testclient import TestClient

from haven.clock import ManualClock
from haven.config import Settings
from haven.notify.senders import Email
from haven.transparency.one_time import MessageCodeSender, NoSender
from haven.web.app import create_app
from tests.notify.servers import Mailbox, smtp_server
from tests.scheduling.booking_support import arrange_desk
from tests.transparency.support import app_sessions, integrator_of
from tests.transparency.test_one_time_code import ask, confirmation_code
from tests.transparency.test_own_record import book
from tests.web.page_support import get


@pytest.fixture
def smtp_client(settings: Settings, clock: ManualClock) -> Iterator[tuple[TestClient, Mailbox]]:
    with smtp_server() as (mailbox, port):
        configured = settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none"}
        )
        with TestClient(create_app(configured, clock=clock)) as client:
            yield client, mailbox


def test_the_code_is_emailed_to_the_address_on_file(
    smtp_client: tuple[TestClient, Mailbox],
) -> None:
    client, mailbox = smtp_client
    integrator_of(client).stop()
    desk = arrange_desk(app_sessions(client))
    token = book(client, desk, 9, "Ana Example", phone=None, email="ana@example.org")
    ask(client, confirmation_code(client, token))
    assert len(mailbox.received) == 1
    message = mailbox.received[0]
    assert message["To"] == "ana@example.org"
    assert re.search(r"Your Haven code is \S+\.", str(message.get_payload()))


def test_a_code_asked_for_in_spanish_is_emailed_in_spanish(
    smtp_client: tuple[TestClient, Mailbox],
) -> None:
    client, mailbox = smtp_client
    integrator_of(client).stop()
    desk = arrange_desk(app_sessions(client))
    token = book(client, desk, 9, "Ana Example", phone=None, email="ana@example.org")
    code = confirmation_code(client, token)
    # The page in Spanish remembers the language in a cookie the form's post carries.
    form = get(client, "/my?lang=es").form("/my/code")
    assert form.submit(client, confirmation_code=code).status_code == 200
    assert len(mailbox.received) == 1
    message = mailbox.received[0]
    assert message["To"] == "ana@example.org"
    assert str(make_header(decode_header(message["Subject"]))) == "Su código de Haven"
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert re.fullmatch(
        r"Su código de Haven es \d{6}\.\s*", body.decode(message.get_content_charset() or "utf-8")
    )


class _Outbox:
    def __init__(self) -> None:
        self.sent: list[Email] = []

    def send_email(self, email: Email) -> None:
        self.sent.append(email)


def test_a_contact_without_a_configured_channel_gets_no_code() -> None:
    outbox = _Outbox()
    sender = MessageCodeSender(email=outbox, sms=None)
    with pytest.raises(NoSender):
        sender.send_code("phone", "+12025550143", "123456", "en")
    sender.send_code("email", "ana@example.org", "123456", "en")
    assert [e.to for e in outbox.sent] == ["ana@example.org"]
