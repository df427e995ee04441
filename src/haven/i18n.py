"""Languages and their catalogues, for whatever shows text to people: pages, messages, reports.

Which of our languages a tag means, its compiled catalogue, how it is written (direction, own
name) and the `N_`/`translate` pair. Below the domains, so services that write in a person's
language (notify, transparency, scheduling) need nothing of the web layer; choosing a
request's language is the web's (haven.web.i18n).

Catalogues are the `.po` files under `haven/web/translations/` (where `make translations` and
babel.cfg keep them), compiled in memory on first use, so a fresh clone needs no build step.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).parent / "web" / "translations"
DOMAIN = "messages"
DEFAULT_LOCALE = "en"

# The languages of issue 7, as BCP 47 tags (what `lang=` and the switcher use), in the order the
# switcher lists them.
LOCALES = ("en", "es", "zh-Hans", "vi", "ko", "tl", "ar", "ht", "ru", "fr")

# Tags a browser may send that mean one of ours (Babel knows Tagalog's data as Filipino).
_ALIASES = {"zh": "zh-Hans", "zh-cn": "zh-Hans", "zh-sg": "zh-Hans", "fil": "tl"}


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
