"""Policy versions and the only way to change what the gateway allows.

propose → sign (a privacy officer and counsel, two distinct accounts, each with a TOTP code) →
published at the second signature, starting the notice period → activate once it has ended.
Each step is an action writing its rows and its ledger entry in the caller's transaction. There
is no setting, flag or page that changes the active pack.

Bootstrap: a fresh install has no version. The first use (an evaluation, `haven db upgrade`,
`haven policy ...`) installs the pack bundled with this release as version 1, with a
``disclosure:policy:installed`` ledger entry carrying its hash. That pack is reviewed with the
code it ships in, and anyone can recompute its hash from the source (`haven policy show
--bundled`); it is installed only where no version has ever existed, so it can never replace one.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from haven import __version__
from haven.access import second_factor
from haven.access.models import Role, RoleAssignment, StaffAccount
from haven.clock import Clock
from haven.disclosure.policy.errors import (
    ActivationRefused,
    NoActivePolicy,
    PackInvalid,
    SignatureRefused,
    VersionNotFound,
)
from haven.disclosure.policy.events import PolicyEvent
from haven.disclosure.policy.models import (
    PolicySignature,
    PolicyVersion,
    SignerRole,
    VersionStatus,
)
from haven.disclosure.policy.pack import (
    bundled_files,
    canonical_files_json,
    compile_pack,
    files_from_json,
    pack_hash,
)
from haven.ledger.store import append
from haven.vault.keys import Keyring

SYSTEM_ACTOR = "system"
BUNDLED_VERSION = 1
# Built once: every decision reads it.
_ACTIVE_REF = sa.select(PolicyVersion.id, PolicyVersion.sha256).where(
    PolicyVersion.status == str(VersionStatus.ACTIVE)
)


@dataclass(frozen=True)
class VersionRef:
    """The active version's number and hash: what every decision carries."""

    id: int
    sha256: str


def active_version_ref(session: Session, *, now: datetime) -> VersionRef:
    """The active version (installing the bundled pack on a fresh install); fails closed."""
    row = session.connection().execute(_ACTIVE_REF).first()
    if row is None:
        installed = install_bundled_pack(session, now=now)
        if installed is not None:
            return VersionRef(installed.id, installed.sha256)
        # Another transaction installed it meanwhile (or versions exist but none is active).
        row = session.connection().execute(_ACTIVE_REF).first()
        if row is None:
            raise NoActivePolicy("no policy version is active; nothing can be disclosed")
    return VersionRef(row.id, row.sha256)


def version_files(session: Session, ref: VersionRef) -> dict[str, str]:
    """A version's files, refusing them if they no longer hash to the recorded hash."""
    text = session.scalar(sa.select(PolicyVersion.files_json).where(PolicyVersion.id == ref.id))
    if text is None:
        raise VersionNotFound(f"Policy version {ref.id} does not exist", field="version")
    files = files_from_json(text)
    if pack_hash(files) != ref.sha256:
        raise NoActivePolicy(f"policy version {ref.id}'s text does not match its hash")
    return files


def install_bundled_pack(session: Session, *, now: datetime) -> PolicyVersion | None:
    """On a fresh install, make the bundled pack version 1 and active; otherwise do nothing."""
    if session.scalar(sa.select(sa.func.count()).select_from(PolicyVersion)):
        return None
    files = bundled_files()
    compiled = compile_pack(files)
    version = PolicyVersion(
        id=BUNDLED_VERSION,
        sha256=compiled.sha256,
        files_json=canonical_files_json(files),
        status=VersionStatus.ACTIVE,
        proposed_by=SYSTEM_ACTOR,
        proposed_at=now,
        published_at=now,
        notice_ends_at=now,
        activated_at=now,
        activated_by=SYSTEM_ACTOR,
    )
    try:
        # Two first uses at once: the second waits on the primary key, then finds it taken.
        with session.begin_nested():
            session.add(version)
            session.flush()
    except IntegrityError:
        return None
    append(
        session,
        PolicyEvent.INSTALLED,
        actor=SYSTEM_ACTOR,
        time=now,
        purpose="install the policy pack bundled with this release",
        refs=[_ref(version.id)],
        version=version.id,
        sha256=version.sha256,
        source="bundled",
        haven_version=__version__,
    )
    return version


