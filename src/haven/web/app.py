"""The app factory: settings in, a ready FastAPI app out. Nothing is built at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from haven import __version__
from haven.access import admin_pages, queue_desk, staff_pages
from haven.access import api as access_api
from haven.access import pages as access_pages
from haven.clock import Clock
from haven.config import Settings
from haven.disclosure import api as disclosure_api
from haven.disclosure import pages as disclosure_pages
from haven.disclosure.policy import pages as policy_pages
from haven.ledger import api as ledger_api
from haven.notify import pages as notify_pages
from haven.runtime import Runtime
from haven.scheduling import api as scheduling_api
from haven.scheduling import booking_api, queue_pages
from haven.scheduling import pages as scheduling_pages
from haven.transparency import own_pages
from haven.transparency import pages as transparency_pages
from haven.web.errors import install_error_handlers

STATIC_DIR = Path(__file__).parent / "static"

health = APIRouter()


@health.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    settings.ensure_home()
    runtime = Runtime.build(settings, clock)
    # Built now, not on a first request: a bad staff setting (argon2 cost below the floor) or
    # an unreadable key stops the start.
    _ = runtime.keyring, runtime.access_policy
    integrator = runtime.integrator

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        integrator.start()
        yield
        integrator.stop()
        runtime.close()

    app = FastAPI(
        title="Haven",
        version=__version__,
        description="Appointments for public-service field offices.",
        lifespan=lifespan,
    )
    app.state.haven = runtime
    install_error_handlers(app)
    app.include_router(health)
    app.include_router(scheduling_api.router)
    app.include_router(booking_api.router)
    app.include_router(ledger_api.router)
    app.include_router(scheduling_pages.router)
    app.include_router(access_api.router)
    app.include_router(access_pages.router)
    app.include_router(admin_pages.router)
    app.include_router(policy_pages.router)
    app.include_router(disclosure_api.router)
    app.include_router(disclosure_pages.router)
    app.include_router(staff_pages.router)
    app.include_router(notify_pages.router)
    app.include_router(queue_desk.router)
    app.include_router(queue_pages.router)
    app.include_router(transparency_pages.router)
    app.include_router(transparency_pages.downloads)
    app.include_router(own_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
