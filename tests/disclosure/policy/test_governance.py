"""Policy governance: the only way to change what the gateway allows, and the scenario's step 4
("someone tries to switch the policy off") — impossible without two distinct signatures, a
published version and its notice period, every step in the ledger."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from haven.access.models import Role
from haven.access.sessions import AccessPolicy
from haven.clock import ManualClock
from haven.db import unit_of_work
from haven.disclosure.policy import Outcome, evaluate, governance
from haven.disclosure.policy.errors import (
    ActivationRefused,
    NoActivePolicy,
    PackInvalid,
    SignatureRefused,
)
from haven.disclosure.policy.examples import COURT_ORDER, LAW_ENFORCEMENT
from haven.disclosure.policy.models import PolicyVersion, SignerRole, VersionStatus
from haven.disclosure.policy.pack import bundled_files, pack_hash
from haven.ledger.models import LogEntry
from haven.vault.keys import Keyring
from tests.access.support import Staff, add_staff, grant
from tests.disclosure.policy.support import Officers, add_officers, code_for, facts

NOTICE_DAYS = 30
BULK = facts(COURT_ORDER, bulk=True, individuals=())
SCHEMA = bundled_files()["schema.cedarschema"]
# What "switching the policy off" means: a pack that permits everything.
ALLOW_EVERYTHING = {
    "schema.cedarschema": SCHEMA,
    "10_allow.cedar": (
        '@id("allow_everything")\n@explanation("Everything is allowed.")\n@source("none")\n'
        "permit (principal, action, resource);\n"
    ),
}


@pytest.fixture
def officers(
    sessions: sessionmaker[Session], clock: ManualClock, keyring: Keyring, policy: AccessPolicy
) -> Officers:
    return add_officers(sessions, clock, keyring, policy)


def policy_entries(sessions: sessionmaker[Session]) -> list[dict[str, Any]]:
    with unit_of_work(sessions) as session:
        rows = session.scalars(sa.select(LogEntry.data).order_by(LogEntry.index)).all()
    entries = [json.loads(data) for data in rows]
    return [entry for entry in entries if entry["kind"].startswith("disclosure:policy:")]


def sign(
    sessions: sessionmaker[Session],
    clock: ManualClock,
    keyring: Keyring,
    version: int,
    staff: Staff,
    *,
    code: str | None = None,
    role: SignerRole | None = None,
) -> None:
    with unit_of_work(sessions) as session:
        governance.sign_version(
            session,
            clock,
            keyring,
            version_id=version,
            username=staff.username,
            code=code if code is not None else code_for(staff, clock.now()),
            notice_days=NOTICE_DAYS,
            role=role,
        )


def activate(sessions: sessionmaker[Session], clock: ManualClock, version: int) -> None:
    with unit_of_work(sessions) as session:
        governance.activate_version(session, clock, version_id=version)


def propose(
    sessions: sessionmaker[Session], clock: ManualClock, files: dict[str, str]
) -> PolicyVersion:
    with unit_of_work(sessions) as session:
        return governance.propose_version(session, clock, files, actor="staff:1")


def outcome_now(sessions: sessionmaker[Session], clock: ManualClock) -> tuple[Outcome, int]:
    with unit_of_work(sessions) as session:
        decision = evaluate(session, BULK, now=clock.now())
    return decision.outcome, decision.policy_version


def test_switching_the_policy_off_needs_two_signatures_publication_and_notice(
    sessions: sessionmaker[Session], clock: ManualClock, keyring: Keyring, officers: Officers
) -> None:
    assert outcome_now(sessions, clock) == (Outcome.DENIED, 1)
    version = propose(sessions, clock, ALLOW_EVERYTHING).id

    with pytest.raises(ActivationRefused, match="needs signatures"):
        activate(sessions, clock, version)
    sign(sessions, clock, keyring, version, officers.privacy_officer)
    with pytest.raises(ActivationRefused, match="missing: counsel"):
        activate(sessions, clock, version)
    clock.advance(timedelta(minutes=1))
    with pytest.raises(SignatureRefused, match="signed this version already"):
        sign(sessions, clock, keyring, version, officers.privacy_officer)
    with pytest.raises(SignatureRefused, match="no privacy-officer or counsel role"):
        sign(sessions, clock, keyring, version, officers.clerk)
    with pytest.raises(SignatureRefused, match="TOTP code"):
        sign(sessions, clock, keyring, version, officers.counsel, code="000000")
    assert outcome_now(sessions, clock) == (Outcome.DENIED, 1)

    sign(sessions, clock, keyring, version, officers.counsel)
    published_at = clock.now()
    with pytest.raises(ActivationRefused, match="notice period"):
        activate(sessions, clock, version)
    clock.advance(timedelta(days=NOTICE_DAYS) - timedelta(seconds=1))
    with pytest.raises(ActivationRefused, match="notice period"):
        activate(sessions, clock, version)
    assert outcome_now(sessions, clock) == (Outcome.DENIED, 1)

    clock.advance(timedelta(seconds=1))
    activate(sessions, clock, version)
    assert outcome_now(sessions, clock) == (Outcome.REVIEW, version)

    entries = policy_entries(sessions)
    assert [(entry["kind"], entry["version"]) for entry in entries] == [
        ("disclosure:policy:installed", 1),
        ("disclosure:policy:proposed", version),
        ("disclosure:policy:signed", version),
        ("disclosure:policy:signed", version),
        ("disclosure:policy:published", version),
        ("disclosure:policy:activated", version),
    ]
    new_hash = pack_hash(ALLOW_EVERYTHING)
    assert all(entry["sha256"] == new_hash for entry in entries[1:])
    assert [entry["role"] for entry in entries[2:4]] == ["privacy_officer", "counsel"]
    assert entries[2]["actor"] == officers.privacy_officer.actor
    assert entries[3]["actor"] == officers.counsel.actor
    notice_ends = published_at + timedelta(days=NOTICE_DAYS)
    assert entries[4]["notice_ends_at"] == notice_ends.isoformat()
    assert entries[5]["previous_version"] == 1
    assert entries[5]["previous_sha256"] == pack_hash(bundled_files())
    with unit_of_work(sessions) as session:
        assert governance.get_version(session, 1).status == VersionStatus.SUPERSEDED


def test_one_person_holding_both_roles_cannot_sign_twice(
    sessions: sessionmaker[Session], clock: ManualClock, keyring: Keyring, policy: AccessPolicy
) -> None:
    both = add_staff(
        sessions, clock, keyring, policy, "bobby", grant(Role.PRIVACY_OFFICER), grant(Role.COUNSEL)
    )
    version = propose(sessions, clock, ALLOW_EVERYTHING).id
    with pytest.raises(SignatureRefused, match="say which one"):
        sign(sessions, clock, keyring, version, both)
    sign(sessions, clock, keyring, version, both, role=SignerRole.PRIVACY_OFFICER)
    clock.advance(timedelta(minutes=1))
    with pytest.raises(SignatureRefused, match="already"):
        sign(sessions, clock, keyring, version, both, role=SignerRole.COUNSEL)
    clock.advance(timedelta(days=NOTICE_DAYS + 1))
    with pytest.raises(ActivationRefused, match="missing: counsel"):
        activate(sessions, clock, version)


def test_the_bundled_pack_is_installed_once_with_its_hash_in_the_ledger(
    sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    assert outcome_now(sessions, clock) == (Outcome.DENIED, 1)
    assert outcome_now(sessions, clock) == (Outcome.DENIED, 1)
    [installed] = policy_entries(sessions)
    assert installed["kind"] == "disclosure:policy:installed"
    assert installed["sha256"] == pack_hash(bundled_files())
    assert installed["actor"] == "system"
    with unit_of_work(sessions) as session:
        assert governance.install_bundled_pack(session, now=clock.now()) is None


def test_a_stored_text_that_no_longer_matches_its_hash_is_refused(
    session: Session, clock: ManualClock
) -> None:
    version = governance.install_bundled_pack(session, now=clock.now())
    assert version is not None
    version.files_json = version.files_json.replace("forbid", "permit")
    session.flush()
    ref = governance.VersionRef(version.id, version.sha256)
    with pytest.raises(NoActivePolicy, match="does not match its hash"):
        governance.version_files(session, ref)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"10_allow.cedar": ALLOW_EVERYTHING["10_allow.cedar"]}, "exactly one .cedarschema"),
        ({"schema.cedarschema": SCHEMA}, "at least one .cedar"),
        (
            {**ALLOW_EVERYTHING, "10_allow.cedar": "permit (principal, action, resource);"},
            "lacks @id",
        ),
        (
            {
                **ALLOW_EVERYTHING,
                "20_more.cedar": (
                    '@id("x")\n@explanation("x")\npermit (principal, action, resource);'
                ),
            },
            "x lacks @source",
        ),
        ({**ALLOW_EVERYTHING, "20_more.cedar": ALLOW_EVERYTHING["10_allow.cedar"]}, "share @id"),
        (
            {
                **ALLOW_EVERYTHING,
                "20_more.cedar": (
                    '@id("y")\n@explanation("y")\n@source("y")\n'
                    "forbid (principal, action, resource) when { context.no_such_fact };"
                ),
            },
            "does not validate",
        ),
        ({**ALLOW_EVERYTHING, "20_broken.cedar": "permit (principal"}, "does not parse"),
        ({**ALLOW_EVERYTHING, "../escape.cedar": "x"}, "must be lower-case"),
    ],
)
def test_a_pack_that_is_not_complete_and_valid_is_never_proposed(
    session: Session, clock: ManualClock, files: dict[str, str], message: str
) -> None:
    with pytest.raises(PackInvalid, match=message):
        governance.propose_version(session, clock, files)


def test_the_text_in_force_cannot_be_proposed_again(session: Session, clock: ManualClock) -> None:
    with pytest.raises(PackInvalid, match="already version 1"):
        governance.propose_version(session, clock, bundled_files())


def test_diff_shows_what_a_version_changes(session: Session, clock: ManualClock) -> None:
    version = governance.propose_version(session, clock, ALLOW_EVERYTHING)
    text = governance.diff_versions(session, 1, version.id)
    assert f"+++ v{version.id}/10_allow.cedar" in text
    assert '-@id("consent")' in text
    assert "+permit (principal, action, resource);" in text
    assert governance.diff_versions(session, 1, 1) == ""


def test_two_first_uses_at_once_install_version_1_once(
    sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    start = threading.Barrier(2)
    versions: list[int] = []

    def first_use() -> None:
        start.wait()
        with unit_of_work(sessions) as session:
            versions.append(evaluate(session, BULK, now=clock.now()).policy_version)

    threads = [threading.Thread(target=first_use) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert versions == [1, 1]
    assert [entry["kind"] for entry in policy_entries(sessions)] == ["disclosure:policy:installed"]


def test_a_rule_that_errors_denies_instead_of_being_skipped(
    sessions: sessionmaker[Session], clock: ManualClock, keyring: Keyring, officers: Officers
) -> None:
    # Cedar skips a policy that errors, so an erroring forbid would let a request through; the
    # engine refuses every element any policy errored on.
    files = bundled_files()
    files["90_overflow.cedar"] = (
        '@id("overflows")\n@explanation("Errors at run time.")\n@source("test")\n'
        "forbid (principal, action, resource)\n"
        "when { context.official_rank + 9223372036854775807 > 0 };\n"
    )
    version = propose(sessions, clock, files).id
    sign(sessions, clock, keyring, version, officers.privacy_officer)
    sign(sessions, clock, keyring, version, officers.counsel)
    clock.advance(timedelta(days=NOTICE_DAYS))
    activate(sessions, clock, version)
    with unit_of_work(sessions) as session:
        decision = evaluate(session, LAW_ENFORCEMENT, now=clock.now())
    assert decision.policy_version == version
    assert decision.outcome is Outcome.DENIED
    assert decision.allowed_elements == frozenset()
    assert "policy_error" in decision.rule_ids


def test_activating_a_version_withdraws_older_ones_still_waiting(
    sessions: sessionmaker[Session], clock: ManualClock, keyring: Keyring, officers: Officers
) -> None:
    # A permissive version signed and published earlier cannot be activated after a newer one.
    permissive = propose(sessions, clock, ALLOW_EVERYTHING).id
    sign(sessions, clock, keyring, permissive, officers.privacy_officer)
    sign(sessions, clock, keyring, permissive, officers.counsel)
    stricter_files = bundled_files()
    stricter_files["90_no_contact.cedar"] = (
        '@id("no_contact")\n@explanation("Contact details are never released.")\n'
        '@source("Haven office policy")\n'
        'forbid (principal, action, resource == Haven::DataElement::"contact");\n'
    )
    clock.advance(timedelta(minutes=1))
    stricter = propose(sessions, clock, stricter_files).id
    sign(sessions, clock, keyring, stricter, officers.privacy_officer)
    sign(sessions, clock, keyring, stricter, officers.counsel)
    clock.advance(timedelta(days=NOTICE_DAYS))
    activate(sessions, clock, stricter)
    with pytest.raises(ActivationRefused, match="superseded"):
        activate(sessions, clock, permissive)
    assert policy_entries(sessions)[-1]["withdrawn_versions"] == [permissive]