def propose_version(
    session: Session, clock: Clock, files: dict[str, str], *, actor: str = SYSTEM_ACTOR
) -> PolicyVersion:
    """Record a new version (checked completely first); it does nothing until signed,
    published, past its notice period and activated."""
    now = clock.now()
    install_bundled_pack(session, now=now)
    compiled = compile_pack(files)
    pending = session.scalar(
        sa.select(PolicyVersion.id).where(
            PolicyVersion.sha256 == compiled.sha256,
            PolicyVersion.status.in_(
                [VersionStatus.PROPOSED, VersionStatus.PUBLISHED, VersionStatus.ACTIVE]
            ),
        )
    )
    if pending is not None:
        raise PackInvalid(
            f"this pack is already version {pending}, proposed or in force", field="files"
        )
    number = (session.scalar(sa.select(sa.func.max(PolicyVersion.id))) or 0) + 1
    version = PolicyVersion(
        id=number,
        sha256=compiled.sha256,
        files_json=canonical_files_json(files),
        status=VersionStatus.PROPOSED,
        proposed_by=actor,
        proposed_at=now,
    )
    session.add(version)
    session.flush()
    append(
        session,
        PolicyEvent.PROPOSED,
        actor=actor,
        time=now,
        refs=[_ref(number)],
        version=number,
        sha256=compiled.sha256,
    )
    return version


def sign_version(
    session: Session,
    clock: Clock,
    keyring: Keyring,
    *,
    version_id: int,
    username: str,
    code: str,
    notice_days: int,
    role: SignerRole | None = None,
) -> PolicySignature:
    """One officer signs a proposed version, proving it with a fresh TOTP code. The second
    signature (the other role, another account) publishes it and starts the notice period."""
    now = clock.now()
    version = _version(session, version_id, for_update=True)
    if version.status != VersionStatus.PROPOSED:
        raise SignatureRefused(
            f"version {version_id} is {version.status}; only a proposed version is signed",
            field="version",
        )
    account = session.scalar(
        sa.select(StaffAccount).where(StaffAccount.username == username.strip().lower())
    )
    if account is None or account.disabled:
        raise SignatureRefused("no active staff account has that username", field="as")
    signed_roles = {signature.role for signature in version.signatures}
    if any(signature.account_id == account.id for signature in version.signatures):
        raise SignatureRefused(
            "this account has signed this version already; the other signature must come "
            "from a different person",
            field="as",
        )
    chosen = _signing_role(session, account, signed_roles, role)
    if not second_factor.accept_code(account, keyring, code, now):
        raise SignatureRefused("the TOTP code is wrong or was used already", field="code")
    signature = PolicySignature(
        version_id=version.id,
        account_id=account.id,
        role=chosen,
        signed_at=now,
        sha256=version.sha256,
    )
    session.add(signature)
    version.signatures.append(signature)
    session.flush()
    append(
        session,
        PolicyEvent.SIGNED,
        actor=account.actor,
        time=now,
        refs=[_ref(version.id)],
        version=version.id,
        sha256=version.sha256,
        role=str(chosen),
    )
    if {signature.role for signature in version.signatures} == set(SignerRole):
        _publish(session, version, now, timedelta(days=notice_days))
    return signature


def activate_version(
    session: Session, clock: Clock, *, version_id: int, actor: str = SYSTEM_ACTOR
) -> PolicyVersion:
    """Make a published version the one in force, once both signatures are on it and its
    notice period has ended; the version it replaces is superseded."""
    now = clock.now()
    version = _version(session, version_id, for_update=True)
    reason = activation_obstacle(version, now)
    if reason is not None:
        raise ActivationRefused(reason, field="version")
    previous = session.scalar(
        sa.select(PolicyVersion)
        .where(PolicyVersion.status == VersionStatus.ACTIVE)
        .with_for_update()
    )
    if previous is not None:
        previous.status = VersionStatus.SUPERSEDED
        previous.superseded_at = now
    # Older versions still waiting are withdrawn: none can later roll the policy back to them.
    withdrawn = list(
        session.scalars(
            sa.select(PolicyVersion)
            .where(
                PolicyVersion.id < version.id,
                PolicyVersion.status.in_([VersionStatus.PROPOSED, VersionStatus.PUBLISHED]),
            )
            .with_for_update()
        )
    )
    for older in withdrawn:
        older.status = VersionStatus.SUPERSEDED
        older.superseded_at = now
    version.status = VersionStatus.ACTIVE
    version.activated_at = now
    version.activated_by = actor
    session.flush()
    append(
        session,
        PolicyEvent.ACTIVATED,
        actor=actor,
        time=now,
        refs=[_ref(version.id)] + ([_ref(previous.id)] if previous is not None else []),
        version=version.id,
        sha256=version.sha256,
        previous_version=previous.id if previous is not None else None,
        previous_sha256=previous.sha256 if previous is not None else None,
        withdrawn_versions=[older.id for older in withdrawn],
    )
    return version


