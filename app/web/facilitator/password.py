"""A forgotten password: ask for a link by email, then choose a new password through it."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from app.domain.limits import LIMITS
from app.extensions import limiter
from app.i18n import fast_gettext as _
from app.i18n import lazy_gettext as _l
from app.services import accounts
from app.tokens import BadLink
from app.web.facilitator.blueprint import bp


class ForgotPasswordForm(FlaskForm):
    """The address of the account whose password was forgotten."""

    email = EmailField(
        _l("Your account's email"),
        [DataRequired(), Email(), Length(max=LIMITS.email)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )


class NewPasswordForm(FlaskForm):
    """A new password, typed twice."""

    password = PasswordField(
        _l("New password (at least 10 characters)"), [DataRequired(), Length(min=10)]
    )
    confirm = PasswordField(
        _l("New password again"), [DataRequired(), EqualTo("password", _l("The passwords differ."))]
    )


def _address_asked() -> str:
    """Rate-limit key: the address a link is asked for, from any client, so nobody can fill
    a facilitator's inbox with reset emails."""
    return "reset:" + (request.form.get("email") or "").strip().lower()


@bp.route("/login/forgot", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
@limiter.limit("5 per hour", methods=["POST"], key_func=_address_asked)
def forgot_password():
    """Ask for a password-reset link; the answer never says whether the account exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        return render_template("facilitator/forgot_sent.html", email=form.email.data)
    return render_template("facilitator/forgot.html", form=form)


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def reset_password(token: str):
    """Choose a new password through an emailed link, then be logged in."""
    try:
        accounts.facilitator_for_reset(token)
    except BadLink:
        return render_template("facilitator/reset_bad.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            facilitator = accounts.reset_password(token, form.password.data)
        except BadLink:
            return render_template("facilitator/reset_bad.html"), 404
        login_user(facilitator)
        flash(_("Your new password is set, and you are logged in."), "success")
        return redirect(url_for("facilitator.game_list"))
    return render_template("facilitator/reset.html", form=form)
