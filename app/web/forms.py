"""Forms. Flask-WTF adds a CSRF token to every one of them."""

from __future__ import annotations

from datetime import date, timedelta

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

from app.domain import delivery, game_dates, roster
from app.domain.limits import LIMITS
from app.models import EmailPreference, GroupKind


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _at_most(limit: int, what: str) -> Length:
    """A length check that says what the limit is and how long the text was.

    The field renders `maxlength` from it, but a browser cuts pasted text there without a
    word; so the hint says the limit and a longer text (sent without the browser's check)
    is refused with this message rather than cut.
    """
    return Length(
        max=limit, message=f"{what} can be up to {limit} characters; this one has %(length)d."
    )


class SignupForm(FlaskForm):
    """A new facilitator account."""

    name = StringField(
        "Your name", [DataRequired(), Length(max=LIMITS.person_name)], filters=[_strip]
    )
    email = EmailField(
        "Email", [DataRequired(), Email(), Length(max=LIMITS.email)], filters=[_strip]
    )
    password = PasswordField("Password (at least 10 characters)", [DataRequired(), Length(min=10)])
    confirm = PasswordField(
        "Password again", [DataRequired(), EqualTo("password", "The passwords differ.")]
    )


class LoginForm(FlaskForm):
    """Log in as a facilitator."""

    email = EmailField("Email", [DataRequired(), Length(max=LIMITS.email)], filters=[_strip])
    password = PasswordField("Password", [DataRequired()])
    remember = BooleanField("Remember me on this device")


class GameForm(FlaskForm):
    """A game's details."""

    name = StringField(
        "Game name",
        [DataRequired(), _at_most(LIMITS.game_name, "A game's name")],
        filters=[_strip],
        description=f"Up to {LIMITS.game_name} characters.",
        render_kw={"placeholder": "Kindness month"},
    )
    group_kind = RadioField(
        "This game is for a",
        choices=[SelectChoice(GroupKind.TEAM), SelectChoice(GroupKind.CLASS)],
        default=GroupKind.TEAM,
    )
    group_name = StringField(
        "Team or class name",
        [Optional(), Length(max=LIMITS.group_name)],
        filters=[_strip],
        render_kw={"placeholder": "Design team"},
    )
    starts_on = DateField(
        "Starts on", [DataRequired()], default=date.today, description=game_dates.START_HINT
    )
    ends_on = DateField(
        "Ends on",
        [DataRequired()],
        default=lambda: date.today() + timedelta(days=28),
        description=game_dates.END_HINT,
    )
    welcome = TextAreaField(
        "Welcome text for participants",
        [Optional(), Length(max=LIMITS.welcome)],
        render_kw={"rows": 4},
    )
    avoid_repeat_mortals = BooleanField("Where possible, nobody gets a mortal from my ended games")
    allow_self_join = BooleanField("Anyone with the game's public link may join")
    reveal_at_end = BooleanField("At the end, reveal to everyone who their angel was", default=True)
    delivery_times = StringField(
        "Delivery rounds (local times of day)",
        [DataRequired(), Length(max=LIMITS.delivery_times)],
        default="09:00, 15:00",
        filters=[_strip],
    )
    delivery_days = RadioField(
        "Deliver on",
        choices=[SelectChoice(d.value, label) for d, label in delivery.DELIVERY_DAY_LABELS.items()],
        default=delivery.DeliveryDays.EVERY.value,
    )
    timezone = StringField(
        "Time zone",
        [DataRequired(), Length(max=LIMITS.timezone)],
        default="UTC",
        filters=[_strip],
        # A searchable list of every zone (a datalist in the page); typing a name works too.
        render_kw={"placeholder": "Europe/London", "list": "time-zones", "autocomplete": "off"},
    )

    # The dates a game being edited has now (start, end); None for a new game.
    current_dates: tuple[date, date] | None = None

    def validate(self, extra_validators=None) -> bool:
        """The usual checks, then the game's own rules (name, dates, delivery times, zone),
        every error under its own field and all of them at once."""
        valid = super().validate(extra_validators)
        if self.name.data and not roster.clean_name(self.name.data):
            self.name.errors.append("Give the game a name.")
            valid = False
        for field, parse in (
            (self.delivery_times, delivery.parse_times),
            (self.timezone, delivery.parse_zone),
        ):
            problem = delivery.problem_with(parse, field.data) if field.data else None
            if problem and not field.errors:
                field.errors.append(problem)
                valid = False
        if self.starts_on.data and self.ends_on.data:
            problems = game_dates.check(
                self.starts_on.data, self.ends_on.data, date.today(), self.current_dates
            )
            for field, problem in (
                (self.starts_on, problems.starts_on),
                (self.ends_on, problems.ends_on),
            ):
                if problem:
                    field.errors.append(problem)
                    valid = False
        return valid