def activation_obstacle(version: PolicyVersion, now: datetime) -> str | None:
    """Why this version cannot be activated now, or None if it can."""
    if version.status == VersionStatus.ACTIVE:
        return f"version {version.id} is already active"
    if version.status == VersionStatus.SUPERSEDED:
        return f"version {version.id} was superseded; propose its text again as a new version"
    signatures = [s for s in version.signatures if s.sha256 == version.sha256]
    roles = {signature.role for signature in signatures}
    accounts = {signature.account_id for signature in signatures}
    if roles != set(SignerRole) or len(accounts) < len(SignerRole):
        missing = sorted(set(SignerRole) - roles)
        return (
            f"version {version.id} needs signatures from a privacy officer and counsel "
            f"(missing: {', '.join(missing) or 'a second person'})"
        )
    if version.status != VersionStatus.PUBLISHED or version.notice_ends_at is None:
        return f"version {version.id} has not been published"
    if now < version.notice_ends_at:
        return (
            f"version {version.id}'s notice period runs until "
            f"{version.notice_ends_at.isoformat()}; it cannot take effect before then"
        )
    return None


def record_refused_activation(
    session: Session, clock: Clock, *, version_id: int, reason: str, actor: str = SYSTEM_ACTOR
) -> None:
    """Put a refused activation attempt in the ledger (in its own transaction, by the caller)."""
    append(
        session,
        PolicyEvent.ACTIVATION_REFUSED,
        actor=actor,
        time=clock.now(),
        refs=[_ref(version_id)],
        version=version_id,
        reason=reason,
    )


def get_version(session: Session, version_id: int) -> PolicyVersion:
    """One version with its signatures."""
    return _version(session, version_id)


def active_version(session: Session) -> PolicyVersion | None:
    """The version in force, if any (reads only; never installs)."""
    return session.scalar(
        sa.select(PolicyVersion).where(PolicyVersion.status == VersionStatus.ACTIVE)
    )


def list_versions(session: Session) -> list[PolicyVersion]:
    return list(session.scalars(sa.select(PolicyVersion).order_by(PolicyVersion.id)))


def diff_versions(session: Session, first_id: int, second_id: int) -> str:
    """A unified diff of two versions' files (empty when they are the same)."""
    first = files_from_json(_version(session, first_id).files_json)
    second = files_from_json(_version(session, second_id).files_json)
    lines: list[str] = []
    for name in sorted(set(first) | set(second)):
        lines.extend(
            difflib.unified_diff(
                first.get(name, "").splitlines(keepends=True),
                second.get(name, "").splitlines(keepends=True),
                fromfile=f"v{first_id}/{name}",
                tofile=f"v{second_id}/{name}",
            )
        )
    return "".join(lines)


def _publish(session: Session, version: PolicyVersion, now: datetime, notice: timedelta) -> None:
    version.status = VersionStatus.PUBLISHED
    version.published_at = now
    version.notice_ends_at = now + notice
    session.flush()
    append(
        session,
        PolicyEvent.PUBLISHED,
        actor=SYSTEM_ACTOR,
        time=now,
        refs=[_ref(version.id)],
        version=version.id,
        sha256=version.sha256,
        notice_ends_at=version.notice_ends_at.isoformat(),
    )


def _signing_role(
    session: Session, account: StaffAccount, signed: set[str], wanted: SignerRole | None
) -> SignerRole:
    held = {
        SignerRole(role)
        for role in session.scalars(
            sa.select(RoleAssignment.role).where(
                RoleAssignment.account_id == account.id,
                RoleAssignment.role.in_([Role.PRIVACY_OFFICER, Role.COUNSEL]),
            )
        )
    }
    candidates = ({wanted} & held if wanted is not None else held) - signed
    if not candidates:
        raise SignatureRefused(
            "the account holds no privacy-officer or counsel role still unsigned on this version",
            field="as",
        )
    if len(candidates) > 1:
        raise SignatureRefused("the account holds both roles: say which one signs", field="role")
    return candidates.pop()


def _version(session: Session, version_id: int, *, for_update: bool = False) -> PolicyVersion:
    query = sa.select(PolicyVersion).where(PolicyVersion.id == version_id)
    if for_update:
        query = query.with_for_update()
    version = session.scalar(query)
    if version is None:
        raise VersionNotFound(f"Policy version {version_id} does not exist", field="version")
    return version


def _ref(version_id: int) -> str:
    return f"policy:{version_id}"
