"""Taking a request in: receive → validate → evaluate → (if the policy allows) review, in the
caller's one transaction, so a request is never half taken in."""

from __future__ import annotations

from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.disclosure import review, service
from haven.disclosure.models import DisclosureRequest, RequestStatus
from haven.disclosure.schemas import DisclosureRequestIn
from haven.vault.keys import Keyring


def take_in(
    session: Session,
    keyring: Keyring,
    clock: Clock,
    intake: service.Intake,
    body: DisclosureRequestIn,
    document: bytes | None,
) -> DisclosureRequest:
    """Store the request and carry it as far as the rules take it without a person deciding."""
    request = service.receive_request(session, keyring, clock, intake, body, document)
    if service.validate(session, clock, request):
        return request
    service.evaluate(session, clock, request)
    if request.status == RequestStatus.POLICY_EVALUATED:
        review.assign_review(session, keyring, clock, request)
    return request
