"""Every error is JSON (API) with a message a person can act on; never a traceback."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from haven.errors import HavenError


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def _validation_message(error: dict[str, Any]) -> str:
    field = _field_name(tuple(error.get("loc", ())))
    if error.get("type") == "extra_forbidden":
        return f"unknown field '{field}': Haven does not accept it"
    if error.get("type") == "missing":
        return f"'{field}' is required"
    msg = str(error.get("msg", "is not valid"))
    msg = msg.removeprefix("Value error, ")
    return f"'{field}': {msg}"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HavenError)
    async def _haven_error(_request: Request, exc: HavenError) -> JSONResponse:
        body: dict[str, Any] = {"error": exc.code, "message": exc.message}
        if exc.field:
            body["field"] = exc.field
        return JSONResponse(body, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_name(tuple(e.get("loc", ()))), "message": _validation_message(e)}
            for e in exc.errors()
        ]
        message = "; ".join(e["message"] for e in errors)
        return JSONResponse(
            {"error": "invalid", "message": message, "errors": errors}, status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": "http_error", "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