class DropOffForm(FlaskForm):
    """A new drop-off point."""

    name = StringField(
        "New drop-off point",
        [DataRequired(), Length(max=LIMITS.drop_off_name)],
        filters=[_strip],
        render_kw={"placeholder": "Shelf by the kitchen"},
    )


class RosterForm(FlaskForm):
    """People to add: pasted lines and/or a CSV file."""

    lines = TextAreaField(
        "Paste people, one per line",
        [Optional(), Length(max=LIMITS.roster_paste)],
        render_kw={
            "rows": 8,
            "placeholder": "Priya Sharma <priya@example.org>\nSam Lee, sam@example.org"
            "\nalex@example.org",
        },
    )
    csv_file = FileField(
        "…or upload a CSV file with a header row name,email",
        [FileAllowed(["csv", "txt"], "Choose a .csv file.")],
    )


class ParticipantForm(FlaskForm):
    """Edit one participant."""

    name = StringField("Name", [DataRequired(), Length(max=LIMITS.person_name)], filters=[_strip])
    email = StringField("Email", [DataRequired(), Length(max=LIMITS.email)], filters=[_strip])


class ExclusionForm(FlaskForm):
    """Two people who must not be matched."""

    angel = SelectField("Person", coerce=int)
    direction = SelectField(
        "Rule",
        choices=[
            SelectChoice("both", "is never matched with"),
            SelectChoice("one", "must not be the angel of"),
        ],
        default="both",
    )
    mortal = SelectField("Other person", coerce=int)


class ActionForm(FlaskForm):
    """A bare button: only the CSRF token."""


class NoteForm(FlaskForm):
    """A note from an angel to their mortal."""

    message = TextAreaField("Your note", [DataRequired()], render_kw={"rows": 5})
    when = SelectField("When should it arrive?", default="next")


class InPersonForm(FlaskForm):
    """An in-person kindness, carried by a courier."""

    instruction = TextAreaField(
        "What should the courier do?",
        [DataRequired()],
        render_kw={"rows": 3, "placeholder": "Leave the card and a tea bag on their desk"},
    )
    # Its own id: the note form on the same page has a `message` field too.
    message = TextAreaField(
        "Message to go with it (optional)", id="in_person_message", render_kw={"rows": 3}
    )
    drop_off = SelectField("Leaving an item? Choose a drop-off point", coerce=int, default=0)


class ThanksForm(FlaskForm):
    """A thank-you to "my angel"."""

    message = TextAreaField(
        "Say thank you to your angel",
        [
            DataRequired(f"Write a few words of thanks first (up to {LIMITS.thanks} characters)."),
            Length(
                max=LIMITS.thanks,
                message="Thanks can be up to %(max)d characters; yours is %(length)d. "
                "Shorten it a little.",
            ),
        ],
        render_kw={"rows": 2},
    )


class ReportForm(FlaskForm):
    """Report a kindness as hurtful."""

    reason = TextAreaField(
        "What was wrong?",
        [
            DataRequired(f"Say briefly what was wrong (up to {LIMITS.report_reason} characters)."),
            Length(
                max=LIMITS.report_reason,
                message="A report can be up to %(max)d characters; yours is %(length)d. "
                "Shorten it a little.",
            ),
        ],
        render_kw={"rows": 2},
    )


