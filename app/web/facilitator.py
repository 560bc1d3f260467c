"""The facilitator's pages: account, games, roster, exclusions, the draw."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from wtforms.fields.choices import SelectChoice

from app.extensions import db, limiter, login_manager
from app.models import Facilitator, Game
from app.services import (
    ServiceError,
    accounts,
    ending,
    experience,
    games,
    moderation,
    roster_changes,
)
from app.services.draw import draw_names
from app.services.kindness import drop_off_points
from app.web.forms import (
    ActionForm,
    ConfirmNameForm,
    DropOffForm,
    ExclusionForm,
    GameForm,
    IdeaForm,
    LateJoinerForm,
    LoginForm,
    ParticipantForm,
    RosterForm,
    SignupForm,
)

bp = Blueprint("facilitator", __name__)


@login_manager.user_loader
def _load_facilitator(user_id: str) -> Facilitator | None:
    return db.session.get(Facilitator, int(user_id)) if user_id.isdigit() else None


def _own_game(game_id: int) -> Game:
    """The current facilitator's game, or 404 — another facilitator's game does not exist here."""
    game = games.game_for(current_user, game_id)
    if game is None:
        abort(404)
    return game


def _details(form: GameForm) -> games.GameDetails:
    return games.GameDetails(
        name=form.name.data,
        group_kind=form.group_kind.data,
        group_name=form.group_name.data or "",
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        welcome=form.welcome.data or "",
        avoid_repeat_mortals=form.avoid_repeat_mortals.data,
        delivery_times=form.delivery_times.data,
        timezone=form.timezone.data,
        delivery_days=form.delivery_days.data or "every",
        allow_self_join=form.allow_self_join.data,
        reveal_at_end=form.reveal_at_end.data,
    )


def _login_email() -> str:
    """Rate-limit key: the account being tried *from this client*.

    Counting the address alone let anyone lock a facilitator out by typing wrong passwords for
    her address; counted with the client, a stranger only locks out himself.
    """
    address = (request.form.get("email") or "").strip().lower()
    return f"login:{address}:{get_remote_address()}"


@bp.route("/")
def home():
    """The front page, or the facilitator's games once logged in."""
    if current_user.is_authenticated:
        return redirect(url_for("facilitator.game_list"))
    return render_template("home.html")


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def signup():
    """Create a facilitator account."""
    form = SignupForm()
    if form.validate_on_submit():
        try:
            facilitator = accounts.sign_up(form.name.data, form.email.data, form.password.data)
        except ServiceError as exc:
            form.email.errors.append(str(exc))
        else:
            login_user(facilitator)
            flash("Welcome! Create your first game.", "success")
            return redirect(url_for("facilitator.new_game"))
    return render_template("facilitator/signup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@limiter.limit("30 per hour", methods=["POST"], key_func=_login_email)
def login():
    """Log in with email and password."""
    form = LoginForm()
    if form.validate_on_submit():
        facilitator = accounts.authenticate(form.email.data, form.password.data)
        if facilitator is not None:
            login_user(facilitator)
            return redirect(url_for("facilitator.game_list"))
        form.password.errors.append("That email and password do not match an account.")
    return render_template("facilitator/login.html", form=form)


@bp.post("/logout")
def logout():
    """Log out (a POST with CSRF, so no link can log someone out)."""
    if ActionForm().validate_on_submit():
        logout_user()
        flash("You are logged out.", "info")
    return redirect(url_for("facilitator.home"))


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    """Delete the account and all its games, once the facilitator has typed her name."""
    form = ConfirmNameForm()
    form.name.label.text = "Type your name to confirm"
    if form.validate_on_submit():
        if form.name.data != current_user.name:
            form.name.errors.append("That is not the name on your account.")
        else:
            try:
                accounts.delete_account(current_user)
            except ServiceError as exc:
                flash(str(exc), "error")
                return redirect(url_for("facilitator.game_list"))
            logout_user()
            flash("Your account and all its games are deleted.", "info")
            return redirect(url_for("facilitator.home"))
    return render_template("facilitator/delete_account.html", form=form)


@bp.route("/games")
@login_required
def game_list():
    """The facilitator's games."""
    return render_template("facilitator/games.html", games=games.games_of(current_user))


@bp.route("/games/new", methods=["GET", "POST"])
@login_required
def new_game():
    """Create a game."""
    form = GameForm()
    if form.validate_on_submit():
        try:
            game = games.create_game(current_user, _details(form))
        except ServiceError as exc:
            form.ends_on.errors.append(str(exc))
        else:
            flash("Game created. Now add the people who will play.", "success")
            return redirect(url_for("facilitator.game", game_id=game.id))
    return render_template("facilitator/game_form.html", form=form, game=None)


@bp.route("/games/<int:game_id>/edit", methods=["GET", "POST"])
@login_required
def edit_game(game_id: int):
    """Change a game's details."""
    game = _own_game(game_id)
    form = GameForm(obj=game)
    form.current_dates = (game.starts_on, game.ends_on)
    if form.validate_on_submit():
        try:
            games.update_game(game, _details(form))
        except ServiceError as exc:
            form.ends_on.errors.append(str(exc))
        else:
            flash("Saved.", "success")
            return redirect(url_for("facilitator.game", game_id=game.id))
    return render_template("facilitator/game_form.html", form=form, game=game)


def _render_game(
    game: Game, roster_form: RosterForm | None = None, problems=(), status=200, late_form=None
):
    people = games.roster_of(game)
    exclusion_form = ExclusionForm()
    choices = [SelectChoice(row.participant.id, row.participant.name) for row in people]
    exclusion_form.angel.choices = exclusion_form.mortal.choices = choices
    return render_template(
        "facilitator/game.html",
        game=game,
        people=people,
        problems=problems,
        roster_form=roster_form or RosterForm(),
        exclusion_form=exclusion_form,
        exclusions=games.exclusions_of(game) if game.is_draft else [],
        drop_offs=drop_off_points(game),
        drop_off_form=DropOffForm(),
        late_form=late_form or LateJoinerForm(),
        game_ideas=experience.game_ideas(game),
        idea_form=IdeaForm(),
        open_reports=moderation.open_report_count(game),
        guesses=ending.guess_summary(game) if game.state == "ended" else None,
        min_count=ending.secret_crowd(),
        action=ActionForm(),
        me_on_roster=current_user.email.lower() in {row.participant.email_key for row in people},
    ), status


@bp.route("/games/<int:game_id>")
@login_required
def game(game_id: int):
    """The game page: roster, exclusions and the draw button (before); delivery status (after)."""
    return _render_game(_own_game(game_id))


@bp.post("/games/<int:game_id>/participants")
@login_required
def add_participants(game_id: int):
    """Add pasted lines and/or a CSV; bad lines come back in the box with their reasons."""
    game = _own_game(game_id)
    form = RosterForm()
    if not form.validate_on_submit():
        return _render_game(game, form, status=400)
    upload = form.csv_file.data.read() if form.csv_file.data else None
    try:
        reading = games.read_and_add(game, form.lines.data or "", upload)
    except ServiceError as exc:
        flash(str(exc), "error")
        return _render_game(game, form, status=400)
    if reading.entries:
        count = len(reading.entries)
        flash(f"Added {count} {'person' if count == 1 else 'people'}.", "success")
    if reading.problems:
        form.lines.data = reading.leftover_text
        return _render_game(game, form, reading.problems, 200 if reading.entries else 400)
    if not reading.entries:
        flash("Paste some lines or choose a CSV file first.", "error")
    return redirect(url_for("facilitator.game", game_id=game.id))


@bp.post("/games/<int:game_id>/add-me")
@login_required
def add_me(game_id: int):
    """Put the facilitator on the roster: they then play like everyone else."""
    game = _own_game(game_id)
    if ActionForm().validate_on_submit():
        try:
            reading = games.read_and_add(game, f"{current_user.name} <{current_user.email}>", None)
        except ServiceError as exc:  # e.g. a tab left open from before the draw
            flash(str(exc), "error")
            return redirect(url_for("facilitator.game", game_id=game.id))
        for problem in reading.problems:
            flash(f"Could not add you: {problem.reason}.", "error")
        if reading.entries:
            flash("You are on the roster. Your link arrives by email after the draw.", "success")
    return redirect(url_for("facilitator.game", game_id=game.id))


@bp.route("/games/<int:game_id>/participants/<int:participant_id>", methods=["GET", "POST"])
@login_required
def edit_participant(game_id: int, participant_id: int):
    """Fix someone's name or email before the draw."""
    game = _own_game(game_id)
    person = games.participant_in(game, participant_id) or abort(404)
    form = ParticipantForm(obj=person)
    if form.validate_on_submit():
        try:
            if game.is_draft:
                games.update_participant(game, person, form.name.data, form.email.data)
            else:
                roster_changes.resend_invitation(game, person, form.name.data, form.email.data)
        except ServiceError as exc:
            form.email.errors.append(str(exc))
        else:
            flash(
                "Saved."
                if game.is_draft
                else f"A new invitation is on its way to "
                f"{person.email}; the old link no longer works.",
                "success",
            )
            return redirect(url_for("facilitator.game", game_id=game.id))
    return render_template(
        "facilitator/participant.html", form=form, game=game, person=person, action=ActionForm()
    )


@bp.post("/games/<int:game_id>/participants/<int:participant_id>/remove")
@login_required
def remove_participant(game_id: int, participant_id: int):
    """Take someone off the roster before the draw."""
    game = _own_game(game_id)
    person = games.participant_in(game, participant_id) or abort(404)
    if ActionForm().validate_on_submit():
        try:
            games.remove_participant(game, person)
            flash(f"Removed {person.name}.", "success")
        except ServiceError as exc:
            flash(str(exc), "error")
    return redirect(url_for("facilitator.game", game_id=game.id))


@bp.post("/games/<int:game_id>/exclusions")
@login_required
def add_exclusion(game_id: int):
    """Keep two people apart."""
    game = _own_game(game_id)
    form = ExclusionForm()
    angel = games.participant_in(game, request.form.get("angel", type=int) or 0)
    mortal = games.participant_in(game, request.form.get("mortal", type=int) or 0)
    if not ActionForm().validate_on_submit() or angel is None or mortal is None:
        flash("Choose two people from the roster.", "error")
    else:
        try:
            games.add_exclusion(game, angel, mortal, form.direction.data != "one")
            flash("Exclusion saved.", "success")
        except ServiceError as exc:
            flash(str(exc), "error")
    return redirect(url_for("facilitator.game", game_id=game.id) + "#exclusions")


@bp.post("/games/<int:game_id>/exclusions/<int:exclusion_id>/remove")
@login_required
def remove_exclusion(game_id: int, exclusion_id: int):
    """Drop an exclusion."""
    game = _own_game(game_id)
    if ActionForm().validate_on_submit():
        try:
            if not games.remove_exclusion(game, exclusion_id):
                abort(404)
        except ServiceError as exc:
            flash(str(exc), "error")
    return redirect(url_for("facilitator.game", game_id=game.id) + "#exclusions")


@bp.post("/games/<int:game_id>/draw")
@login_required
def draw(game_id: int):
    """Draw names once. A second press, tab or worker gets a clear message and changes nothing."""
    game = _own_game(game_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        count = draw_names(game)
    except ServiceError as exc:
        flash(str(exc), "error")
        return _render_game(game, status=409)
    flash(f"Names drawn! {count} invitations are on their way.", "success")
    return redirect(url_for("facilitator.game", game_id=game.id))


@bp.post("/games/<int:game_id>/drop-offs")
@login_required
def add_drop_off(game_id: int):
    """Name a drop-off point for items couriers collect."""
    game = _own_game(game_id)
    form = DropOffForm()
    try:
        games.add_drop_off(game, form.name.data if form.validate_on_submit() else "")
        flash("Drop-off point added.", "success")
    except ServiceError as exc:
        flash(str(exc), "error")
    return redirect(url_for("facilitator.game", game_id=game.id) + "#drop-offs")


@bp.post("/games/<int:game_id>/drop-offs/<int:point_id>/remove")
@login_required
def remove_drop_off(game_id: int, point_id: int):
    """Retire a drop-off point."""
    game = _own_game(game_id)
    if ActionForm().validate_on_submit() and not games.remove_drop_off(game, point_id):
        abort(404)
    return redirect(url_for("facilitator.game", game_id=game.id) + "#drop-offs")


@bp.post("/games/<int:game_id>/late-joiners")
@login_required
def add_late_joiners(game_id: int):
    """Bring people into a running game; bad lines come back in the box."""
    game = _own_game(game_id)
    form = LateJoinerForm()
    if not form.validate_on_submit():
        return _render_game(game, status=400, late_form=form)
    upload = form.csv_file.data.read() if form.csv_file.data else None
    if not (form.lines.data or "").strip() and not upload:
        flash("Paste some lines or choose a CSV file first.", "error")
        return _render_game(game, status=400, late_form=form)
    try:
        reading = roster_changes.add_late_joiners(game, form.lines.data or "", csv_data=upload)
    except ServiceError as exc:
        flash(str(exc), "error")
        return _render_game(game, status=409, late_form=form)
    if reading.entries:
        count = len(reading.entries)
        flash(
            f"Added {count} {'person' if count == 1 else 'people'} to the circle. Only they and "
            "the people whose mortal changed were told.",
            "success",
        )
    if reading.problems:
        form.lines.data = reading.leftover_text
        return _render_game(
            game, problems=reading.problems, late_form=form, status=200 if reading.entries else 400
        )
    return redirect(url_for("facilitator.game", game_id=game.id))


@bp.post("/games/<int:game_id>/participants/<int:participant_id>/withdraw")
@login_required
def withdraw(game_id: int, participant_id: int):
    """Take someone out of a running game; the circle is rearranged around them."""
    game = _own_game(game_id)
    person = games.participant_in(game, participant_id) or abort(404)
    if ActionForm().validate_on_submit():
        try:
            roster_changes.withdraw(game, person)
        except ServiceError as exc:
            flash(str(exc), "error")
            return redirect(
                url_for("facilitator.edit_participant", game_id=game.id, participant_id=person.id)
            )
        flash(
            f"{person.name} has left the game. The circle was repaired and only the people "
            "whose mortal changed were told.",
            "success",
        )
    return redirect(url_for("facilitator.game", game_id=game.id))


@bp.post("/games/<int:game_id>/ideas")
@login_required
def add_idea(game_id: int):
    """Add a kindness idea for this game's angels."""
    game = _own_game(game_id)
    form = IdeaForm()
    try:
        if not form.validate_on_submit() and "csrf_token" in form.errors:
            abort(400)
        experience.add_game_idea(game, form.text.data or "")
        flash("Idea added. Angels see it among their suggestions.", "success")
    except ServiceError as exc:
        flash(str(exc), "error")
    return redirect(url_for("facilitator.game", game_id=game.id) + "#ideas")


@bp.post("/games/<int:game_id>/ideas/<int:idea_id>/remove")
@login_required
def remove_idea(game_id: int, idea_id: int):
    """Remove one of the game's own ideas."""
    game = _own_game(game_id)
    if ActionForm().validate_on_submit() and not experience.remove_game_idea(game, idea_id):
        abort(404)
    return redirect(url_for("facilitator.game", game_id=game.id) + "#ideas")
