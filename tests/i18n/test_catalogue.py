"""The French catalogue is complete and sound: every string the code and templates mark for
translation has a French translation, none is fuzzy, and each keeps its placeholders."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.i18n import LANGUAGES, TRANSLATIONS, compile_catalogues

ROOT = Path(__file__).resolve().parents[2]
# As babel.cfg and scripts/update_catalogues.sh read them.
METHODS = [
    ("app/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "N_": None,
}


def _catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=language)


def _extracted() -> set[str]:
    """Every msgid the code and templates mark (the singular of a plural)."""
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT),
        METHODS,
        options_map={"templates/**.html": {}, "templates/**.txt": {}},
        keywords=KEYWORDS,
    ):
        found.add(message[0] if isinstance(message, tuple | list) else message)
    return {m for m in found if m}


def test_every_language_but_the_source_has_a_catalogue():
    for language in LANGUAGES[1:]:
        assert (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").is_file(), language


def test_every_marked_string_has_a_french_translation():
    catalogue = _catalogue("fr")
    translated = {
        message.id[0] if isinstance(message.id, tuple) else message.id
        for message in catalogue
        if message.id
        and "fuzzy" not in message.flags
        and (all(message.string) if isinstance(message.string, tuple) else message.string)
    }
    extracted = _extracted()
    # The extraction sees Python (lazy subjects) and templates (the language switcher).
    assert {"Your secret mission in %(game)s", "Language:"} <= extracted
    missing = sorted(extracted - translated)
    assert not missing, (
        f"{len(missing)} strings have no French translation "
        "(run scripts/update_catalogues.sh, then fill their msgstr):\n" + "\n".join(missing[:40])
    )


def test_the_french_catalogue_has_no_fuzzy_or_empty_entry_and_keeps_placeholders():
    catalogue = _catalogue("fr")
    fuzzy = [m.id for m in catalogue if m.id and "fuzzy" in m.flags]
    empty = [
        m.id
        for m in catalogue
        if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    assert not fuzzy, fuzzy
    assert not empty, empty
    # Babel's own checks: python-format placeholders the same in msgid and msgstr, plural
    # forms all present.
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalogue.check() if errors]
    assert not problems, problems


def test_the_catalogue_compiles(tmp_path):
    target = tmp_path / "fr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / "messages.po").write_bytes(
        (TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po").read_bytes()
    )
    assert compile_catalogues(tmp_path) == [target / "messages.mo"]
    assert (target / "messages.mo").stat().st_size > 0


def test_catalogues_compile_elsewhere_when_the_package_is_read_only(tmp_path):
    """An installation the service may not write to: the compiled catalogue goes to another
    folder (the instance folder, in init_app), and a second start finds it there up to date."""
    into = tmp_path / "compiled"
    written = compile_catalogues(TRANSLATIONS, into)
    assert written == [into / "fr" / "LC_MESSAGES" / "messages.mo"]
    assert written[0].stat().st_size > 0
    assert compile_catalogues(TRANSLATIONS, into) == []
