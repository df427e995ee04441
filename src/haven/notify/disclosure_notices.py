"""Delivering the notices the disclosure gateway queues (haven.disclosure.delivery.handle_notice).

A notice that is queued, or whose written delayed-notice order has ended, becomes one outbox
message, in the language of the person's latest appointment. The message only says that there
is a notice and where to read it (their own view): what was shared stays behind that page.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.disclosure.models import Notice, NoticeStatus
from haven.notify.models import MessageKind, OutboundMessage
from haven.notify.service import Content, SendEnv, queue_message, register_content
from haven.notify.texts import MessageFacts
from haven.scheduling.models import Appointment


def notice_key(notice_id: int) -> str:
    return f"disclosure-notice:{notice_id}"


def sweep_disclosure_notices(session: Session, clock: Clock) -> int:
    """Queue a message for every notice now owed and not yet queued; how many are new."""
    now = clock.now()
    owed = list(
        session.scalars(
            sa.select(Notice).where(
                sa.or_(
                    Notice.status == str(NoticeStatus.QUEUED),
                    sa.and_(
                        Notice.status == str(NoticeStatus.DELAYED),
                        Notice.delayed_until.is_not(None),
                        Notice.delayed_until <= now,
                    ),
                )
            )
        )
    )
    keys = {notice_key(n.id): n for n in owed}
    already = set(
        session.scalars(
            sa.select(OutboundMessage.idempotency_key).where(
                OutboundMessage.idempotency_key.in_(list(keys))
            )
        )
        if keys
        else []
    )
    new = 0
    for key, notice in keys.items():
        if key in already:
            continue
        latest = session.scalars(
            sa.select(Appointment)
            .where(Appointment.person_id == notice.person_id)
            .order_by(Appointment.starts_at.desc())
            .limit(1)
        ).first()
        queue_message(
            session,
            clock,
            key=key,
            person_id=notice.person_id,
            kind=MessageKind.DISCLOSURE_NOTICE,
            language=latest.language if latest is not None else "en",
            due_at=now,
            office_id=latest.office_id if latest is not None else None,
        )
        new += 1
    return new


def _notice_content(
    session: Session, message: OutboundMessage, clock: Clock, env: SendEnv
) -> Content:
    base_url = env.base_url
    # The person's own view asks them to prove who they are before showing anything.
    return Content(MessageFacts(link=f"{base_url}/my"))


register_content(MessageKind.DISCLOSURE_NOTICE, _notice_content)
