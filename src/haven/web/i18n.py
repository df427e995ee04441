"""The public pages' language: which one a request gets, remembered in a cookie, and the
switcher's links. The languages and catalogues themselves are haven.i18n.

A person's language comes from `?lang=` (the switcher's links), then the cookie that remembers
it, then the browser's Accept-Language, then English.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from haven.i18n import DEFAULT_LOCALE, LOCALES, from_accept_language, own_name, supported

LANG_PARAM = "lang"
LANG_COOKIE = "haven_lang"
_COOKIE_MAX_AGE = 60 * 60 * 24 * 365


@dataclass(frozen=True)
class LanguageLink:
    """One entry of the language switcher: the language's own name and the same page in it."""

    tag: str
    name: str
    url: str
    current: bool


def request_locale(request: Request) -> str:
    """The language this request's page is shown in."""
    return (
        supported(request.query_params.get(LANG_PARAM))
        or supported(request.cookies.get(LANG_COOKIE))
        or from_accept_language(request.headers.get("accept-language", ""))
        or DEFAULT_LOCALE
    )


def remember_locale(request: Request, response: Response) -> None:
    """Keep a language chosen with `?lang=` in a cookie, so the next pages follow it."""
    chosen = supported(request.query_params.get(LANG_PARAM))
    if chosen is not None and chosen != request.cookies.get(LANG_COOKIE):
        response.set_cookie(
            LANG_COOKIE, chosen, max_age=_COOKIE_MAX_AGE, path="/", samesite="lax", httponly=True
        )


def switcher_links(request: Request, current: str) -> list[LanguageLink]:
    """The same page (path and query) in each language."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != LANG_PARAM]
    links = []
    for tag in LOCALES:
        query = urlencode([*kept, (LANG_PARAM, tag)])
        url = f"{request.url.path}?{query}"
        links.append(LanguageLink(tag, own_name(tag), url, current=tag == current))
    return links
