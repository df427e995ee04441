"""What HTML page routes share: errors become a page in plain words with the right 4xx status,
and `PageCall` bundles the request with the app's parts so routes stay a few lines long.

The API's handlers answer JSON; a person in a browser should get a page with a way forward
instead. Domain errors (HavenError) and malformed addresses (request validation) are caught here,
after the request's unit of work has rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from haven.clock import Clock
from haven.config import Settings
from haven.errors import HavenError
from haven.i18n import translate
from haven.vault.keys import Keyring
from haven.web import csrf
from haven.web.deps import ClockDep, KeyringDep, SessionDep, StateDep
from haven.web.i18n import request_locale
from haven.web.public_messages import ADDRESS_UNKNOWN, problem_message
from haven.web.templating import render


def error_page(request: Request, status_code: int, message: str) -> Response:
    """A page that says what went wrong and where to go next; `message` is one of
    public_messages' msgids, shown in the person's language."""
    return render(
        request,
        "pages/error.html",
        {"status_code": status_code, "message": translate(request_locale(request), message)},
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
        translated=True,
    )


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except HavenError as exc:
                return error_page(request, exc.status_code, problem_message(exc))
            except RequestValidationError:
                return error_page(request, 422, ADDRESS_UNKNOWN)

        return page_handler


@dataclass(frozen=True)
class PageCall:
    """One page request with the app's parts: its unit of work, clock, keyring, settings."""

    request: Request
    session: Session
    clock: Clock
    keyring: Keyring
    settings: Settings

    def render(
        self,
        template: str,
        context: Mapping[str, Any],
        *,
        status_code: int = 200,
        private: bool = False,
    ) -> Response:
        """Render a page with a CSRF token for its forms (setting the cookie when it is new).

        `private` pages (anything behind a hold or manage token) are never stored by caches.
        """
        guard = csrf.CsrfGuard(self.request, self.keyring)
        response = render(
            self.request,
            template,
            {**context, "csrf_token": guard.token},
            status_code=status_code,
            headers={"Cache-Control": "no-store"} if private else {},
            translated=True,
        )
        guard.set_cookie(response)
        return response

    @property
    def locale(self) -> str:
        """The language this request's page is shown in."""
        return request_locale(self.request)

    def text(self, message: str, params: Mapping[str, object] | None = None) -> str:
        """A public message (a msgid) in the person's language."""
        return translate(self.locale, message, params)

    def problem(self, error: HavenError) -> str:
        """What a page says about a domain error, in the person's language."""
        return self.text(problem_message(error))

    async def checked_form(self) -> FormData:
        """The posted form, once its CSRF token checks out (CsrfRefused, a 403, otherwise)."""
        form = await self.request.form()
        csrf.verify(self.request, form, self.keyring)
        return form


def page_call(
    request: Request, session: SessionDep, clock: ClockDep, keyring: KeyringDep, state: StateDep
) -> PageCall:
    return PageCall(request, session, clock, keyring, state.settings)


Call = Annotated[PageCall, Depends(page_call)]


def see_other(url: str) -> RedirectResponse:
    """Where a form post leads (POST-redirect-GET)."""
    return RedirectResponse(url, status_code=303)


def form_text(form: Mapping[str, Any], name: str) -> str:
    """A posted text field, trimmed; empty when absent or not text."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""
