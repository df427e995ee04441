"""Ways a message leaves: email over SMTP, SMS through a provider's webhook, or files.

A sender raises `DeliveryFailed` with a short reason in our own words (never the address or the
text) when the other side did not take the message; the outbox then tries again later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import httpx

from haven.config import Settings
from haven.notify.ical import MEDIA_TYPE

SIGNATURE_HEADER = "X-Haven-Signature"
_TIMEOUT_SECONDS = 10.0


class DeliveryFailed(Exception):
    """The message was not accepted; `reason` is safe to store and show to the manager."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:200]


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str
    calendar: bytes | None = None  # an .ics file to attach


@dataclass(frozen=True)
class Sms:
    to: str  # E.164
    body: str


class EmailSender(Protocol):
    def send_email(self, email: Email) -> None: ...


class SmsSender(Protocol):
    def send_sms(self, sms: Sms) -> None: ...


def email_message(email: Email, sender: str) -> EmailMessage:
    """The MIME message: plain text, with the .ics attached when there is one."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message.set_content(email.body)
    if email.calendar is not None:
        maintype, _, subtype = MEDIA_TYPE.partition(";")[0].partition("/")
        message.add_attachment(
            email.calendar, maintype=maintype, subtype=subtype, filename="appointment.ics"
        )
    return message


@dataclass(frozen=True)
class SmtpEmailSender:
    """Email through an SMTP server (STARTTLS, implicit TLS, or plain for a local relay)."""

    host: str
    port: int
    security: str = "starttls"
    user: str | None = None
    password: str | None = None
    sender: str = "Haven <no-reply@haven.invalid>"
    tls_context: ssl.SSLContext | None = None

    def send_email(self, email: Email) -> None:
        message = email_message(email, self.sender)
        context = self.tls_context or ssl.create_default_context()
        try:
            if self.security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=_TIMEOUT_SECONDS, context=context
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=_TIMEOUT_SECONDS)
            with client:
                if self.security == "starttls":
                    client.starttls(context=context)
                if self.user is not None and self.password is not None:
                    client.login(self.user, self.password)
                client.send_message(message)
        except smtplib.SMTPResponseException as exc:
            raise DeliveryFailed(f"smtp: the server answered {exc.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"smtp: {type(exc).__name__}") from None


@dataclass(frozen=True)
class WebhookSmsSender:
    """SMS through a provider's HTTP endpoint: JSON {"to", "body"}, signed with HMAC-SHA256
    of the exact body bytes under the shared secret, hex in the `X-Haven-Signature` header."""

    url: str
    secret: bytes

    def send_sms(self, sms: Sms) -> None:
        body = json.dumps({"to": sms.to, "body": sms.body}, ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: "sha256=" + sign(self.secret, body),
        }
        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=_TIMEOUT_SECONDS)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"sms webhook: {type(exc).__name__}") from None
        if response.status_code >= 300:
            raise DeliveryFailed(f"sms webhook: the provider answered {response.status_code}")


def sign(secret: bytes, body: bytes) -> str:
    """The webhook signature: hex HMAC-SHA256 of the body."""
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class FileOutbox:
    """Development: each message becomes a file under `directory` (owner-only permissions)."""

    directory: Path

    def send_email(self, email: Email) -> None:
        self._write("eml", bytes(email_message(email, "Haven <dev@haven.invalid>")))

    def send_sms(self, sms: Sms) -> None:
        self._write("sms.json", json.dumps({"to": sms.to, "body": sms.body}).encode())

    def _write(self, suffix: str, content: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.directory / f"{uuid.uuid4().hex}.{suffix}"
        path.touch(mode=0o600)
        path.write_bytes(content)


@dataclass(frozen=True)
class Senders:
    email: EmailSender
    sms: SmsSender


class SendersNotConfigured(Exception):
    pass


def email_sender_from_settings(settings: Settings) -> EmailSender | None:
    """SMTP as configured, or None when no SMTP host is set."""
    if settings.smtp_host is None:
        return None
    return SmtpEmailSender(
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security,
        user=settings.smtp_user,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        sender=settings.smtp_from,
    )


def sms_sender_from_settings(settings: Settings) -> SmsSender | None:
    """The SMS webhook as configured, or None when its URL or secret is missing."""
    if settings.sms_webhook_url is None or settings.sms_webhook_secret is None:
        return None
    return WebhookSmsSender(
        settings.sms_webhook_url, settings.sms_webhook_secret.get_secret_value().encode()
    )


def senders_from_settings(settings: Settings) -> Senders:
    """SMTP and the SMS webhook as configured; files under home/outbox for what is not, but
    only in dev_mode: in production an unconfigured channel refuses to start (fail closed)."""
    outbox = FileOutbox(settings.home / "outbox")
    email = email_sender_from_settings(settings)
    if email is None and not settings.dev_mode:
        raise SendersNotConfigured("set HAVEN_SMTP_HOST (or HAVEN_DEV_MODE for a file outbox)")
    sms = sms_sender_from_settings(settings)
    if sms is None and not settings.dev_mode:
        raise SendersNotConfigured(
            "set HAVEN_SMS_WEBHOOK_URL and HAVEN_SMS_WEBHOOK_SECRET (or HAVEN_DEV_MODE)"
        )
    return Senders(email=email or outbox, sms=sms or outbox)
