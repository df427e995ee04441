"""The waitlist: people waiting for a slot of a service in a window of days.

When a slot in someone's window is free (a cancellation, new hours, a new counter), the worker
offers it to the first person waiting (by when they joined) as a HOLD on that slot: the slot is
claimed for them alone until the offer ends, so no slot is ever offered to two people, and
nobody else can book it meanwhile. The offer's link carries the hold's token, derived from a
random seed under the server's key, so the message can be made at send time without storing
the token. Accepting books the held slot (`book_appointment` converts the hold) in one
transaction; an offer that runs out frees the slot, and the same round offers it to the next.

A person whose offer ran out leaves the list (the message said how long it was kept): offering
the same slot back to them first would never pass it on.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.db import unit_of_work
from haven.errors import Gone, NotFound
from haven.ledger.store import append
from haven.notify.models import MessageKind, OutboundMessage
from haven.notify.service import Content, SendEnv, queue_message, register_content
from haven.notify.texts import MessageFacts
from haven.scheduling import booking
from haven.scheduling.appointment_view import PUBLIC_ACTOR
from haven.scheduling.availability import check_date_range, find_slots
from haven.scheduling.claiming import SlotTaken
from haven.scheduling.events import WaitlistEvent
from haven.scheduling.models import Hold, Office, Service, SlotClaim
from haven.scheduling.schemas import BookingRequest, HoldRequest
from haven.scheduling.tokens import MAX_TOKEN_LENGTH, token_hash
from haven.scheduling.waitlist_models import WaitlistEntry, WaitlistStatus
from haven.vault.keys import Keyring
from haven.vault.reads import ReadPurpose, read_people
from haven.vault.service import PersonData, person_tag_key, seal_person

if TYPE_CHECKING:  # haven.worker lists this module's job, so it imports this module
    from haven.worker import WorkerContext

OFFER_PAGE_PATH = "/waitlist/offers/{token}"
WAITLIST_ACTOR = "worker:waitlist"
_SEED_BYTES = 16
_KEY_PREFIX = "waitlist:"


class OfferNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "no offer matches this link; check that the whole link was copied", field="token"
        )


class OfferGone(Gone):
    code = "offer_gone"

    def __init__(self) -> None:
        super().__init__(
            "this offer has ended or was already taken; you can join the waitlist again",
            field="token",
        )


@dataclass(frozen=True)
class WaitlistRequest:
    office_id: int
    service_id: int
    first_day: date
    last_day: date
    language: str
    name: str
    phone: str | None
    email: str | None


def offer_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + OFFER_PAGE_PATH.format(token=token)


def offer_token(keyring: Keyring, seed: bytes) -> str:
    """The offer's (and its hold's) token: HMAC of the stored seed under the server's key."""
    digest = hmac.new(keyring.blind_index_key, b"haven:waitlist-offer:" + seed, hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def join_waitlist(
    session: Session, keyring: Keyring, clock: Clock, request: WaitlistRequest
) -> WaitlistEntry:
    """Put a person on the office's waitlist for a service and window (their data sealed)."""
    check_date_range(request.first_day, request.last_day)
    service = session.get(Service, request.service_id)
    if service is None or service.office_id != request.office_id or not service.active:
        raise NotFound("this office offers no such service", field="service_id")
    now = clock.now()
    person = seal_person(
        session,
        keyring,
        clock,
        PersonData(name=request.name, phone=request.phone, email=request.email),
    )
    entry = WaitlistEntry(
        office_id=request.office_id,
        service_id=request.service_id,
        person_id=person.id,
        language=request.language,
        first_day=request.first_day,
        last_day=request.last_day,
        status=str(WaitlistStatus.WAITING),
        created_at=now,
        offers_made=0,
    )
    session.add(entry)
    session.flush()
    _record(
        session, WaitlistEvent.JOINED, entry, now, [person_tag_key(session, keyring, person.id)]
    )
    return entry


def expire_offers(session: Session, clock: Clock) -> int:
    """End the offers that ran out: their holds go, so the slots are free for the next."""
    now = clock.now()
    ended = list(
        session.scalars(
            sa.select(WaitlistEntry)
            .where(
                WaitlistEntry.status == str(WaitlistStatus.OFFERED),
                WaitlistEntry.offer_expires_at <= now,
            )
            .with_for_update()
        )
    )
    for entry in ended:
        _drop_hold(session, entry.hold_id)
        entry.status = str(WaitlistStatus.EXPIRED)
        entry.hold_id = None
        entry.offer_seed = None
    session.flush()
    return len(ended)


def offer_open_slots(
    session: Session, keyring: Keyring, clock: Clock, *, offer_for: timedelta
) -> int:
    """Offer each free slot to the first person waiting whose window it fits; how many."""
    now = clock.now()
    waiting = list(
        session.scalars(
            sa.select(WaitlistEntry)
            .where(WaitlistEntry.status == str(WaitlistStatus.WAITING))
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
            .with_for_update()
        )
    )
    made = 0
    for entry in waiting:
        office = session.get_one(Office, entry.office_id)
        if entry.last_day < now.astimezone(ZoneInfo(office.timezone)).date():
            entry.status = str(WaitlistStatus.EXPIRED)
            continue
        if _offer_first_free(session, keyring, clock, entry, offer_for):
            made += 1
    session.flush()
    return made


def _offer_first_free(
    session: Session, keyring: Keyring, clock: Clock, entry: WaitlistEntry, offer_for: timedelta
) -> bool:
    now = clock.now()
    slots = find_slots(
        session,
        office_id=entry.office_id,
        service_id=entry.service_id,
        start=entry.first_day,
        end=entry.last_day,
        now=now,
    )
    for slot in slots:
        request = HoldRequest(
            office_id=entry.office_id, service_id=entry.service_id, starts_at=slot.starts_at
        )
        try:
            with session.begin_nested():
                placed = booking.place_hold(
                    session, clock=clock, request=request, hold_for=offer_for
                )
        except SlotTaken:
            continue
        seed = secrets.token_bytes(_SEED_BYTES)
        # The hold answers to the offer's token: accepting books it like any held slot.
        placed.hold.token_hash = token_hash(offer_token(keyring, seed))
        entry.status = str(WaitlistStatus.OFFERED)
        entry.hold_id = placed.hold.id
        entry.offer_seed = seed
        entry.offer_expires_at = placed.hold.expires_at
        entry.offers_made += 1
        session.flush()
        queue_message(
            session,
            clock,
            key=f"{_KEY_PREFIX}{entry.id}:offer:{entry.offers_made}",
            person_id=entry.person_id,
            kind=MessageKind.WAITLIST_OFFER,
            language=entry.language,
            due_at=now,
            office_id=entry.office_id,
        )
        _record(session, WaitlistEvent.OFFERED, entry, now, [])
        return True
    return False


def accept_offer(
    session: Session, keyring: Keyring, clock: Clock, *, token: str, base_url: str
) -> booking.Booking:
    """Book the offered slot for the person the offer was made to; OfferGone when it ended
    or was taken (a second accept of the same link gets this too)."""
    entry, hold = offer_by_token(session, token, for_update=True)
    now = clock.now()
    if entry.offer_expires_at is None or entry.offer_expires_at <= now:
        raise OfferGone()
    person = read_people(
        session,
        keyring,
        clock,
        actor=PUBLIC_ACTOR,
        purpose=ReadPurpose.OWN_REQUEST,
        person_ids=[entry.person_id],
        context="waitlist-accept",
    ).person(entry.person_id)
    request = BookingRequest(
        office_id=entry.office_id,
        service_id=entry.service_id,
        starts_at=hold.starts_at,
        hold_token=token,
        name=person.name,
        phone=person.phone,
        email=person.email,
        language=entry.language,
    )
    result = booking.book_appointment(
        session, keyring=keyring, clock=clock, request=request, base_url=base_url
    )
    entry.status = str(WaitlistStatus.BOOKED)
    entry.appointment_id = result.appointment.id
    entry.hold_id = None
    entry.offer_seed = None
    session.flush()
    return result


def offer_by_token(
    session: Session, token: str, *, for_update: bool = False
) -> tuple[WaitlistEntry, Hold]:
    """The open offer a link belongs to, and its hold."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise OfferNotFound()
    hold = session.scalars(
        sa.select(Hold).where(Hold.token_hash == token_hash(token))
    ).one_or_none()
    if hold is None:
        raise OfferGone()
    query = sa.select(WaitlistEntry).where(
        WaitlistEntry.hold_id == hold.id, WaitlistEntry.status == str(WaitlistStatus.OFFERED)
    )
    if for_update:
        # The second of two accepts waits here, then finds the offer gone.
        query = query.with_for_update()
    entry = session.scalars(query).one_or_none()
    if entry is None:
        raise OfferGone()
    return entry, hold


def _drop_hold(session: Session, hold_id: int | None) -> None:
    if hold_id is None:
        return
    session.execute(sa.delete(SlotClaim).where(SlotClaim.hold_id == hold_id))
    session.execute(
        sa.delete(Hold).where(Hold.id == hold_id), execution_options={"synchronize_session": False}
    )


def _record(
    session: Session,
    kind: WaitlistEvent,
    entry: WaitlistEntry,
    now: datetime,
    tag_keys: list[bytes],
) -> None:
    append(
        session,
        kind,
        actor=WAITLIST_ACTOR if kind is WaitlistEvent.OFFERED else PUBLIC_ACTOR,
        time=now,
        subject_tag_keys=tag_keys,
        office=entry.office_id,
        service=entry.service_id,
    )


def _entry_id(key: str) -> int:
    return int(key.removeprefix(_KEY_PREFIX).split(":", 1)[0])


def _offer_content(
    session: Session, message: OutboundMessage, clock: Clock, env: SendEnv
) -> Content | None:
    entry = session.get(WaitlistEntry, _entry_id(message.idempotency_key))
    if (
        entry is None
        or entry.status != WaitlistStatus.OFFERED
        or entry.offer_seed is None
        or entry.hold_id is None
    ):
        return None  # taken or ended before the message went
    hold = session.get_one(Hold, entry.hold_id)
    office = session.get_one(Office, entry.office_id)
    service = session.get_one(Service, entry.service_id)
    facts = MessageFacts(
        office=office.name,
        address=office.address,
        service=service.name,
        starts_at=hold.starts_at,
        until=entry.offer_expires_at,
        timezone=office.timezone,
        link=offer_url(env.base_url, offer_token(env.keyring, entry.offer_seed)),
    )
    return Content(facts)


register_content(MessageKind.WAITLIST_OFFER, _offer_content)


def run_waitlist(context: WorkerContext) -> int:
    """The worker's waitlist round: end lapsed offers, then offer free slots; offers made."""
    offer_for = timedelta(minutes=context.settings.waitlist_offer_minutes)
    with unit_of_work(context.sessions) as session:
        expire_offers(session, context.clock)
        return offer_open_slots(session, context.keyring, context.clock, offer_for=offer_for)
