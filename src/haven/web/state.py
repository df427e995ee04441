"""What the app factory builds once and every request shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import Clock
from haven.config import Settings
from haven.vault.keys import Keyring


@dataclass
class AppState:
    settings: Settings
    clock: Clock
    engine: Engine
    sessions: sessionmaker[Session]
    keyring: Keyring
    # Domain services that need process-wide objects (keyrings, signers) hang them here by name.
    extras: dict[str, Any] = field(default_factory=dict)
