"""Helpers for the transparency tests: the app's parts, and an app with the seeded history."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from haven.db import unit_of_work
from haven.ledger.service import Integrator
from tests.transparency.scenario import seed_history


def integrator_of(client: TestClient) -> Integrator:
    integrator: Integrator = client.app.state.haven.integrator  # type: ignore[attr-defined]
    return integrator


def app_sessions(client: TestClient) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = client.app.state.haven.sessions  # type: ignore[attr-defined]
    return sessions


def seed_app(app_client: TestClient) -> TestClient:
    """The app with the seeded history in its log and a checkpoint signed over it."""
    integrator_of(app_client).stop()
    with unit_of_work(app_sessions(app_client)) as session:
        seed_history(session)
    integrator_of(app_client).run_once()
    return app_client
