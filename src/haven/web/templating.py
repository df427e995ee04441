"""The Jinja2 environment for public pages: autoescaped, translation-ready, no inline script.

Templates mark every piece of text with `_()` (Babel/gettext style). Public pages are rendered
in the person's language (haven.web.i18n picks it, haven.i18n holds the catalogues; one
environment per language, so requests never share a translation); staff pages stay in English.
Dates and times are formatted with Babel in the office's own time zone and the page's locale.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_timezone_name
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape
from starlette.types import Receive, Scope, Send

from haven import __version__, i18n
from haven.web.i18n import remember_locale, request_locale, switcher_links

TEMPLATES_DIR = Path(__file__).parent / "templates"
DEFAULT_LOCALE = "en"

# Pages run no inline script or style and load nothing from elsewhere; htmx is vendored.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Manage links carry a secret token in the path: never send it on to another site. Not
    # "no-referrer": with it browsers send "Origin: null" on our own form posts.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@functools.cache
def environment(locale: str = DEFAULT_LOCALE) -> Environment:
    """The page environment for one language, built on first use (never at import)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(  # type: ignore[attr-defined]
        i18n.translations(locale), newstyle=True
    )
    env.filters["local_date"] = local_date
    env.filters["local_time"] = local_time
    env.filters["language_name"] = language_name
    env.filters["own_language_name"] = i18n.own_name
    env.globals["zone_name"] = zone_name
    env.globals["version"] = __version__
    return env


def local_date(instant: datetime | date, zone: str, locale: str = DEFAULT_LOCALE) -> str:
    """A day in words in the office's time zone, e.g. "Monday, December 7, 2026"."""
    if isinstance(instant, datetime):
        instant = instant.astimezone(ZoneInfo(zone)).date()
    return format_date(instant, format="full", locale=i18n.babel_locale(locale))


def local_time(instant: datetime, zone: str, locale: str = DEFAULT_LOCALE) -> str:
    """A time of day on the office's clock, e.g. "9:30 AM"."""
    return format_time(
        instant, format="short", tzinfo=ZoneInfo(zone), locale=i18n.babel_locale(locale)
    )


def zone_name(zone: str, locale: str = DEFAULT_LOCALE) -> str:
    """The zone as people say it, with its IANA name: "Eastern Time (America/New_York)"."""
    spoken = get_timezone_name(
        ZoneInfo(zone), width="long", uncommon=False, locale=i18n.babel_locale(locale)
    )
    return f"{spoken} ({zone})"


def language_name(tag: str, locale: str = DEFAULT_LOCALE) -> str:
    """A BCP 47 tag's name in the page's language ("es" -> "Spanish"); the tag if unknown."""
    try:
        name = Locale.parse(tag, sep="-").get_display_name(i18n.babel_locale(locale))
    except (UnknownLocaleError, ValueError):
        return tag
    return name[:1].upper() + name[1:] if name else tag


class PageResponse(HTMLResponse):
    """A rendered page that also tells a test client its template and context."""

    def __init__(
        self, content: str, template: Template, context: dict[str, Any], status_code: int
    ) -> None:
        super().__init__(content, status_code=status_code)
        self.template = template
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "http.response.debug" in scope.get("extensions", {}):
            info = {"template": self.template, "context": self.context}
            await send({"type": "http.response.debug", "info": info})
        await super().__call__(scope, receive, send)


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    translated: bool = False,
) -> PageResponse:
    """Render a page with the shared context and the security headers every page carries.

    A `translated` (public) page is in the request's language, with the language switcher's
    links and the chosen language remembered; other pages are in English.
    """
    locale = request_locale(request) if translated else DEFAULT_LOCALE
    shared: dict[str, Any] = {
        "request": request,
        "lang": locale,
        "text_direction": i18n.text_direction(locale),
        "locale": locale,
        "languages_menu": switcher_links(request, locale) if translated else [],
        "is_htmx": request.headers.get("HX-Request") == "true",
    }
    shared.update(context)
    compiled = environment(locale).get_template(template)
    response = PageResponse(compiled.render(shared), compiled, shared, status_code)
    response.headers.update(PAGE_HEADERS)
    response.headers.update(headers or {})
    if translated:
        remember_locale(request, response)
        response.headers["Content-Language"] = locale
        response.headers["Vary"] = "Cookie, Accept-Language"
    return response
