"""Forms. Flask-WTF adds a CSRF token to every one of them. (A game's own form is in
`game_form.py`.)"""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from app.domain.limits import LIMITS
from app.i18n import fast_gettext as _
from app.i18n import lazy_gettext as _l
from app.models import EmailPreference


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _at_most(limit: int, message: str) -> Length:
    """A length check that says what the limit is and how long the text was (`message` has
    `%(max)d` and `%(length)d` in it).

    The field renders `maxlength` from it, but a browser cuts pasted text there without a
    word; so the hint says the limit and a longer text (sent without the browser's check)
    is refused with this message rather than cut.
    """
    return Length(max=limit, message=message)


class SignupForm(FlaskForm):
    """A new facilitator account."""

    name = StringField(
        _l("Your name"), [DataRequired(), Length(max=LIMITS.person_name)], filters=[_strip]
    )
    email = EmailField(
        _l("Email"), [DataRequired(), Email(), Length(max=LIMITS.email)], filters=[_strip]
    )
    password = PasswordField(
        _l("Password (at least 10 characters)"), [DataRequired(), Length(min=10)]
    )
    confirm = PasswordField(
        _l("Password again"), [DataRequired(), EqualTo("password", _l("The passwords differ."))]
    )


class LoginForm(FlaskForm):
    """Log in as a facilitator."""

    email = EmailField(_l("Email"), [DataRequired(), Length(max=LIMITS.email)], filters=[_strip])
    password = PasswordField(_l("Password"), [DataRequired()])
    remember = BooleanField(_l("Remember me on this device"))


class DropOffForm(FlaskForm):
    """A new drop-off point."""

    name = StringField(
        _l("New pick-up spot"),
        [DataRequired(), Length(max=LIMITS.drop_off_name)],
        filters=[_strip],
        render_kw={"placeholder": _l("Shelf by the kitchen")},
    )


class RosterForm(FlaskForm):
    """People to add: pasted lines and/or a CSV file."""

    lines = TextAreaField(
        _l("Paste people, one per line"),
        [Optional(), Length(max=LIMITS.roster_paste)],
        render_kw={
            "rows": 8,
            "placeholder": "Priya Sharma <priya@example.org>\nSam Lee, sam@example.org"
            "\nalex@example.org",
        },
    )
    csv_file = FileField(
        _l("…or upload a CSV file with a header row name,email"),
        [FileAllowed(["csv", "txt"], _l("Choose a .csv file."))],
    )


class ParticipantForm(FlaskForm):
    """Edit one participant."""

    name = StringField(
        _l("Name"), [DataRequired(), Length(max=LIMITS.person_name)], filters=[_strip]
    )
    email = StringField(_l("Email"), [DataRequired(), Length(max=LIMITS.email)], filters=[_strip])
    # Set before the draw only (the page shows it then); empty clears it.
    team = StringField(_l("Team (optional)"), [Length(max=LIMITS.team)], filters=[_strip])


class ExclusionForm(FlaskForm):
    """Two people who must not be matched."""

    angel = SelectField(_l("Person"), coerce=int)
    direction = SelectField(
        _l("Rule"),
        choices=[
            SelectChoice("both", _l("is never matched with")),
            SelectChoice("one", _l("must not be the angel of")),
        ],
        default="both",
    )
    mortal = SelectField(_l("Other person"), coerce=int)


class ActionForm(FlaskForm):
    """A bare button: only the CSRF token."""


class NoteForm(FlaskForm):
    """A note from an angel to their mortal."""

    message = TextAreaField(_l("Your note"), [DataRequired()], render_kw={"rows": 5})
    when = SelectField(_l("When should it arrive?"), default="next")


class InPersonForm(FlaskForm):
    """An in-person kindness, carried by a courier."""

    instruction = TextAreaField(
        _l("What should the courier do?"),
        [DataRequired()],
        render_kw={"rows": 3, "placeholder": _l("Leave the card and a tea bag on their desk")},
    )
    # Its own id: the note form on the same page has a `message` field too.
    message = TextAreaField(
        _l("Message to go with it (optional)"), id="in_person_message", render_kw={"rows": 3}
    )
    drop_off = SelectField(_l("Leaving an item? Choose a pick-up spot"), coerce=int, default=0)


class ThanksForm(FlaskForm):
    """A thank-you to "my angel"."""

    message = TextAreaField(
        _l("Say thank you to your angel"),
        [
            DataRequired(
                _l(
                    "Write a few words of thanks first (up to %(max)d characters).",
                    max=LIMITS.thanks,
                )
            ),
            Length(
                max=LIMITS.thanks,
                message=_l(
                    "Thanks can be up to %(max)d characters; yours is %(length)d. "
                    "Shorten it a little."
                ),
            ),
        ],
        render_kw={"rows": 2},
    )


class ReportForm(FlaskForm):
    """Report a kindness as hurtful."""

    reason = TextAreaField(
        _l("What was wrong?"),
        [
            DataRequired(
                _l(
                    "Say briefly what was wrong (up to %(max)d characters).",
                    max=LIMITS.report_reason,
                )
            ),
            Length(
                max=LIMITS.report_reason,
                message=_l(
                    "A report can be up to %(max)d characters; yours is %(length)d. "
                    "Shorten it a little."
                ),
            ),
        ],
        render_kw={"rows": 2},
    )


