"""argon2id password hashes, and the rules a new password must meet.

The cost comes from Settings; outside dev_mode a cost below OWASP's floor (19 MiB of memory, two
passes) is refused, so a test-speed setting can never reach production. Verifying a username
nobody has still costs one hash, so timing does not tell which usernames exist.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from haven.access.errors import InvalidAccount
from haven.config import Settings

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
FLOOR_MEMORY_KIB = 19_456
FLOOR_TIME_COST = 2


@dataclass(frozen=True)
class PasswordCost:
    memory_kib: int
    time_cost: int
    parallelism: int

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordCost:
        cost = cls(
            memory_kib=settings.staff_password_memory_kib,
            time_cost=settings.staff_password_time_cost,
            parallelism=settings.staff_password_parallelism,
        )
        too_cheap = cost.memory_kib < FLOOR_MEMORY_KIB or cost.time_cost < FLOOR_TIME_COST
        if too_cheap and not settings.dev_mode:
            raise ValueError(
                "HAVEN_STAFF_PASSWORD_MEMORY_KIB/TIME_COST are below the floor "
                f"({FLOOR_MEMORY_KIB} KiB, {FLOOR_TIME_COST} passes) outside dev mode"
            )
        return cost


@functools.cache
def _hasher(cost: PasswordCost) -> PasswordHasher:
    return PasswordHasher(
        time_cost=cost.time_cost,
        memory_cost=cost.memory_kib,
        parallelism=cost.parallelism,
        type=Type.ID,
    )


def check_new_password(password: str, *, field: str = "password") -> None:
    """Refuse a password too short or too long to be a good one (InvalidAccount, 422)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidAccount(
            f"the password needs at least {MIN_PASSWORD_LENGTH} characters", field=field
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidAccount(
            f"the password may have at most {MAX_PASSWORD_LENGTH} characters", field=field
        )


def hash_password(cost: PasswordCost, password: str) -> str:
    """An argon2id hash of a password that passed check_new_password."""
    check_new_password(password)
    return _hasher(cost).hash(password)


def verify_password(cost: PasswordCost, password_hash: str, password: str) -> bool:
    """Whether the password matches; a malformed stored hash matches nothing."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _hasher(cost).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(cost: PasswordCost, password_hash: str) -> bool:
    """Whether a hash was made with another cost than today's, so sign-in should renew it."""
    try:
        return _hasher(cost).check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def spend_one_verification(cost: PasswordCost) -> None:
    """Cost what a real verification costs, for a username nobody has."""
    verify_password(cost, _dummy_hash(cost), "not-a-password-anyone-has")


@functools.cache
def _dummy_hash(cost: PasswordCost) -> str:
    return _hasher(cost).hash("a-password-nobody-will-ever-send")
