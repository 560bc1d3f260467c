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


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SignupForm(FlaskForm):
    """A new facilitator account."""

    name = StringField("Your name", [DataRequired(), Length(max=120)], filters=[_strip])
    email = EmailField("Email", [DataRequired(), Email(), Length(max=320)], filters=[_strip])
    password = PasswordField("Password (at least 10 characters)", [DataRequired(), Length(min=10)])
    confirm = PasswordField(
        "Password again", [DataRequired(), EqualTo("password", "The passwords differ.")]
    )


class LoginForm(FlaskForm):
    """Log in as a facilitator."""

    email = EmailField("Email", [DataRequired(), Length(max=320)], filters=[_strip])
    password = PasswordField("Password", [DataRequired()])


class GameForm(FlaskForm):
    """A game's details."""

    name = StringField(
        "Game name",
        [DataRequired(), Length(max=120)],
        filters=[_strip],
        render_kw={"placeholder": "Kindness month"},
    )
    group_kind = RadioField(
        "This game is for a", choices=[SelectChoice("team"), SelectChoice("class")], default="team"
    )
    group_name = StringField(
        "Team or class name",
        [Optional(), Length(max=120)],
        filters=[_strip],
        render_kw={"placeholder": "Design team"},
    )
    starts_on = DateField("Starts on", [DataRequired()], default=date.today)
    ends_on = DateField(
        "Ends on", [DataRequired()], default=lambda: date.today() + timedelta(days=28)
    )
    welcome = TextAreaField(
        "Welcome text for participants", [Optional(), Length(max=4000)], render_kw={"rows": 4}
    )
    avoid_repeat_mortals = BooleanField("Nobody gets the same mortal as in one of my earlier games")


class RosterForm(FlaskForm):
    """People to add: pasted lines and/or a CSV file."""

    lines = TextAreaField(
        "Paste people, one per line",
        [Optional(), Length(max=500_000)],
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

    name = StringField("Name", [DataRequired(), Length(max=120)], filters=[_strip])
    email = StringField("Email", [DataRequired(), Length(max=320)], filters=[_strip])


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
