"""The language choosers: a participant's switcher on every page of theirs, and the language
setting on a facilitator's account page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf

from app.i18n import LANGUAGE_NAMES, LANGUAGES
from app.i18n import lazy_gettext as _l

# The value of "no choice": a facilitator's pages then follow the browser.
FOLLOW_BROWSER = ""


class ParticipantLanguageForm(FlaskForm):
    """The switcher: one button per language (its value is the language's code) and the page to
    go back to."""

    language = HiddenField(validators=[AnyOf(LANGUAGES)])
    back = HiddenField()


class AccountLanguageForm(FlaskForm):
    """A facilitator's language: one the service speaks, or the browser's."""

    language = SelectField(
        _l("Language of my pages and emails"),
        choices=[
            SelectChoice(FOLLOW_BROWSER, _l("My browser's language")),
            *(SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()),
        ],
        default=FOLLOW_BROWSER,
    )
