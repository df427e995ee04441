"""Sign-in actions: password, then a TOTP code where needed; sign out; sign out everywhere.

Failures are outcomes, not exceptions, so the failure's ledger entry and the account's failure
count commit with the request. A sign-in that is waiting (back-off or lockout) is refused before
the password is even checked, and the refusal is recorded too. Every message a person sees
about a wrong username or password is the same one, whichever it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.access import second_factor
from haven.access.events import AccessEvent, FailureReason
from haven.access.models import SECOND_FACTOR_ROLES, StaffAccount, StaffSession
from haven.access.passwords import (
    hash_password,
    needs_rehash,
    spend_one_verification,
    verify_password,
)
from haven.access.principal import StaffPrincipal, offices_by_role
from haven.access.service import normalise_username, revoke_sessions
from haven.access.sessions import AccessPolicy, new_token, plausible_token, token_hash
from haven.clock import Clock
from haven.ledger.entries import format_time
from haven.ledger.store import append
from haven.vault.keys import Keyring

PUBLIC_ACTOR = "public"


class SignInStatus(StrEnum):
    SIGNED_IN = "signed_in"
    CODE_NEEDED = "code_needed"
    REFUSED = "refused"
    WAIT = "wait"
    START_AGAIN = "start_again"


@dataclass(frozen=True)
class SignInOutcome:
    """What happened: a session token (signed in), a pending token (code needed), or why not."""

    status: SignInStatus
    token: str | None = None
    retry_at: datetime | None = None
    reason: FailureReason | None = None


def sign_in(
    session: Session, clock: Clock, policy: AccessPolicy, *, username: str, password: str
) -> SignInOutcome:
    """Check a username and password; sign in, or ask for a code, or refuse (and record)."""
    now = clock.now()
    account = session.scalar(
        sa.select(StaffAccount)
        .where(StaffAccount.username == normalise_username(username)[:64])
        .with_for_update()
    )
    if account is None:
        spend_one_verification(policy.password_cost)
        append(
            session,
            AccessEvent.SIGN_IN_FAILED,
            actor=PUBLIC_ACTOR,
            time=now,
            reason=str(FailureReason.UNKNOWN_ACCOUNT),
            failed_attempts=None,
        )
        return SignInOutcome(SignInStatus.REFUSED, reason=FailureReason.UNKNOWN_ACCOUNT)
    waiting = _waiting(session, account, now)
    if waiting is not None:
        return waiting
    if not verify_password(policy.password_cost, account.password_hash, password):
        return _failed(session, policy, account, now, FailureReason.WRONG_PASSWORD)
    if account.disabled:
        _record_failure(session, account, now, FailureReason.DISABLED)
        return SignInOutcome(SignInStatus.REFUSED, reason=FailureReason.DISABLED)
    if needs_rehash(policy.password_cost, account.password_hash):
        account.password_hash = hash_password(policy.password_cost, password)
    if _needs_code(session, account):
        if not second_factor.is_enrolled(account):
            _record_failure(session, account, now, FailureReason.NO_SECOND_FACTOR)
            return SignInOutcome(SignInStatus.REFUSED, reason=FailureReason.NO_SECOND_FACTOR)
        token = _open_session(session, account, now, policy, pending=True)
        return SignInOutcome(SignInStatus.CODE_NEEDED, token=token)
    return _signed_in(session, policy, account, now, with_code=False)


def verify_code(
    session: Session,
    clock: Clock,
    keyring: Keyring,
    policy: AccessPolicy,
    *,
    pending_token: str | None,
    code: str,
) -> SignInOutcome:
    """The TOTP step: with the pending token from sign_in and a code, finish signing in."""
    now = clock.now()
    pending = _pending_session(session, pending_token, now)
    if pending is None:
        return SignInOutcome(SignInStatus.START_AGAIN)
    account = session.scalar(
        sa.select(StaffAccount).where(StaffAccount.id == pending.account_id).with_for_update()
    )
    if account is None or account.disabled:
        pending.revoked_at = now
        return SignInOutcome(SignInStatus.START_AGAIN)
    waiting = _waiting(session, account, now)
    if waiting is not None:
        return waiting
    if not second_factor.accept_code(account, keyring, code.strip().replace(" ", ""), now):
        outcome = _failed(session, policy, account, now, FailureReason.WRONG_CODE)
        if outcome.status is SignInStatus.WAIT:
            pending.revoked_at = now
        return outcome
    pending.revoked_at = now
    return _signed_in(session, policy, account, now, with_code=True)


def sign_out(session: Session, clock: Clock, principal: StaffPrincipal) -> None:
    """End the principal's own session."""
    now = clock.now()
    session.execute(
        sa.update(StaffSession)
        .where(StaffSession.id == principal.session_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    append(session, AccessEvent.SIGNED_OUT, actor=principal.actor, time=now)


def sign_out_everywhere(session: Session, clock: Clock, principal: StaffPrincipal) -> int:
    """End every session of the principal's account (this one too); returns how many."""
    revoked = revoke_sessions(session, clock, principal.account_id)
    append(
        session,
        AccessEvent.SIGNED_OUT_EVERYWHERE,
        actor=principal.actor,
        time=clock.now(),
        sessions_revoked=revoked,
    )
    return revoked


def delete_ended_sessions(
    session: Session, clock: Clock, *, older_than: timedelta = timedelta(days=1)
) -> int:
    """Delete session rows that ended (revoked or expired) more than `older_than` ago; for a
    `haven worker` job. Their tokens already sign nobody in; the log keeps the sign-ins."""
    cutoff = clock.now() - older_than
    result = session.execute(
        sa.delete(StaffSession)
        .where(
            sa.or_(StaffSession.revoked_at < cutoff, StaffSession.expires_at < cutoff),
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- helpers --------------------------------------------------------------------------------


def _needs_code(session: Session, account: StaffAccount) -> bool:
    # Optional for clerks and managers: once they have enrolled, their code is asked for too.
    if second_factor.is_enrolled(account):
        return True
    return bool(set(offices_by_role(session, account.id)) & SECOND_FACTOR_ROLES)


def _waiting(session: Session, account: StaffAccount, now: datetime) -> SignInOutcome | None:
    if account.locked_until is None or now >= account.locked_until:
        return None
    _record_failure(session, account, now, FailureReason.WAITING)
    return SignInOutcome(SignInStatus.WAIT, retry_at=account.locked_until)


def _failed(
    session: Session,
    policy: AccessPolicy,
    account: StaffAccount,
    now: datetime,
    reason: FailureReason,
) -> SignInOutcome:
    account.failed_attempts += 1
    wait = policy.wait_after(account.failed_attempts)
    account.locked_until = now + wait if wait else None
    _record_failure(session, account, now, reason)
    if account.failed_attempts >= policy.lockout_attempts and account.locked_until is not None:
        append(
            session,
            AccessEvent.LOCKED_OUT,
            actor=account.actor,
            time=now,
            failed_attempts=account.failed_attempts,
            locked_until=format_time(account.locked_until),
        )
    if account.locked_until is not None:
        return SignInOutcome(SignInStatus.WAIT, retry_at=account.locked_until, reason=reason)
    return SignInOutcome(SignInStatus.REFUSED, reason=reason)


def _record_failure(
    session: Session, account: StaffAccount, now: datetime, reason: FailureReason
) -> None:
    append(
        session,
        AccessEvent.SIGN_IN_FAILED,
        actor=account.actor,
        time=now,
        reason=str(reason),
        failed_attempts=account.failed_attempts,
    )


def _signed_in(
    session: Session, policy: AccessPolicy, account: StaffAccount, now: datetime, *, with_code: bool
) -> SignInOutcome:
    account.failed_attempts = 0
    account.locked_until = None
    token = _open_session(session, account, now, policy, pending=False)
    append(session, AccessEvent.SIGNED_IN, actor=account.actor, time=now, second_factor=with_code)
    return SignInOutcome(SignInStatus.SIGNED_IN, token=token)


def _open_session(
    session: Session, account: StaffAccount, now: datetime, policy: AccessPolicy, *, pending: bool
) -> str:
    token = new_token()
    lifetime = policy.second_factor_window if pending else policy.absolute
    session.add(
        StaffSession(
            account_id=account.id,
            token_hash=token_hash(token),
            second_factor_pending=pending,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return token


def _pending_session(session: Session, token: str | None, now: datetime) -> StaffSession | None:
    if token is None or not plausible_token(token):
        return None
    pending = session.scalar(
        sa.select(StaffSession).where(
            StaffSession.token_hash == token_hash(token),
            StaffSession.second_factor_pending.is_(True),
            StaffSession.revoked_at.is_(None),
        )
    )
    if pending is None or now >= pending.expires_at:
        return None
    return pending
