"""TOTP second factor (RFC 6238, 30-second steps, 6 digits) with secrets wrapped by the KEK.

A secret is made once, shown once (as an otpauth:// URI for an authenticator app, and as
base32 for typing in), and stored only wrapped by the vault's key-encryption key. A code is
accepted for the current step or one step either side (clock drift), and never for a step at or
before the last one accepted, so an overheard code cannot be replayed.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

import pyotp
import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.access.models import StaffAccount
from haven.vault.keys import Keyring

STEP_SECONDS = 30
DIGITS = 6
ISSUER = "Haven"
# Steps either side of now that still count, for phones whose clocks are a little off.
DRIFT_STEPS = 1


@dataclass(frozen=True)
class Enrolment:
    """A new TOTP secret, to be shown once to the member of staff it belongs to."""

    secret: str
    uri: str


def enrol(account: StaffAccount, keyring: Keyring) -> Enrolment:
    """Give the account a new TOTP secret (replacing any old one) and return it to show once."""
    secret = pyotp.random_base32()
    account.totp_secret_sealed = keyring.wrap(secret.encode())
    account.totp_kek_id = keyring.current_kek_id
    account.totp_last_step = None
    uri = pyotp.TOTP(secret).provisioning_uri(name=account.username, issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri)


def is_enrolled(account: StaffAccount) -> bool:
    return account.totp_secret_sealed is not None and account.totp_kek_id is not None


def code_at(secret: str, instant: datetime) -> str:
    """The code an authenticator shows at this instant (for the demo and tests)."""
    return pyotp.TOTP(secret).generate_otp(_step(instant))


def accept_code(account: StaffAccount, keyring: Keyring, code: str, now: datetime) -> bool:
    """Whether the code is right for now and new; on success, remembers its step."""
    secret = unwrapped_secret(account, keyring)
    if secret is None or len(code) != DIGITS or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret.decode())
    current = _step(now)
    last = account.totp_last_step if account.totp_last_step is not None else -1
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step > last and hmac.compare_digest(totp.generate_otp(step), code):
            account.totp_last_step = step
            return True
    return False


def rewrap_secrets(session: Session, keyring: Keyring) -> int:
    """Rewrap every TOTP secret not yet under the current KEK (for `haven keys rotate`)."""
    accounts = session.scalars(
        sa.select(StaffAccount).where(
            StaffAccount.totp_kek_id.is_not(None),
            StaffAccount.totp_kek_id != keyring.current_kek_id,
        )
    ).all()
    for account in accounts:
        secret = unwrapped_secret(account, keyring)
        if secret is None:
            continue
        account.totp_secret_sealed = keyring.wrap(secret)
        account.totp_kek_id = keyring.current_kek_id
    return len(accounts)


def unwrapped_secret(account: StaffAccount, keyring: Keyring) -> bytes | None:
    """The account's TOTP secret in the clear (to check a code, rewrap it, or show the demo's)."""
    if account.totp_secret_sealed is None or account.totp_kek_id is None:
        return None
    return keyring.unwrap(account.totp_secret_sealed, account.totp_kek_id)


def _step(instant: datetime) -> int:
    return int(instant.timestamp()) // STEP_SECONDS
