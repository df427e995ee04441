"""`haven worker`: runs the jobs that are due, on the injected clock.

A job is a name, how often it runs, and a function of the worker's context that returns how
many things it did (never what they were: the worker's output is logged, and logs hold no
personal data). Every job is in `JOBS`, the one list the worker runs, in its order. The ledger
job runs last in every round: it folds the entries the other jobs appended into the tree, signs
a checkpoint and has the witnesses cosign it, as the web app's integrator does after a request,
so a deployment without the web app still publishes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from haven.access.sign_in import delete_ended_sessions
from haven.clock import Clock
from haven.config import Settings
from haven.db import unit_of_work
from haven.disclosure.accounting import prune_accounting
from haven.ledger.keys import load_log_signer
from haven.ledger.service import publish_pending
from haven.ledger.witness.policy import WitnessPolicy
from haven.ledger.witnessing import cosign_latest
from haven.notify.jobs import run_messages
from haven.scheduling.retention import run_retention
from haven.scheduling.waitlist import run_waitlist
from haven.vault.keys import Keyring

log = logging.getLogger("haven.worker")


@dataclass(frozen=True)
class WorkerContext:
    settings: Settings
    clock: Clock
    sessions: sessionmaker[Session]
    keyring: Keyring


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[WorkerContext], int]


def _retention(context: WorkerContext) -> int:
    return run_retention(
        context.sessions,
        context.keyring,
        context.clock,
        retention_days=context.settings.retention_days,
    ).shredded


def _ended_staff_sessions(context: WorkerContext) -> int:
    # Ended sessions sign nobody in; deleting them keeps the table (read on every staff request)
    # to the live ones.
    with unit_of_work(context.sessions) as session:
        return delete_ended_sessions(session, context.clock)


def _accounting(context: WorkerContext) -> int:
    # The accounting of disclosures is kept five years or the life of the record, whichever is
    # longer; past both, an entry goes.
    with unit_of_work(context.sessions) as session:
        return prune_accounting(session, context.clock.now())


def _ledger(context: WorkerContext) -> int:
    """Integrate, sign a checkpoint if the tree grew, submit it to the witnesses that lack it;
    returns checkpoints signed plus cosignatures gathered."""
    signer = load_log_signer(context.settings)
    published = publish_pending(context.sessions, signer, context.clock)
    policy = WitnessPolicy.from_settings(context.settings)
    witnessed = cosign_latest(context.sessions, policy, context.clock)
    if witnessed is not None:
        for url in witnessed.failures:
            log.warning("witness %s did not cosign checkpoint %d", url, witnessed.size)
    return (published is not None) + (len(witnessed.cosigned) if witnessed else 0)


JOBS: tuple[Job, ...] = (
    Job("retention", timedelta(hours=1), _retention),
    Job("staff_sessions", timedelta(hours=1), _ended_staff_sessions),
    Job("accounting", timedelta(days=1), _accounting),
    # Every round (messages are due by the minute), the waitlist first so its offers go at once.
    Job("waitlist", timedelta(0), run_waitlist),
    Job("messages", timedelta(0), run_messages),
    # Every round, and last: it publishes what the other jobs appended.
    Job("ledger", timedelta(0), _ledger),
)


@dataclass
class Worker:
    """Remembers when each job last ran, so a round runs only those that are due."""

    context: WorkerContext
    last_run: dict[str, datetime] = field(default_factory=dict)

    def due(self, now: datetime) -> list[Job]:
        """The jobs due at ``now``, in the order of `JOBS`."""
        return [
            job
            for job in JOBS
            if job.name not in self.last_run or now - self.last_run[job.name] >= job.every
        ]

    def run_round(self) -> dict[str, int]:
        """Run every due job once; returns how many things each did."""
        done: dict[str, int] = {}
        for job in self.due(self.context.clock.now()):
            done[job.name] = job.run(self.context)
            self.last_run[job.name] = self.context.clock.now()
            log.info("worker job %s did %d", job.name, done[job.name])
        return done

    def run_until(self, stop: threading.Event, poll_seconds: float) -> None:
        """Run rounds until `stop` is set, waiting `poll_seconds` between them."""
        while not stop.is_set():
            self.run_round()
            stop.wait(poll_seconds)
