"""Languages: which ones the service speaks, and its message catalogues.

English is the source language (the strings in the code and templates); every other language
has a catalogue in `app/translations/<code>/LC_MESSAGES/messages.po`. The compiled `.mo` files
are not kept in the repository: they are built from the `.po` files when the service starts
(and again whenever a `.po` file is newer than its `.mo`), so the two can never disagree.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import Babel, get_locale

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
# The languages a person can choose, source language first. Adding one: see the README.
LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = LANGUAGES[0]
# The name of each language in itself, for the language choosers.
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}

babel = Babel()


def known_language(code: str | None) -> str | None:
    """`code` if the service speaks it, else None (a language removed since it was chosen, or
    anything else a form or a row might hold)."""
    return code if code in LANGUAGES else None


def participant_language(person) -> str:
    """The language of a participant's pages and of every email to them: their own choice,
    else their game's language (the one their invitation came in), else the source language.

    Reads only the participant and their game, both already loaded wherever a participant is
    (the session guard loads the game with them): no query of its own.
    """
    return (
        known_language(person.language) or known_language(person.game.language) or DEFAULT_LANGUAGE
    )


def current_language() -> str:
    """The code of the language this page or email is being written in (`<html lang>`)."""
    return str(get_locale() or DEFAULT_LANGUAGE)


def compile_catalogues(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile every `.po` under `directory` whose `.mo` is missing or older; return those
    written. Fuzzy entries are left out, as `pybabel compile` does. Each file is written to a
    temporary name and moved into place, so two workers starting together never read half a
    catalogue."""
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as source:
            catalogue = read_po(source, locale=po_path.parts[-3])
        handle, temporary = tempfile.mkstemp(dir=po_path.parent, suffix=".mo.tmp")
        with os.fdopen(handle, "wb") as target:
            write_mo(target, catalogue, use_fuzzy=False)
        os.replace(temporary, mo_path)
        written.append(mo_path)
    return written


def init_app(app: Flask, locale_selector) -> None:
    """Compile the catalogues if needed and bind Flask-Babel with the given locale selector."""
    compile_catalogues()
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    babel.init_app(app, locale_selector=locale_selector)
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["current_language"] = current_language
