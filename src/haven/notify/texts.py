"""The words of each message, in the person's language, made at send time.

Every sentence is a gettext message marked with `N_` and translated through the public pages'
catalogues (haven.i18n), so a language added there reaches messages too. An SMS says only
when and where (no service, no name): a phone's lock screen is not private. An email may also
name the service, and carries the appointment's .ics (which holds no personal data either).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from haven.i18n import N_, babel_locale, supported, translate
from haven.notify.models import Channel, MessageKind

SUBJECTS: dict[MessageKind, str] = {
    MessageKind.CONFIRMATION: N_("Your appointment is booked"),
    MessageKind.REMINDER: N_("Reminder: your appointment"),
    MessageKind.CHANGED: N_("Your appointment has a new time"),
    MessageKind.OFFICE_CLOSED: N_("Your appointment cannot take place"),
    MessageKind.DISCLOSURE_NOTICE: N_("Notice about your records"),
    MessageKind.WAITLIST_OFFER: N_("An earlier appointment is free for you"),
}

_SMS: dict[MessageKind, str] = {
    MessageKind.CONFIRMATION: N_("Haven: you are booked at %(office)s on %(when)s."),
    MessageKind.REMINDER: N_("Haven: reminder, your appointment at %(office)s is on %(when)s."),
    MessageKind.CHANGED: N_("Haven: your appointment at %(office)s is now on %(when)s."),
    MessageKind.OFFICE_CLOSED: N_(
        "Haven: %(office)s is closed on %(when)s. Please book a new time: %(link)s"
    ),
    MessageKind.DISCLOSURE_NOTICE: N_(
        "Haven: there is a notice about your records. Read it at %(link)s"
    ),
    MessageKind.WAITLIST_OFFER: N_(
        "Haven: a time at %(office)s on %(when)s is free for you until %(until)s: %(link)s"
    ),
}

_EMAIL: dict[MessageKind, str] = {
    MessageKind.CONFIRMATION: N_(
        "Your appointment for %(service)s at %(office)s, %(address)s, is on %(when)s. "
        "The attached calendar file adds it to your calendar."
    ),
    MessageKind.REMINDER: N_(
        "This is a reminder: your appointment for %(service)s at %(office)s, %(address)s, "
        "is on %(when)s."
    ),
    MessageKind.CHANGED: N_(
        "Your appointment for %(service)s at %(office)s, %(address)s, is now on %(when)s. "
        "The attached calendar file updates your calendar."
    ),
    MessageKind.OFFICE_CLOSED: N_(
        "%(office)s is closed on %(when)s, so your appointment for %(service)s cannot take "
        "place. We are sorry. Please choose a new time: %(link)s"
    ),
    MessageKind.DISCLOSURE_NOTICE: N_(
        "The law requires us to tell you that information from your records was shared with "
        "another agency. You can read what was shared, with whom and why, at %(link)s"
    ),
    MessageKind.WAITLIST_OFFER: N_(
        "A time for %(service)s at %(office)s, %(address)s, is free on %(when)s. It is kept "
        "for you until %(until)s. To take it, open %(link)s"
    ),
}


@dataclass(frozen=True)
class MessageFacts:
    """What a message may mention; none of it is the person's own data."""

    office: str = ""
    address: str = ""
    service: str = ""
    starts_at: datetime | None = None
    until: datetime | None = None
    timezone: str = "UTC"
    link: str = ""


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str


def render(
    kind: MessageKind, channel: Channel, language: str, facts: MessageFacts
) -> RenderedMessage:
    """The subject and text of a message in `language` (English when we do not have it)."""
    tag = supported(language) or "en"
    params = {
        "office": facts.office,
        "address": facts.address,
        "service": facts.service,
        "when": _local(facts.starts_at, facts.timezone, tag),
        "until": _local(facts.until, facts.timezone, tag),
        "link": facts.link,
    }
    template = _SMS[kind] if channel is Channel.SMS else _EMAIL[kind]
    return RenderedMessage(
        subject=translate(tag, SUBJECTS[kind]), body=translate(tag, template, params)
    )


def _local(instant: datetime | None, timezone: str, tag: str) -> str:
    if instant is None:
        return ""
    return format_datetime(
        instant.astimezone(ZoneInfo(timezone)), format="medium", locale=babel_locale(tag)
    )
