"""Claims for availability tests: holds (live or expired) on resources, written as booking would."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from haven.scheduling.models import Hold, Resource, Service, SlotClaim


def hold_claim(
    session: Session,
    service: Service,
    resource: Resource,
    starts_at: datetime,
    ends_at: datetime,
    *,
    expires_at: datetime,
) -> SlotClaim:
    """A hold on `resource` for [starts_at, ends_at) (buffer included) until `expires_at`."""
    hold = Hold(
        token_hash=secrets.token_hex(32),
        office_id=service.office_id,
        service_id=service.id,
        starts_at=starts_at,
        ends_at=ends_at,
        expires_at=expires_at,
    )
    session.add(hold)
    session.flush()
    claim = SlotClaim(
        resource_id=resource.id,
        starts_at=starts_at,
        ends_at=ends_at,
        hold_id=hold.id,
        expires_at=expires_at,
    )
    session.add(claim)
    session.flush()
    return claim


def live_hold(
    session: Session, service: Service, resource: Resource, starts_at: datetime, minutes: int
) -> SlotClaim:
    """A hold that outlives every test clock."""
    far = starts_at + timedelta(days=365)
    return hold_claim(
        session,
        service,
        resource,
        starts_at,
        starts_at + timedelta(minutes=minutes),
        expires_at=far,
    )
