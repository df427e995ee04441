"""The public pages' languages: which one a request gets, its catalogue, and how it is written.

A person's language comes from `?lang=` (the switcher's links), then the cookie that remembers
it, then the browser's Accept-Language, then English. Catalogues are the `.po` files under
`translations/`, compiled in memory on first use, so a fresh clone needs no build step.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.requests import Request
from starlette.responses import Response

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DOMAIN = "messages"
DEFAULT_LOCALE = "en"
LANG_PARAM = "lang"
LANG_COOKIE = "haven_lang"
_COOKIE_MAX_AGE = 60 * 60 * 24 * 365

# The languages of issue 7, as BCP 47 tags (what `lang=` and the switcher use), in the order the
# switcher lists them.
LOCALES = ("en", "es", "zh-Hans", "vi", "ko", "tl", "ar", "ht", "ru", "fr")

# Tags a browser may send that mean one of ours (Babel knows Tagalog's data as Filipino).
_ALIASES = {"zh": "zh-Hans", "zh-cn": "zh-Hans", "zh-sg": "zh-Hans", "fil": "tl"}


@dataclass(frozen=True)
class LanguageLink:
    """One entry of the language switcher: the language's own name and the same page in it."""

    tag: str
    name: str
    url: str
    current: bool


def catalogue_name(tag: str) -> str:
    """The folder a tag's catalogue lives in (gettext spells zh-Hans as zh_Hans)."""
    return tag.replace("-", "_")


def babel_locale(tag: str) -> Locale:
    """Babel's locale for a tag, for dates, times and language names."""
    return Locale.parse(catalogue_name(tag))


def text_direction(tag: str) -> str:
    """ "rtl" for a language written right to left (Arabic), else "ltr"."""
    return "rtl" if babel_locale(tag).character_order == "right-to-left" else "ltr"


def own_name(tag: str) -> str:
    """A language's name in that language itself ("es" -> "Español"), from CLDR via Babel."""
    try:
        locale = Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError):
        return tag
    # Babel reads "tl" as Filipino (Philippines); people who speak it know it as Tagalog.
    name = locale.languages.get("tl") if tag == "tl" else locale.get_display_name(locale)
    name = name or tag
    return name[:1].upper() + name[1:]


def supported(tag: str | None) -> str | None:
    """Our tag for what a person or browser asked for, or None when we do not have it."""
    if not tag:
        return None
    asked = tag.strip().replace("_", "-").lower()
    if asked in _ALIASES:
        return _ALIASES[asked]
    for ours in LOCALES:
        if ours.lower() == asked:
            return ours
    primary = asked.split("-", 1)[0]
    if primary == "zh":
        # Traditional Chinese readers are not served by Simplified; fall through to English.
        return "zh-Hans" if asked in ("zh-hans-cn", "zh-hans-sg") else None
    return _ALIASES.get(primary) or (primary if primary in LOCALES else None)


def from_accept_language(header: str) -> str | None:
    """The best of our languages in an Accept-Language header, by its q-values."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        ours = supported(tag)
        if ours is not None and quality > 0:
            ranked.append((-quality, position, ours))
    return min(ranked)[2] if ranked else None


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


@functools.cache
def translations(tag: str) -> NullTranslations:
    """The compiled catalogue for a tag (none: the English source text)."""
    po_path = TRANSLATIONS_DIR / catalogue_name(tag) / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=catalogue_name(tag))
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def translate(tag: str, message: str, params: Mapping[str, object] | None = None) -> str:
    """A message in the language of `tag`, its %(name)s placeholders filled in (plain text:
    templates escape it like any other value)."""
    text = translations(tag).gettext(message)
    return text % dict(params) if params else text


def N_(message: str) -> str:
    """Mark a message for extraction (the gettext convention's name); it is translated where
    it is shown."""
    return message
