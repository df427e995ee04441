"""Account actions on both databases: roles and their shapes, validation, disabling, the
TOTP secret stored only wrapped, and one ledger entry per change naming ids, never names."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.access import second_factor, service, sign_in
from haven.access.errors import (
    AccountNotFound,
    InvalidAccount,
    SelfChangeRefused,
    UsernameTaken,
)
from haven.access.models import Role, RoleAssignment, StaffAccount, StaffSession
from haven.access.sessions import AccessPolicy
from haven.clock import ManualClock
from haven.db import unit_of_work
from haven.vault.keys import Keyring, load_keyring
from tests import factories
from tests.access.support import PASSWORD, add_staff, grant, ledger_entries
from tests.access.test_reads import _refuse_ledger_writes as refuse_ledger_writes


@pytest.fixture
def office_ids(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with unit_of_work(sessions) as session:
        first = factories.office(session, slug="downtown").id
        second = factories.office(session, slug="uptown").id
    return first, second


def test_create_account_stores_roles_hash_and_wrapped_secret_and_records_it(
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
    office_ids: tuple[int, int],
) -> None:
    downtown, _ = office_ids
    staff = add_staff(
        sessions,
        clock,
        keyring,
        policy,
        "Ada.Admin",
        grant(Role.ADMIN),
        grant(Role.MANAGER, downtown),
    )
    assert staff.enrolment is not None
    with unit_of_work(sessions) as session:
        account = session.get_one(StaffAccount, staff.account_id)
        assert account.username == "ada.admin"
        assert account.password_hash.startswith("$argon2id$")
        assert PASSWORD not in account.password_hash
        assert account.totp_secret_sealed is not None
        assert staff.enrolment.secret.encode() not in account.totp_secret_sealed
        assert account.totp_kek_id == keyring.current_kek_id
        grants = session.execute(
            sa.select(RoleAssignment.role, RoleAssignment.office_id).where(
                RoleAssignment.account_id == staff.account_id
            )
        ).all()
    assert sorted(grants, key=str) == sorted([("admin", None), ("manager", downtown)], key=str)
    assert staff.enrolment.uri.startswith("otpauth://totp/Haven:ada.admin?secret=")
    [entry] = ledger_entries(sessions, "access:account:created")
    assert entry["actor"] == "system"
    assert entry["refs"] == [staff.actor]
    assert entry["second_factor"] is True
    assert entry["roles"] == [
        {"role": "admin", "office": None},
        {"role": "manager", "office": downtown},
    ]
    assert "ada" not in str(entry).lower()


def test_clerks_get_no_secret_unless_asked_for(
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
    office_ids: tuple[int, int],
) -> None:
    plain = add_staff(sessions, clock, keyring, policy, "cleo", grant(Role.CLERK, office_ids[0]))
    asked = add_staff(
        sessions,
        clock,
        keyring,
        policy,
        "carl",
        grant(Role.CLERK, office_ids[0]),
        with_second_factor=True,
    )
    assert plain.enrolment is None
    assert asked.enrolment is not None


@pytest.mark.parametrize(
    ("username", "display_name", "password", "grants", "field"),
    [
        ("x", "Name", PASSWORD, [(Role.AUDITOR, None)], "username"),
        ("bad name", "Name", PASSWORD, [(Role.AUDITOR, None)], "username"),
        ("okname", "  ", PASSWORD, [(Role.AUDITOR, None)], "display_name"),
        ("okname", "Bell\x07", PASSWORD, [(Role.AUDITOR, None)], "display_name"),
        ("okname", "Name", "short", [(Role.AUDITOR, None)], "password"),
        ("okname", "Name", PASSWORD, [], "roles"),
        ("okname", "Name", PASSWORD, [(Role.CLERK, None)], "roles"),
        ("okname", "Name", PASSWORD, [(Role.AUDITOR, 1)], "roles"),
        ("okname", "Name", PASSWORD, [(Role.CLERK, 1), (Role.CLERK, None)], "roles"),
        ("okname", "Name", PASSWORD, [(Role.MANAGER, 999_999)], "roles"),
    ],
)
def test_bad_account_fields_are_refused_naming_the_field(
    session: Session,
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
    office_ids: tuple[int, int],
    username: str,
    display_name: str,
    password: str,
    grants: list[tuple[Role, int | None]],
    field: str,
) -> None:
    with pytest.raises(InvalidAccount) as refused:
        service.create_account(
            session,
            clock,
            keyring,
            policy.password_cost,
            actor="system",
            username=username,
            display_name=display_name,
            password=password,
            grants=[grant(role, office) for role, office in grants],
        )
    assert refused.value.field == field
    assert refused.value.status_code == 422


def test_a_username_is_taken_whatever_its_case(
    sessions: sessionmaker[Session], clock: ManualClock, keyring: Keyring, policy: AccessPolicy
) -> None:
    add_staff(sessions, clock, keyring, policy, "audrey", grant(Role.AUDITOR))
    with pytest.raises(UsernameTaken):
        add_staff(sessions, clock, keyring, policy, "AUDREY", grant(Role.AUDITOR))


def test_the_database_refuses_an_office_role_without_an_office(
    sessions: sessionmaker[Session], clock: ManualClock, keyring: Keyring, policy: AccessPolicy
) -> None:
    staff = add_staff(sessions, clock, keyring, policy, "audrey", grant(Role.AUDITOR))
    with pytest.raises(sa.exc.IntegrityError):
        _insert_assignment(sessions, staff.account_id, "clerk")
    with pytest.raises(sa.exc.IntegrityError):
        _insert_assignment(sessions, staff.account_id, "wizard")


def _insert_assignment(sessions: sessionmaker[Session], account_id: int, role: str) -> None:
    with unit_of_work(sessions) as session:
        session.add(RoleAssignment(account_id=account_id, role=role, office_id=None))


def test_set_roles_replaces_them_records_before_and_after_and_enrols_when_needed(
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
    office_ids: tuple[int, int],
) -> None:
    downtown, uptown = office_ids
    admin = add_staff(sessions, clock, keyring, policy, "ada", grant(Role.ADMIN))
    clerk = add_staff(sessions, clock, keyring, policy, "cleo", grant(Role.CLERK, downtown))
    with unit_of_work(sessions) as session:
        outcome = sign_in.sign_in(session, clock, policy, username="cleo", password=PASSWORD)
    assert outcome.status is sign_in.SignInStatus.SIGNED_IN
    with unit_of_work(sessions) as session:
        enrolment = service.set_roles(
            session,
            clock,
            keyring,
            actor=admin.actor,
            account_id=clerk.account_id,
            grants=[grant(Role.CLERK, uptown), grant(Role.PRIVACY_OFFICER)],
        )
    assert enrolment is not None
    with unit_of_work(sessions) as session:
        open_sessions = session.scalars(
            sa.select(StaffSession).where(
                StaffSession.account_id == clerk.account_id, StaffSession.revoked_at.is_(None)
            )
        ).all()
        summary = service.account_summary(session, clock, clerk.account_id)
    assert open_sessions == []  # the new role needs a code these sessions never gave
    assert summary.grants == (grant(Role.CLERK, uptown), grant(Role.PRIVACY_OFFICER))
    [entry] = ledger_entries(sessions, "access:account:roles_changed")
    assert entry["actor"] == admin.actor
    assert entry["refs"] == [clerk.actor]
    assert entry["roles_before"] == [{"role": "clerk", "office": downtown}]
    assert {"role": "privacy_officer", "office": None} in entry["roles"]


def test_admins_cannot_change_or_disable_themselves(
    sessions: sessionmaker[Session], clock: ManualClock, keyring: Keyring, policy: AccessPolicy
) -> None:
    admin = add_staff(sessions, clock, keyring, policy, "ada", grant(Role.ADMIN))
    with pytest.raises(SelfChangeRefused), unit_of_work(sessions) as session:
        service.disable_account(session, clock, actor=admin.actor, account_id=admin.account_id)
    with pytest.raises(SelfChangeRefused), unit_of_work(sessions) as session:
        service.set_roles(
            session,
            clock,
            keyring,
            actor=admin.actor,
            account_id=admin.account_id,
            grants=[grant(Role.AUDITOR)],
        )
    with pytest.raises(SelfChangeRefused), unit_of_work(sessions) as session:
        service.reset_second_factor(
            session, clock, keyring, actor=admin.actor, account_id=admin.account_id
        )
    assert ledger_entries(sessions, "access:account:disabled") == []


def test_disabling_ends_every_session_and_refuses_sign_in(
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
    office_ids: tuple[int, int],
) -> None:
    clerk = add_staff(sessions, clock, keyring, policy, "cleo", grant(Role.CLERK, office_ids[0]))
    for _ in range(2):
        with unit_of_work(sessions) as session:
            sign_in.sign_in(session, clock, policy, username="cleo", password=PASSWORD)
    with unit_of_work(sessions) as session:
        revoked = service.disable_account(
            session, clock, actor="system", account_id=clerk.account_id
        )
    assert revoked == 2
    with unit_of_work(sessions) as session:
        outcome = sign_in.sign_in(session, clock, policy, username="cleo", password=PASSWORD)
    assert outcome.status is sign_in.SignInStatus.REFUSED
    [disabled] = ledger_entries(sessions, "access:account:disabled")
    assert disabled["sessions_revoked"] == 2
    assert ledger_entries(sessions, "access:session:sign_in_failed")[-1]["reason"] == "disabled"


def test_unknown_accounts_are_not_found(session: Session, clock: ManualClock) -> None:
    with pytest.raises(AccountNotFound):
        service.disable_account(session, clock, actor="system", account_id=424242)


def test_rewrap_moves_totp_secrets_to_a_new_kek(
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    policy: AccessPolicy,
) -> None:
    staff = add_staff(sessions, clock, keyring, policy, "audrey", grant(Role.AUDITOR))
    assert staff.enrolment is not None
    new_kek = load_keyring_with_new_kek(keyring)
    with unit_of_work(sessions) as session:
        assert second_factor.rewrap_secrets(session, new_kek) == 1
        assert second_factor.rewrap_secrets(session, new_kek) == 0
    with unit_of_work(sessions) as session:
        account = session.get_one(StaffAccount, staff.account_id)
        assert account.totp_kek_id == new_kek.current_kek_id
        code = second_factor.code_at(staff.enrolment.secret, clock.now())
        assert second_factor.accept_code(account, new_kek, code, clock.now())


def load_keyring_with_new_kek(old: Keyring) -> Keyring:
    import secrets

    from haven.vault.keys import key_id

    return Keyring(
        current_kek=secrets.token_bytes(32),
        blind_index_key=old.blind_index_key,
        older_keks={key_id(old.current_kek): old.current_kek},
    )


_ = load_keyring  # the fixture's builder, named here so readers find where keyrings come from


def test_an_account_change_whose_log_entry_fails_is_not_made(
    sessions: sessionmaker[Session], clock: ManualClock, keyring: Keyring, policy: AccessPolicy
) -> None:
    staff = add_staff(sessions, clock, keyring, policy, "audrey", grant(Role.AUDITOR))
    with unit_of_work(sessions) as session:
        refuse_ledger_writes(session)
    with pytest.raises(sa.exc.DBAPIError, match="ledger closed"):
        add_staff(sessions, clock, keyring, policy, "pat", grant(Role.PRIVACY_OFFICER))
    with pytest.raises(sa.exc.DBAPIError, match="ledger closed"):
        _disable(sessions, clock, staff.account_id)
    with unit_of_work(sessions) as session:
        usernames = session.scalars(sa.select(StaffAccount.username)).all()
        disabled = session.get_one(StaffAccount, staff.account_id).disabled
    assert (usernames, disabled) == (["audrey"], False)


def _disable(sessions: sessionmaker[Session], clock: ManualClock, account_id: int) -> None:
    with unit_of_work(sessions) as session:
        service.disable_account(session, clock, actor="system", account_id=account_id)
