"""FastAPI dependencies: the process's Runtime and the request's unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.db import unit_of_work
from haven.runtime import Runtime
from haven.vault.keys import Keyring


def get_state(request: Request) -> Runtime:
    """What the app factory built once for every request (haven.runtime)."""
    state: Runtime = request.app.state.haven
    return state


def get_clock(request: Request) -> Clock:
    return get_state(request).clock


def get_session(request: Request) -> Iterator[Session]:
    """The request's one transaction, committed before the response is sent."""
    with unit_of_work(get_state(request).sessions) as session:
        yield session


def get_keyring(request: Request) -> Keyring:
    return get_state(request).keyring


StateDep = Annotated[Runtime, Depends(get_state)]
ClockDep = Annotated[Clock, Depends(get_clock)]
KeyringDep = Annotated[Keyring, Depends(get_keyring)]
# scope="function": commit happens before the response leaves, so a failed commit is an error
# response, never a success the database did not keep.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
