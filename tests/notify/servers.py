"""Real servers on 127.0.0.1 for the message tests: an SMTP server (aiosmtpd) and an SMS
provider's webhook endpoint that checks the HMAC signature before it accepts anything."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from haven.notify.senders import SIGNATURE_HEADER


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Mailbox:
    """What the SMTP server received; `refuse` answers 451 (try later) to every message."""

    received: list[Message] = field(default_factory=list)
    refuse: bool = False

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            return "451 4.3.0 try again later"
        content = envelope.original_content or b""
        self.received.append(email.message_from_bytes(content))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@dataclass
class SmsProvider:
    """The webhook's side: accepted messages, and how many requests it refused."""

    secret: bytes
    accepted: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    requests: int = 0
    fail_with: int | None = None  # answer this status to every request
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def sms_webhook(secret: bytes) -> Iterator[tuple[SmsProvider, str]]:
    provider = SmsProvider(secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = "sha256=" + hmac.new(provider.secret, body, hashlib.sha256).hexdigest()
            given = self.headers.get(SIGNATURE_HEADER, "")
            with provider.lock:
                provider.requests += 1
                if provider.fail_with is not None:
                    status = provider.fail_with
                elif not hmac.compare_digest(expected, given):
                    provider.bad_signatures += 1
                    status = 401
                else:
                    provider.accepted.append(json.loads(body))
                    status = 202
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider, f"http://127.0.0.1:{server.server_address[1]}/sms"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
