"""The form for a game's details: each field's problem shown beside that field, all at once."""

from __future__ import annotations

from datetime import date, timedelta

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.domain import delivery, game_dates, roster
from app.domain.limits import LIMITS
from app.i18n import LANGUAGE_NAMES, current_language
from app.i18n import fast_gettext as _
from app.i18n import lazy_gettext as _l
from app.models import GroupKind
from app.services import as_sentence, translated
from app.web.forms import _at_most, _strip


class GameForm(FlaskForm):
    """A game's details."""

    name = StringField(
        _l("Game name"),
        [
            DataRequired(),
            _at_most(
                LIMITS.game_name,
                _l("A game's name can be up to %(max)d characters; this one has %(length)d."),
            ),
        ],
        filters=[_strip],
        description=_l("Up to %(max)d characters.", max=LIMITS.game_name),
        render_kw={"placeholder": _l("Kindness month")},
    )
    group_kind = RadioField(
        _l("This game is for a"),
        choices=[
            SelectChoice(GroupKind.TEAM, _l("team")),
            SelectChoice(GroupKind.CLASS, _l("class")),
        ],
        default=GroupKind.TEAM,
    )
    group_name = StringField(
        _l("Team or class name"),
        [Optional(), Length(max=LIMITS.group_name)],
        filters=[_strip],
        render_kw={"placeholder": _l("Design team")},
    )
    starts_on = DateField(
        _l("Starts on"), [DataRequired()], default=date.today, description=_l(game_dates.START_HINT)
    )
    ends_on = DateField(
        _l("Ends on"),
        [DataRequired()],
        default=lambda: date.today() + timedelta(days=28),
        description=_l(game_dates.END_HINT),
    )
    # Free text, as a teacher writes it ("about £5"), rather than an amount and a currency.
    budget = StringField(
        _l("Budget (optional)"),
        [
            Optional(),
            _at_most(
                LIMITS.budget,
                _l("A budget can be up to %(max)d characters; this one has %(length)d."),
            ),
        ],
        filters=[_strip],
        description=_l("For in-person kindnesses: “about £5”, “nothing bought”."),
    )
    exchange_on = DateField(
        _l("Exchange day (optional)"), [Optional()], description=_l(game_dates.EXCHANGE_HINT)
    )
    welcome = TextAreaField(
        _l("Welcome text for participants"),
        [Optional(), Length(max=LIMITS.welcome)],
        render_kw={"rows": 4},
    )
    avoid_repeat_mortals = BooleanField(
        _l("Where possible, nobody gets a mortal from my ended games")
    )
    allow_self_join = BooleanField(_l("Anyone with the game's public link may join"))
    reveal_at_end = BooleanField(
        _l("At the end, reveal to everyone who their angel was"), default=True
    )
    delivery_times = StringField(
        _l("Delivery rounds (local times of day)"),
        [DataRequired(), Length(max=LIMITS.delivery_times)],
        default="09:00, 15:00",
        filters=[_strip],
    )
    delivery_days = RadioField(
        _l("Deliver on"),
        choices=[
            SelectChoice(d.value, _l(label)) for d, label in delivery.DELIVERY_DAY_LABELS.items()
        ],
        default=delivery.DeliveryDays.EVERY.value,
    )
    timezone = StringField(
        _l("Time zone"),
        [DataRequired(), Length(max=LIMITS.timezone)],
        default="UTC",
        filters=[_strip],
        # A searchable list of every zone (a datalist in the page); typing a name works too.
        render_kw={"placeholder": "Europe/London", "list": "time-zones", "autocomplete": "off"},
    )
    # Invitations go out in it; each participant may then choose their own.
    language = SelectField(
        _l("Language of the invitations"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        # A new game starts in the language its organiser is reading the site in.
        default=current_language,
    )

    # The dates a game being edited has now (start, end); None for a new game.
    current_dates: tuple[date, date] | None = None

    def validate(self, extra_validators=None) -> bool:
        """The usual checks, then the game's own rules (name, dates, delivery times, zone),
        every error under its own field and all of them at once."""
        valid = super().validate(extra_validators)
        if self.name.data and not roster.clean_name(self.name.data):
            self.name.errors.append(_("Give the game a name."))
            valid = False
        for field, parse in (
            (self.delivery_times, delivery.parse_times),
            (self.timezone, delivery.parse_zone),
        ):
            problem = delivery.problem_with(parse, field.data) if field.data else None
            if problem and not field.errors:
                field.errors.append(as_sentence(problem))
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
                    field.errors.append(translated(problem))
                    valid = False
            exchange, start, end = self.exchange_on, self.starts_on.data, self.ends_on.data
            # Between two dates that are themselves refused, "between …" would name an
            # impossible range: the exchange day is checked once the dates are right.
            dates_right = not (problems.starts_on or problems.ends_on)
            if dates_right and (problem := game_dates.exchange_problem(exchange.data, start, end)):
                exchange.errors.append(translated(problem))
                valid = False
        return valid
