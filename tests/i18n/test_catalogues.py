"""Every catalogue translates every message the public pages can show: the messages are
extracted afresh from the templates and code (babel.cfg), so a new sentence without its
translations fails here, as does a fuzzy or empty one or a placeholder that differs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from haven import i18n

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


def _extracted() -> set[str]:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = extract_from_dir(str(ROOT), method_map, options_map)
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    messages = _extracted()
    # The extraction really reaches templates and Python (not an empty set passing vacuously).
    assert "Book this appointment" in messages
    assert "That time was just taken, please choose another." in messages
    return messages


def test_the_template_lists_every_extracted_message(extracted: set[str]) -> None:
    with (i18n.TRANSLATIONS_DIR / "messages.pot").open("rb") as pot:
        template = {m.id for m in read_po(pot) if m.id}
    assert extracted - template == set(), "run `make translations` and translate the new ones"


@pytest.mark.parametrize("tag", i18n.LOCALES)
def test_each_catalogue_translates_every_message(tag: str, extracted: set[str]) -> None:
    path = i18n.TRANSLATIONS_DIR / i18n.catalogue_name(tag) / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalogue = read_po(po, locale=i18n.catalogue_name(tag))
    by_id = {m.id: m for m in catalogue if m.id}
    assert extracted - set(by_id) == set(), f"{tag} misses messages"
    for message_id in extracted:
        message = by_id[message_id]
        assert isinstance(message.string, str)
        assert message.string.strip(), f"{tag}: empty translation of {message_id!r}"
        assert not message.fuzzy, f"{tag}: fuzzy translation of {message_id!r}"
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(
            PLACEHOLDER.findall(message_id)
        ), f"{tag}: placeholders differ in {message_id!r}"
        if tag != "en":
            # A real translation, not the English copied across (names like "Haven" excepted).
            assert message.string != message_id or message_id in _SAME_IN_EVERY_LANGUAGE, (
                f"{tag}: {message_id!r} is left in English"
            )


# Words that are the same in some languages: the service's name, and a few cognates.
_SAME_IN_EVERY_LANGUAGE = {
    "Haven",
    "Confirmation",
    "Contact",
    "Service",
    "Interpreter",
    "Email address",
    "Confirmation code",
    "Error:",
}


def test_translations_are_loaded_and_formatted() -> None:
    assert i18n.translate("es", "Book this appointment") == "Reservar esta cita"
    assert (
        i18n.translate("fr", "Your confirmation code: %(code)s", {"code": "K7Q-4MZ"})
        == "Votre code de confirmation : K7Q-4MZ"
    )
    assert i18n.translate("en", "Book this appointment") == "Book this appointment"
