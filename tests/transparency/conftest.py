"""The transparency tests' fixtures."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.transparency.support import seed_app


@pytest.fixture
def seeded_client(app_client: TestClient) -> TestClient:
    """The app with the seeded history in its log and a checkpoint signed over it."""
    return seed_app(app_client)
