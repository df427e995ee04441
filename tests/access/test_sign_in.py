"""Sign-in actions on both databases: the back-off schedule, the TOTP window and replay, the
pending step's expiry, disabled accounts mid-step, and password hashes renewed at sign-in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from haven.access import second_factor, service
from haven.access.models import Role, StaffAccount
from haven.access.passwords import PasswordCost
from haven.access.sessions import AccessPolicy
from haven.access.sign_in import (
    SignInOutcome,
    SignInStatus,
    delete_ended_sessions,
    sign_in,
    verify_code,
)
from haven.clock import ManualClock
from haven.config import Settings
from haven.db import unit_of_work
from haven.vault.keys import Keyring
from haven.worker import Worker, WorkerContext
from tests.access.support import Staff, add_staff, grant, ledger_entries


def test_the_back_off_doubles_after_the_free_attempts_and_ends_in_the_lockout(
    policy: AccessPolicy,
) -> None:
    waits = [policy.wait_after(n).total_seconds() for n in range(0, 12)]
    assert waits == [0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 1800, 1800]


def test_settings_refuse_a_lockout_no_later_than_the_free_attempts() -> None:
    settings = Settings(dev_mode=True, staff_free_attempts=5, staff_lockout_attempts=5)
    with pytest.raises(ValueError, match="LOCKOUT_ATTEMPTS"):
        AccessPolicy.from_settings(settings)


def test_a_cheap_password_cost_is_refused_outside_dev_mode() -> None:
    with pytest.raises(ValueError, match="below the floor"):
        PasswordCost.from_settings(Settings(staff_password_memory_kib=64))
    assert PasswordCost.from_settings(Settings(dev_mode=True, staff_password_memory_kib=64))


def test_the_cookie_is_secure_unless_dev_mode_or_told_otherwise() -> None:
    assert AccessPolicy.from_settings(Settings()).cookie_name == "__Host-haven_staff"
    assert AccessPolicy.from_settings(Settings(dev_mode=True)).cookie_name == "haven_staff"
    told = Settings(dev_mode=True, staff_cookie_secure=True)
    assert AccessPolicy.from_settings(told).cookie_secure


def _password_step(
    sessions: sessionmaker[Session], clock: ManualClock, policy: AccessPolicy, staff: Staff
) -> SignInOutcome:
    with unit_of_work(sessions) as session:
        return sign_in(session, clock, policy, username=staff.username, password=staff.password)


def _code_step(
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
    pending: SignInOutcome,
    code: str,
) -> SignInOutcome:
    with unit_of_work(sessions) as session:
        return verify_code(session, clock, keyring, policy, pending_token=pending.token, code=code)


@pytest.fixture
def auditor(
    sessions: sessionmaker[Session], clock: ManualClock, keyring: Keyring, policy: AccessPolicy
) -> Staff:
    return add_staff(sessions, clock, keyring, policy, "audrey", grant(Role.AUDITOR))


def test_a_code_from_the_step_before_counts_and_one_from_two_steps_ago_does_not(
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
    auditor: Staff,
) -> None:
    assert auditor.enrolment is not None
    pending = _password_step(sessions, clock, policy, auditor)
    assert pending.status is SignInStatus.CODE_NEEDED
    stale = second_factor.code_at(auditor.enrolment.secret, clock.now() - timedelta(seconds=60))
    assert _code_step(sessions, clock, keyring, policy, pending, stale).status is (
        SignInStatus.REFUSED
    )
    late = second_factor.code_at(auditor.enrolment.secret, clock.now() - timedelta(seconds=30))
    outcome = _code_step(sessions, clock, keyring, policy, pending, late)
    assert outcome.status is SignInStatus.SIGNED_IN
    # The pending token is spent; it cannot be used for a second session.
    again = _code_step(sessions, clock, keyring, policy, pending, "123456")
    assert again.status is SignInStatus.START_AGAIN


def test_the_code_step_expires_after_five_minutes(
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
    auditor: Staff,
) -> None:
    assert auditor.enrolment is not None
    pending = _password_step(sessions, clock, policy, auditor)
    clock.advance(policy.second_factor_window)
    code = second_factor.code_at(auditor.enrolment.secret, clock.now())
    outcome = _code_step(sessions, clock, keyring, policy, pending, code)
    assert outcome.status is SignInStatus.START_AGAIN
    assert ledger_entries(sessions, "access:session:signed_in") == []


def test_an_account_disabled_between_the_steps_cannot_finish(
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
    auditor: Staff,
) -> None:
    assert auditor.enrolment is not None
    pending = _password_step(sessions, clock, policy, auditor)
    with unit_of_work(sessions) as session:
        service.disable_account(session, clock, actor="system", account_id=auditor.account_id)
    code = second_factor.code_at(auditor.enrolment.secret, clock.now())
    outcome = _code_step(sessions, clock, keyring, policy, pending, code)
    assert outcome.status is SignInStatus.START_AGAIN


def test_wrong_codes_count_toward_the_lockout_like_wrong_passwords(
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
    auditor: Staff,
) -> None:
    statuses = []
    for _ in range(policy.lockout_attempts):
        clock.advance(timedelta(minutes=2))
        pending = _password_step(sessions, clock, policy, auditor)
        statuses.append(_code_step(sessions, clock, keyring, policy, pending, "000000").status)
    assert statuses[-1] is SignInStatus.WAIT
    assert len(ledger_entries(sessions, "access:account:locked_out")) == 1
    refused = _password_step(sessions, clock, policy, auditor)
    assert refused.status is SignInStatus.WAIT
    with unit_of_work(sessions) as session:
        service.unlock_account(session, clock, actor="system", account_id=auditor.account_id)
    assert _password_step(sessions, clock, policy, auditor).status is SignInStatus.CODE_NEEDED


def test_a_role_that_needs_a_code_without_one_is_refused_plainly(
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
    auditor: Staff,
) -> None:
    with unit_of_work(sessions) as session:
        account = session.get_one(StaffAccount, auditor.account_id)
        account.totp_secret_sealed = None
        account.totp_kek_id = None
    outcome = _password_step(sessions, clock, policy, auditor)
    assert outcome.status is SignInStatus.REFUSED
    assert ledger_entries(sessions, "access:session:sign_in_failed")[-1]["reason"] == (
        "no_second_factor"
    )


def test_a_hash_made_at_another_cost_is_renewed_at_sign_in(
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
    settings: Settings,
) -> None:
    staff = add_staff(sessions, clock, keyring, policy, "audrey", grant(Role.AUDITOR))
    with unit_of_work(sessions) as session:
        old_hash = session.get_one(StaffAccount, staff.account_id).password_hash
    stronger = AccessPolicy.from_settings(
        settings.model_copy(update={"staff_password_time_cost": 2})
    )
    _password_step(sessions, clock, stronger, staff)
    with unit_of_work(sessions) as session:
        new_hash = session.get_one(StaffAccount, staff.account_id).password_hash
    assert new_hash != old_hash
    assert ",t=2," in new_hash
    assert _password_step(sessions, clock, stronger, staff).status is SignInStatus.CODE_NEEDED


def test_ended_sessions_are_deleted_a_day_after_they_end(
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
) -> None:
    staff = add_staff(sessions, clock, keyring, policy, "cleo", grant(Role.AUDITOR))
    assert staff.enrolment is not None
    _password_step(sessions, clock, policy, staff)  # a code step left half-done
    clock.advance(timedelta(seconds=30))
    pending = _password_step(sessions, clock, policy, staff)
    code = second_factor.code_at(staff.enrolment.secret, clock.now())
    assert _code_step(sessions, clock, keyring, policy, pending, code).token is not None
    with unit_of_work(sessions) as session:
        assert delete_ended_sessions(session, clock) == 0
    clock.advance(timedelta(days=1, minutes=10))
    with unit_of_work(sessions) as session:
        # The abandoned step expired and the finished one was spent; the live one stays.
        assert delete_ended_sessions(session, clock) == 2
    clock.advance(policy.absolute)
    with unit_of_work(sessions) as session:
        assert delete_ended_sessions(session, clock) == 1


def test_haven_worker_deletes_ended_sessions_hourly(
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
    settings: Settings,
) -> None:
    staff = add_staff(sessions, clock, keyring, policy, "wren", grant(Role.AUDITOR))
    assert staff.enrolment is not None
    _password_step(sessions, clock, policy, staff)  # abandoned: expires unfinished
    worker = Worker(WorkerContext(settings, clock, sessions, keyring))
    assert worker.run_round()["staff_sessions"] == 0
    clock.advance(timedelta(days=1, minutes=10))
    assert worker.run_round()["staff_sessions"] == 1
    _password_step(sessions, clock, policy, staff)
    clock.advance(timedelta(days=1, minutes=10))
    assert worker.run_round()["staff_sessions"] == 1
    assert "staff_sessions" not in worker.run_round()  # due again only after an hour