class HintsForm(FlaskForm):
    """What brightens a participant's day, and courier duty."""

    brightens = TextAreaField(
        "Things that brighten my day", [Length(max=LIMITS.hint_brightens)], render_kw={"rows": 4}
    )
    favourite_treat = StringField(
        "Favourite drink or snack", [Length(max=LIMITS.hint_favourite_treat)]
    )
    avoid = StringField("Allergies or things to avoid", [Length(max=LIMITS.hint_avoid)])
    appreciated_by = StringField(
        "How I like to be appreciated", [Length(max=LIMITS.hint_appreciated_by)]
    )
    courier_opt_out = BooleanField("I'd rather not deliver other angels' kindnesses")


class JoinForm(FlaskForm):
    """Join a game from its public page."""

    name = StringField(
        "Your name", [DataRequired(), Length(max=LIMITS.person_name)], filters=[_strip]
    )
    email = EmailField("Your email", [DataRequired(), Length(max=LIMITS.email)], filters=[_strip])


class LostLinkForm(FlaskForm):
    """Ask for a fresh private link."""

    email = EmailField("Your email", [DataRequired(), Length(max=LIMITS.email)], filters=[_strip])


class LateJoinerForm(RosterForm):
    """People to bring into a running game: the same input as the roster before the draw."""

    lines = TextAreaField(
        "Add late joiners, one per line",
        [Optional(), Length(max=LIMITS.roster_paste)],
        render_kw={"rows": 3, "placeholder": "Jo Newman <jo@example.org>"},
    )


class ModerationForm(FlaskForm):
    """An action on a report, with the text it needs (warning, reason)."""

    text = TextAreaField(
        "Message or reason", [Length(max=LIMITS.moderation_text)], render_kw={"rows": 2}
    )


class ConfirmNameForm(FlaskForm):
    """Type the game's name to confirm a step that cannot be undone."""

    name = StringField("Type the game's name to confirm", [DataRequired()], filters=[_strip])


class GuessForm(FlaskForm):
    """A mortal's guess of who their angel is."""

    guess = SelectField("I think my angel is", coerce=int)


class PreferencesForm(FlaskForm):
    """How a participant hears from the game."""

    email_preference = RadioField(
        "Email me",
        choices=[
            SelectChoice(EmailPreference.EACH, "about every kindness as it arrives"),
            SelectChoice(EmailPreference.DIGEST, "once a day, with a short digest"),
            SelectChoice(
                EmailPreference.NONE,
                "never — I'll check the site (courier requests still come; no reminders)",
            ),
        ],
        default=EmailPreference.EACH,
    )
    reminders = BooleanField("Gentle reminders with an idea when I haven't sent anything lately")


class JournalValueForm(FlaskForm):
    """The value a participant wants to live by."""

    value = StringField(
        "A value I want to live by during the game",
        [Length(max=LIMITS.journal_value)],
        filters=[_strip],
        render_kw={"list": "values"},
    )


class JournalEntryForm(FlaskForm):
    """One dated journal entry."""

    day = DateField("Day", [DataRequired()], default=date.today)
    did = TextAreaField("What I did", [Length(max=LIMITS.journal_entry)], render_kw={"rows": 3})
    felt = TextAreaField(
        "How it felt — and how others reacted",
        [Length(max=LIMITS.journal_entry)],
        render_kw={"rows": 3},
    )


class IdeaForm(FlaskForm):
    """A facilitator's kindness idea for their game."""

    text = StringField(
        "New idea",
        [DataRequired(), Length(max=LIMITS.idea)],
        filters=[_strip],
        render_kw={"placeholder": "Bring in a board game for lunch break"},
    )


def first_error(form) -> str:
    """The first reason a submitted form was refused (a field's, else the CSRF token's)."""
    return next((errors[0] for errors in form.errors.values() if errors), "Please try again.")


def max_length(field) -> int:
    """The Length(max=…) a form field declares, so messages and limits never disagree."""
    return next(v.max for v in field.validators if isinstance(v, Length))
