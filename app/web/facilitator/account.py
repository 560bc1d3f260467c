"""The facilitator's account: the front page, signing up, logging in and out, deleting it."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from app.extensions import limiter
from app.i18n import fast_gettext as _
from app.services import ServiceError, accounts
from app.web.facilitator.blueprint import bp
from app.web.forms import ActionForm, ConfirmNameForm, LoginForm, SignupForm
from app.web.language_forms import FOLLOW_BROWSER, AccountLanguageForm


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
            flash(_("Welcome! Create your first game."), "success")
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
            # Remembered for REMEMBER_COOKIE_DURATION; otherwise until the browser closes.
            login_user(facilitator, remember=bool(form.remember.data))
            return redirect(url_for("facilitator.game_list"))
        form.password.errors.append(_("That email and password do not match an account."))
    return render_template("facilitator/login.html", form=form)


@bp.post("/logout")
def logout():
    """Log out (a POST with CSRF, so no link can log someone out)."""
    if ActionForm().validate_on_submit():
        logout_user()
        flash(_("You are logged out."), "info")
    return redirect(url_for("facilitator.home"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """The facilitator's account: the language of her pages and emails (until she chooses one,
    they follow her browser)."""
    form = AccountLanguageForm()
    if not form.is_submitted():
        form.language.data = current_user.language or FOLLOW_BROWSER
    if form.validate_on_submit():
        accounts.set_language(current_user, form.language.data or None)
        # Said in the language just chosen: this page is answered in the new one.
        return redirect(url_for("facilitator.account", saved=1))
    saved = request.args.get("saved") == "1"
    return render_template("facilitator/account.html", form=form, saved=saved)


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    """Delete the account and all its games, once the facilitator has typed her name."""
    form = ConfirmNameForm()
    form.name.label.text = _("Type your name to confirm")
    if form.validate_on_submit():
        if form.name.data != current_user.name:
            form.name.errors.append(_("That is not the name on your account."))
        else:
            try:
                accounts.delete_account(current_user)
            except ServiceError as exc:
                flash(str(exc), "error")
                return redirect(url_for("facilitator.game_list"))
            logout_user()
            flash(_("Your account and all its games are deleted."), "info")
            return redirect(url_for("facilitator.home"))
    return render_template("facilitator/delete_account.html", form=form)
