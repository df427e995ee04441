"""Evaluating a request's facts against the active policy pack (Cedar plus small Python checks)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from haven.disclosure.policy.facts import Decision, RequestFacts


def evaluate(session: Session, facts: RequestFacts, *, now: datetime) -> Decision:
    """Decide ``facts`` under the active policy version; writes nothing (but see governance for
    the first-use install of the bundled pack)."""
    raise NotImplementedError("policy engine lands in the next commit")
