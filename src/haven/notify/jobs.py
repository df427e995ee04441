"""The worker's message job: queue what is owed, then send what is due."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from haven.db import unit_of_work
from haven.notify.appointments import sweep_appointments
from haven.notify.disclosure_notices import sweep_disclosure_notices
from haven.notify.senders import Senders, senders_from_settings
from haven.notify.service import deliver_due

if TYPE_CHECKING:  # haven.worker lists this job, so it imports this module
    from haven.worker import WorkerContext


def run_messages(context: WorkerContext, senders: Senders | None = None) -> int:
    """One round: the sweep (its own transaction), then delivery; returns messages sent."""
    settings = context.settings
    with unit_of_work(context.sessions) as session:
        sweep_appointments(session, context.clock, reminder_hours=settings.reminder_hours)
        sweep_disclosure_notices(session, context.clock)
    outcome = deliver_due(
        context.sessions,
        context.keyring,
        context.clock,
        senders or senders_from_settings(settings),
        max_attempts=settings.message_max_attempts,
        backoff=timedelta(seconds=settings.message_backoff_seconds),
        base_url=settings.base_url,
    )
    return outcome.sent