class HintsForm(FlaskForm):
    """What brightens a participant's day, and courier duty."""

    brightens = TextAreaField(
        _l("Things that brighten my day"),
        [Length(max=LIMITS.hint_brightens)],
        render_kw={"rows": 4},
    )
    favourite_treat = StringField(
        _l("Favourite drink or snack"), [Length(max=LIMITS.hint_favourite_treat)]
    )
    avoid = StringField(_l("Allergies or things to avoid"), [Length(max=LIMITS.hint_avoid)])
    appreciated_by = StringField(
        _l("How I like to be appreciated"), [Length(max=LIMITS.hint_appreciated_by)]
    )
    sizes = StringField(
        _l("My sizes (clothes, gloves, rings…)"),
        [
            _at_most(
                LIMITS.hint_sizes,
                _l("Your sizes can be up to %(max)d characters; this one has %(length)d."),
            )
        ],
    )
    wishes = TextAreaField(
        _l("My wish list"),
        [
            _at_most(
                LIMITS.hint_wishes,
                _l("A wish list can be up to %(max)d characters; this one has %(length)d."),
            )
        ],
        render_kw={"rows": 5},
    )
    courier_opt_out = BooleanField(_l("I'd rather not deliver other angels' kindnesses"))


class JoinForm(FlaskForm):
    """Join a game from its public page."""

    name = StringField(
        _l("Your name"), [DataRequired(), Length(max=LIMITS.person_name)], filters=[_strip]
    )
    email = EmailField(
        _l("Your email"), [DataRequired(), Length(max=LIMITS.email)], filters=[_strip]
    )


class LostLinkForm(FlaskForm):
    """Ask for a fresh private link."""

    email = EmailField(
        _l("Your email"), [DataRequired(), Length(max=LIMITS.email)], filters=[_strip]
    )


class LateJoinerForm(RosterForm):
    """People to bring into a running game: the same input as the roster before the draw."""

    lines = TextAreaField(
        _l("Add late joiners, one per line"),
        [Optional(), Length(max=LIMITS.roster_paste)],
        render_kw={"rows": 3, "placeholder": _l("Jo Newman <jo@example.org>")},
    )


class ModerationForm(FlaskForm):
    """An action on a report, with the text it needs (warning, reason)."""

    text = TextAreaField(
        _l("Message or reason"), [Length(max=LIMITS.moderation_text)], render_kw={"rows": 2}
    )


class ConfirmNameForm(FlaskForm):
    """Type the game's name to confirm a step that cannot be undone."""

    name = StringField(_l("Type the game's name to confirm"), [DataRequired()], filters=[_strip])


class GuessForm(FlaskForm):
    """A mortal's guess of who their angel is."""

    guess = SelectField(_l("I think my angel is"), coerce=int)


class PreferencesForm(FlaskForm):
    """How a participant hears from the game."""

    email_preference = RadioField(
        _l("Email me"),
        choices=[
            SelectChoice(EmailPreference.EACH, _l("about every kindness as it arrives")),
            SelectChoice(EmailPreference.DIGEST, _l("once a day, with a short digest")),
            SelectChoice(
                EmailPreference.NONE,
                _l("never — I'll check the site (courier requests still come; no reminders)"),
            ),
        ],
        default=EmailPreference.EACH,
    )
    reminders = BooleanField(
        _l("Gentle reminders with an idea when I haven't sent anything lately")
    )


class JournalValueForm(FlaskForm):
    """The value a participant wants to live by."""

    value = StringField(
        _l("A value I want to live by during the game"),
        [Length(max=LIMITS.journal_value)],
        filters=[_strip],
        render_kw={"list": "values"},
    )


class JournalEntryForm(FlaskForm):
    """One dated journal entry."""

    day = DateField(_l("Day"), [DataRequired()], default=date.today)
    did = TextAreaField(_l("What I did"), [Length(max=LIMITS.journal_entry)], render_kw={"rows": 3})
    felt = TextAreaField(
        _l("How it felt — and how others reacted"),
        [Length(max=LIMITS.journal_entry)],
        render_kw={"rows": 3},
    )


class IdeaForm(FlaskForm):
    """A facilitator's kindness idea for their game."""

    text = StringField(
        _l("New idea"),
        [DataRequired(), Length(max=LIMITS.idea)],
        filters=[_strip],
        render_kw={"placeholder": _l("Bring in a board game for lunch break")},
    )


def first_error(form) -> str:
    """The first reason a submitted form was refused (a field's, else the CSRF token's, whose
    own words are technical and English only)."""
    for name, errors in form.errors.items():
        if errors:
            if name == "csrf_token":
                return _("This form has expired. Reload the page and submit again.")
            return str(errors[0])
    return _("Please try again.")


def max_length(field) -> int:
    """The Length(max=…) a form field declares, so messages and limits never disagree."""
    return next(v.max for v in field.validators if isinstance(v, Length))
