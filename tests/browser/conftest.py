"""Browser tests: the real app under uvicorn on 127.0.0.1 with a fresh database, driven by
Debian's Chromium through Playwright. No browser is ever downloaded.

Screenshots of each step go to a temporary folder, or to the folder named by
HAVEN_SCREENSHOTS (e.g. `HAVEN_SCREENSHOTS=docs/screenshots`) to refresh the documentation.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from haven.clock import ManualClock
from haven.config import Settings
from haven.web.app import create_app
from tests.conftest import require_service
from tests.web.page_support import Catalogue, arrange_office

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass(frozen=True)
class LiveServer:
    url: str
    catalogue: Catalogue
    clock: ManualClock


@pytest.fixture
def live_server(
    tmp_path: Path, database_url: str, sessions: sessionmaker[Session], clock: ManualClock
) -> Iterator[LiveServer]:
    """The app served by uvicorn in this process (so the test's clock drives it)."""
    catalogue = arrange_office(sessions)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    settings = Settings(home=tmp_path / "home", database_url=database_url, base_url=url)
    app = create_app(settings, clock=clock)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    yield LiveServer(url=url, catalogue=catalogue, clock=clock)
    server.should_exit = True
    thread.join()
    sock.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        require_service("Chromium", f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("HAVEN_SCREENSHOTS", "") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
