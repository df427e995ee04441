"""What a Haven process builds once from its settings and shares: the one setup object.

The app factory (web/app.py), `haven worker` and every `haven` command build a `Runtime` the
same way, `Runtime.build(settings, clock)`, and close it when done (it is a context manager):

    with Runtime.build() as runtime, unit_of_work(runtime.sessions) as session:
        ...

Settings, clock, engine and sessions exist from the start (an engine connects only when used).
Every other part is built on first use, once, even when two request threads ask at the same
moment: the keyring and the signers create their key files under HAVEN_HOME when absent, and a
command that needs none of them must not create them. The app factory asks for the parts it
serves with at once, so a bad setting stops the start rather than a request.

This module sits above the domains, as web/ and cli/ do: it wires their parts together. No
domain service imports it; routes see it as the request's state (haven.web.deps.StateDep).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, Self, TypeVar, overload

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from haven.access.sessions import AccessPolicy
from haven.clock import Clock, SystemClock
from haven.config import Settings
from haven.db import make_engine, make_sessionmaker
from haven.disclosure.production import load_office_signer
from haven.ledger.note import Signer
from haven.ledger.service import Integrator, build_integrator
from haven.notify.senders import Senders, senders_from_settings
from haven.transparency.one_time import CodeDesk
from haven.transparency.service import ReportCache
from haven.vault.keys import Keyring, load_keyring

T = TypeVar("T")


class _BuiltOnce(Generic[T]):
    """A part of the runtime built on first use and kept; the build runs under the runtime's
    lock, so concurrent first uses build it once."""

    def __init__(self, build: Callable[[Runtime], T]) -> None:
        self._build = build
        self.__doc__ = build.__doc__

    def __set_name__(self, owner: type[Runtime], name: str) -> None:
        self._slot = f"_built_{name}"

    @overload
    def __get__(self, runtime: None, owner: type[Runtime]) -> Self: ...
    @overload
    def __get__(self, runtime: Runtime, owner: type[Runtime]) -> T: ...
    def __get__(self, runtime: Runtime | None, owner: type[Runtime]) -> Self | T:
        if runtime is None:
            return self
        built: dict[str, Any] = runtime.__dict__
        if self._slot not in built:
            with runtime._lock:
                if self._slot not in built:
                    built[self._slot] = self._build(runtime)
        part: T = built[self._slot]
        return part


class Runtime:
    """Settings, clock, database, keys and the process-wide services built from them."""

    def __init__(self, settings: Settings, clock: Clock, engine: Engine) -> None:
        self.settings = settings
        self.clock = clock
        self.engine = engine
        self.sessions: sessionmaker[Session] = make_sessionmaker(engine)
        self._lock = threading.RLock()

    @classmethod
    def build(
        cls,
        settings: Settings | None = None,
        clock: Clock | None = None,
        *,
        database_url: str | None = None,
    ) -> Runtime:
        """The runtime for these settings (default: from HAVEN_* variables) and clock (default:
        the system's); `database_url`, when given, replaces the settings' database."""
        settings = settings or Settings()
        if database_url is not None:
            settings = settings.model_copy(update={"database_url": database_url})
        return cls(settings, clock or SystemClock(), make_engine(settings.resolved_database_url()))

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()

    @_BuiltOnce
    def keyring(self) -> Keyring:
        """The KEK and blind-index keys (from the environment, or key files under home)."""
        return load_keyring(self.settings)

    @_BuiltOnce
    def access_policy(self) -> AccessPolicy:
        """Staff sessions, sign-in limits and password cost; refuses a cost below the floor."""
        return AccessPolicy.from_settings(self.settings)

    @_BuiltOnce
    def integrator(self) -> Integrator:
        """Folds committed ledger entries into the tree and signs checkpoints; woken after each
        commit of `sessions` that appended an entry (its thread runs only once started)."""
        return build_integrator(self.settings, self.clock, self.sessions)

    @_BuiltOnce
    def office_signer(self) -> Signer:
        """The office's key that signs disclosure productions."""
        return load_office_signer(self.settings)

    @_BuiltOnce
    def senders(self) -> Senders:
        """Email and SMS as configured; SendersNotConfigured outside dev mode when unset."""
        return senders_from_settings(self.settings)

    @_BuiltOnce
    def code_desk(self) -> CodeDesk:
        """The one-time codes for /my, their grants and rate counters."""
        return CodeDesk()

    @_BuiltOnce
    def report_cache(self) -> ReportCache:
        """Transparency reports already computed, by checkpoint and period."""
        return ReportCache()
