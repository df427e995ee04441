"""Routes for HTML pages: errors become a page in plain words with the right 4xx status.

The API's handlers answer JSON; a person in a browser should get a page with a way forward
instead. Domain errors (HavenError) and malformed addresses (request validation) are caught here,
after the request's unit of work has rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from haven.errors import HavenError
from haven.web.templating import render


def error_page(request: Request, status_code: int, message: str) -> Response:
    """A page that says what went wrong and where to go next."""
    return render(
        request,
        "pages/error.html",
        {"status_code": status_code, "message": message},
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except HavenError as exc:
                return error_page(request, exc.status_code, exc.message)
            except RequestValidationError:
                return error_page(
                    request, 422, "This address is not one Haven knows. Please start again."
                )

        return page_handler
