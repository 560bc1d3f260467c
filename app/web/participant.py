"""The participant's side: the private link, swapped for a session, and their pages."""

from __future__ import annotations

from functools import wraps

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from wtforms.fields.choices import SelectChoice

from app.domain.limits import LIMITS
from app.extensions import csrf, limiter
from app.models import CourierState, GameState, KindnessState
from app.services import (
    ServiceError,
    circle,
    couriers,
    ending,
    links,
    moderation,
    notes,
    participants,
    responses,
    setup,
)
from app.services import inbox as inbox_service
from app.services import journal as journal_service
from app.services import preferences as preferences_service
from app.tokens import PREFERENCES_LINK_SALT, BadLink
from app.web.forms import (
    ActionForm,
    GuessForm,
    HintsForm,
    InPersonForm,
    JournalEntryForm,
    JournalValueForm,
    NoteForm,
    PreferencesForm,
    ReportForm,
    ThanksForm,
    max_length,
)

bp = Blueprint("participant", __name__)

SESSION_KEY = "participant"


def _token_in_address(view):
    """For pages whose address holds a token: no Referer at all leaves them (not even to us).

    Their POSTs are exempt from Flask-WTF's global check, whose HTTPS Referer test would refuse
    a form on a no-referrer page; each such view checks the CSRF token through its form.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return csrf.exempt(wrapper)


def _bad_link():
    return render_template("participant/bad_link.html"), 404


@bp.route("/p/<token>", methods=["GET", "POST"])
@_token_in_address
def open_link(token: str):
    """GET: an "Open my page" button, and nothing else happens (mail scanners prefetch links).

    POST: swap the link for a session of this browser, and drop the token from the address bar.
    """
    form = ActionForm()
    try:
        if not form.validate_on_submit():
            links.check_link(token)
            status = 400 if form.is_submitted() else 200
            return render_template("participant/open.html", form=form), status
        key = links.open_session(token, request.user_agent.string)
    except BadLink:
        return _bad_link()
    old = session.get(SESSION_KEY)
    if isinstance(old, dict):
        links.end_session(old.get("s"))  # someone else's page was open in this browser
    session[SESSION_KEY] = {"id": key.public_id, "s": key.secret}
    session.permanent = True
    return redirect(url_for("participant.me"))


@bp.route("/prefs/<token>", methods=["GET", "POST"])
@_token_in_address
def open_preferences(token: str):
    """The one-click link in every email: email preferences only, from the token itself.

    It opens no session and leads nowhere else, so a forwarded email shows no mortal.
    """
    try:
        person = links.check_link(token, PREFERENCES_LINK_SALT)
    except BadLink:
        return _bad_link()
    form = PreferencesForm()
    if not form.is_submitted():
        form.email_preference.data = person.email_preference
        form.reminders.data = person.reminders
    if form.validate_on_submit():
        try:
            preferences_service.set_preferences(
                person, form.email_preference.data, form.reminders.data
            )
        except ServiceError as exc:
            flash(str(exc), "error")
        else:
            flash("Saved.", "success")
            return redirect(url_for("participant.open_preferences", token=token))
    status = 400 if form.is_submitted() else 200
    return render_template("participant/preferences_link.html", person=person, form=form), status


def participant_required(view):
    """Load the session's participant into g.me, or show the friendly bad-link page.

    The session must still exist on the server: logging out, "sign out everywhere" and the
    facilitator's revocation delete it, so a replayed cookie opens nothing.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        data = session.get(SESSION_KEY)
        data = data if isinstance(data, dict) else {}
        g.me = links.participant_for_session(data.get("id"), data.get("s"))
        if g.me is None:
            session.pop(SESSION_KEY, None)
            return render_template("participant/bad_link.html"), 404
        try:
            return view(*args, **kwargs)
        except LookupError:
            abort(404)  # another participant's kindness or request is not there for you

    return wrapper


def _done(message: str, endpoint: str):
    flash(message, "success")
    return redirect(url_for(endpoint))


def _refused(exc: ServiceError, endpoint: str):
    flash(str(exc), "error")
    return redirect(url_for(endpoint))


@bp.route("/me")
@participant_required
def me():
    """The participant's home: their mission and what is waiting for them."""
    return render_template(
        "participant/me.html",
        page=participants.page_for(g.me),
        first_opened=participants.first_opened(g.me),
        action=ActionForm(),
        reveal=ending.reveal_for(g.me),
        crowd=ending.secret_crowd(),
        hints=_mortal_hints(),
        counts=participants.home_counts(g.me),
    )


def _cursors() -> tuple[str | None, str | None]:
    """The page of a list asked for: `?before=<cursor>` (older) or `?after=<cursor>` (newer)."""
    return request.args.get("before"), request.args.get("after")


def _mortal_hints():
    return preferences_service.mortal_hints(g.me)


def _note_form() -> NoteForm:
    form = NoteForm()
    form.when.choices = [SelectChoice("next", "The next delivery round")] + [
        SelectChoice(day.isoformat(), day.strftime("%A %-d %B"))
        for day in notes.delivery_days(g.me.game)
    ]
    return form


def _in_person_form() -> InPersonForm:
    form = InPersonForm()
    form.drop_off.choices = [SelectChoice(0, "No item to leave")] + [
        SelectChoice(p.id, p.name) for p in setup.drop_off_points(g.me.game)
    ]
    return form


@bp.route("/me/angel")
@participant_required
def angel():
    """Being an angel: write a note, arrange an in-person kindness, see what was sent.

    `?idea=<key>` ("Use this idea") pre-fills the matching form.
    """
    note_form, in_person_form = _note_form(), _in_person_form()
    idea = setup.idea_by_key(g.me.game, request.args.get("idea", ""))
    if idea is not None:
        (in_person_form.instruction if idea.in_person else note_form.message).data = idea.text
    return _angel_page(note_form, in_person_form)


def _angel_page(note_form, in_person_form, status=200):
    page, hints = participants.page_for(g.me), _mortal_hints()
    return render_template(
        "participant/angel.html",
        suggestion=setup.suggestion_for(g.me, hint=hints),
        page=page,
        hints=hints,
        note_form=note_form,
        in_person_form=in_person_form,
        sent=notes.sent_page(g.me, *_cursors()),
        action=ActionForm(),
        running=g.me.game.state == GameState.RUNNING and page.mortal_name is not None,
    ), status


def _participant_key() -> str:
    """Rate-limit key: the participant in the session (their link), else the client address."""
    data = session.get(SESSION_KEY) or {}
    return "participant:" + str(data.get("id") or request.remote_addr)


@bp.post("/me/angel/note")
@limiter.limit("30 per hour", key_func=_participant_key)
@participant_required
def send_note():
    """Schedule a note; what was typed stays in the form if it cannot be sent."""
    form = _note_form()
    if form.validate_on_submit():
        from datetime import date

        on_day = None if form.when.data == "next" else date.fromisoformat(form.when.data)
        try:
            note = notes.send_note(g.me, form.message.data, on_day)
        except ServiceError as exc:
            flash(str(exc), "error")
        else:
            return _done(
                f"Your note is on its way: it arrives in the {note.round_label}.",
                "participant.angel",
            )
    return _angel_page(form, _in_person_form(), 400)


@bp.post("/me/angel/in-person")
@limiter.limit("30 per hour", key_func=_participant_key)
@participant_required
def request_in_person():
    """Ask for an in-person kindness, carried by a courier."""
    form = _in_person_form()
    if form.validate_on_submit():
        try:
            item = notes.request_in_person(
                g.me, form.instruction.data, form.message.data or "", form.drop_off.data or None
            )
        except ServiceError as exc:
            flash(str(exc), "error")
        else:
            if item.state == KindnessState.UNDELIVERABLE:
                flash(
                    "No courier is available right now. You can send it as a note instead.", "error"
                )
                return redirect(url_for("participant.angel"))
            if item.claim_code:
                return _done(
                    f"Now leave the item at {item.drop_off.name}, marked {item.claim_code}, "
                    "and press “I've left it” below. A courier is asked only after that.",
                    "participant.angel",
                )
            return _done(
                "A courier will be asked in the next delivery round. You'll see here when "
                "it's delivered.",
                "participant.angel",
            )
    return _angel_page(_note_form(), form, 400)


@bp.post("/me/angel/<public_id>/cancel")
@participant_required
def cancel(public_id: str):
    """Cancel a kindness that has not been delivered yet."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        notes.cancel(g.me, public_id)
    except ServiceError as exc:
        return _refused(exc, "participant.angel")
    return _done("Cancelled.", "participant.angel")


@bp.post("/me/angel/<public_id>/left")
@participant_required
def mark_left(public_id: str):
    """The angel has left the item at the drop-off point: now a courier may be asked."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        notes.mark_left(g.me, public_id)
    except ServiceError as exc:
        return _refused(exc, "participant.angel")
    return _done(
        "Thank you! A courier will be asked in the next delivery round.", "participant.angel"
    )


@bp.post("/me/angel/<public_id>/as-note")
@participant_required
def as_note(public_id: str):
    """Turn an in-person kindness nobody could carry into a note."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        note = notes.convert_to_note(g.me, public_id)
    except ServiceError as exc:
        return _refused(exc, "participant.angel")
    return _done(f"Sent as a note: it arrives in the {note.round_label}.", "participant.angel")


@bp.route("/me/inbox")
@participant_required
def inbox():
    """Kindnesses received, a page at a time. Opening a page marks what it shows read."""
    return _inbox_page()


def _inbox_page(kept: dict | None = None, status: int = 200):
    """The inbox; `kept` holds a refused thanks or report so its text stays in its box."""
    page = inbox_service.inbox_of(g.me, *_cursors())
    items = [(k, thanks) for k, thanks, _ in page.items]
    unread = {k.id for k, _ in items if k.read_at is None}
    reported = {k.id for k, _, was_reported in page.items if was_reported}
    if kept and not any(
        k.public_id == kept["public_id"]
        and (thanks is None if kept["step"] == "thanks" else k.id not in reported)
        for k, thanks in items
    ):
        flash(kept["error"], "error")  # no box on the page to keep the text in
    response = render_template(
        "participant/inbox.html",
        page=participants.page_for(g.me),
        items=items,
        paged=page,
        unread=unread,
        reported=reported,
        thanks_form=ThanksForm(),
        report_form=ReportForm(),
        kept=kept or {},
    )
    if unread:
        inbox_service.mark_inbox_read(g.me, sorted(unread))  # only what this page showed
    return response, status


EMPTY = {
    "thanks": "Write a few words of thanks first (up to {limit} characters).",
    "report": "Say briefly what was wrong (up to {limit} characters).",
}
TOO_LONG = {
    "thanks": "Thanks can be up to {limit} characters; yours is {length}. Shorten it a little.",
    "report": "A report can be up to {limit} characters; yours is {length}. Shorten it a little.",
}


def _kept(public_id: str, step: str, text: str | None, limit: int) -> dict:
    """What to show again beside a refused thanks or report: the text and why it was refused."""
    text = text or ""
    error = (TOO_LONG if text.strip() else EMPTY)[step].format(limit=limit, length=len(text))
    return {"public_id": public_id, "step": step, "text": text, "error": error}


@bp.post("/me/inbox/<public_id>/thanks")
@participant_required
def thank(public_id: str):
    """Thank "my angel" for one kindness."""
    form = ThanksForm()
    if not form.validate_on_submit():
        kept = _kept(public_id, "thanks", form.message.data, max_length(form.message))
        return _inbox_page(kept, 400)
    try:
        responses.thank(g.me, public_id, form.message.data)
    except ServiceError as exc:
        return _refused(exc, "participant.inbox")
    return _done("Your thanks is on its way to your angel.", "participant.inbox")


@bp.post("/me/inbox/<public_id>/report")
@participant_required
def report(public_id: str):
    """Report a kindness that was hurtful."""
    return _report(public_id, as_courier=False, endpoint="participant.inbox")


def _report(public_id: str, as_courier: bool, endpoint: str):
    form = ReportForm()
    if not form.validate_on_submit():
        kept = _kept(public_id, "report", form.reason.data, max_length(form.reason))
        if as_courier:
            return _deliveries_page(kept, 400)
        return _inbox_page(kept, 400)
    try:
        responses.report(g.me, public_id, form.reason.data, as_courier=as_courier)
    except ServiceError as exc:
        return _refused(exc, endpoint)
    return _done("Thank you for telling us. The organiser will look at it.", endpoint)


@bp.route("/me/deliveries")
@participant_required
def deliveries():
    """Kindnesses this participant is asked to carry as a courier — never who sent them."""
    return _deliveries_page()


def _deliveries_page(kept: dict | None = None, status: int = 200):
    """The courier's deliveries; `kept` holds a refused report so its text stays in its box."""
    page = couriers.deliveries_page(g.me, *_cursors())
    requests = page.items
    reported = responses.reported_by(g.me, [k.id for _, k, _ in requests])
    if kept and not any(
        r.public_id == kept["public_id"] and r.state != CourierState.DONE and k.id not in reported
        for r, k, _ in requests
    ):
        flash(kept["error"], "error")  # no box on the page to keep the text in
    return (
        render_template(
            "participant/deliveries.html",
            page=participants.page_for(g.me),
            requests=requests,
            paged=page,
            action=ActionForm(),
            report_form=ReportForm(),
            reported=reported,
            kept=kept or {},
        ),
        status,
    )


@bp.post("/me/deliveries/<public_id>/<step>")
@participant_required
def courier_step(public_id: str, step: str):
    """Accept, decline, mark done, or report a delivery."""
    if step == "report":
        return _report(public_id, as_courier=True, endpoint="participant.deliveries")
    actions = {
        "accept": (couriers.accept, "Thank you! Deliver it when you can, then mark it done."),
        "decline": (couriers.decline, "No problem — another courier will be asked."),
        "done": (couriers.mark_done, "Delivered. Thank you for keeping the secret!"),
    }
    if step not in actions or not ActionForm().validate_on_submit():
        abort(404 if step not in actions else 400)
    action, message = actions[step]
    try:
        action(g.me, public_id)
    except ServiceError as exc:
        return _refused(exc, "participant.deliveries")
    return _done(message, "participant.deliveries")


@bp.route("/me/hints", methods=["GET", "POST"])
@participant_required
def hints():
    """What brightens my day (only my angel sees it), and courier duty."""
    form = HintsForm(obj=preferences_service.hints_of(g.me))
    if not form.is_submitted():
        form.courier_opt_out.data = g.me.courier_opt_out
    if form.validate_on_submit():
        try:
            preferences_service.save_hints(
                g.me,
                brightens=form.brightens.data or "",
                favourite_treat=form.favourite_treat.data or "",
                avoid=form.avoid.data or "",
                appreciated_by=form.appreciated_by.data or "",
            )
            preferences_service.set_courier_opt_out(g.me, form.courier_opt_out.data)
        except ServiceError as exc:
            flash(str(exc), "error")
        else:
            return _done("Saved. Only your angel sees your hints.", "participant.hints")
    return render_template("participant/hints.html", page=participants.page_for(g.me), form=form)


@bp.route("/me/guess", methods=["GET", "POST"])
@participant_required
def guess():
    """Guess who your angel is (before the end), and choose whether to stay secret yourself."""
    form = GuessForm()
    form.guess.choices = [SelectChoice(0, "I'd rather not guess")] + [
        SelectChoice(pid, name) for pid, name in ending.guess_choices(g.me)
    ]
    if not form.is_submitted():
        form.guess.data = g.me.guess_id or 0
    if form.validate_on_submit():
        try:
            ending.set_guess(g.me, form.guess.data or None)
        except ServiceError as exc:
            return _refused(exc, "participant.guess")
        return _done(
            "Your guess is saved. Only you will see whether it was right.", "participant.guess"
        )
    return render_template(
        "participant/guess.html",
        page=participants.page_for(g.me),
        form=form,
        action=ActionForm(),
        crowd=ending.secret_crowd(),
    )


@bp.post("/me/stay-secret")
@participant_required
def stay_secret():
    """Toggle staying unknown to your mortal even at the reveal."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        ending.set_stay_secret(g.me, not g.me.stay_secret)
    except ServiceError as exc:
        return _refused(exc, "participant.guess")
    return _done(
        "You will stay secret, even at the reveal."
        if g.me.stay_secret
        else "Your mortal will learn it was you, if the game reveals angels at the end "
        "and you are not drawn to stay secret with those who chose it.",
        "participant.guess",
    )


@bp.route("/me/rules")
@participant_required
def rules():
    """How the game works and what stays secret, with how many senders the organiser has
    revealed so far."""
    return render_template(
        "participant/rules.html",
        page=participants.page_for(g.me),
        reveals=moderation.reveal_count(g.me.game),
        crowd=ending.secret_crowd(),
    )


@bp.route("/me/leave", methods=["GET", "POST"])
@participant_required
def leave():
    """Leave the game, after a confirmation page."""
    form = ActionForm()
    if form.validate_on_submit():
        try:
            circle.withdraw(g.me.game, g.me)
        except ServiceError as exc:
            return _refused(exc, "participant.me")
        session.pop(SESSION_KEY, None)
        return render_template("participant/left.html", game=g.me.game)
    return render_template("participant/leave.html", page=participants.page_for(g.me), form=form)


@bp.route("/me/preferences", methods=["GET", "POST"])
@participant_required
def preferences():
    """Email preferences and reminders."""
    form = PreferencesForm()
    if not form.is_submitted():
        form.email_preference.data = g.me.email_preference
        form.reminders.data = g.me.reminders
    if form.validate_on_submit():
        try:
            preferences_service.set_preferences(
                g.me, form.email_preference.data, form.reminders.data
            )
        except ServiceError as exc:
            return _refused(exc, "participant.preferences")
        return _done("Saved.", "participant.preferences")
    return render_template(
        "participant/preferences.html", page=participants.page_for(g.me), form=form
    )


@bp.route("/me/journal", methods=["GET", "POST"])
@participant_required
def journal():
    """A private journal: a value to live by and dated entries. Only its author reads it."""
    value_form, entry_form = JournalValueForm(prefix="value"), JournalEntryForm(prefix="entry")
    if not value_form.is_submitted():
        value_form.value.data = g.me.journal_value
    if entry_form.validate_on_submit():
        try:
            journal_service.add_journal_entry(
                g.me, entry_form.day.data, entry_form.did.data or "", entry_form.felt.data or ""
            )
        except ServiceError as exc:
            flash(str(exc), "error")
        else:
            return _done("Saved to your journal.", "participant.journal")
    return render_template(
        "participant/journal.html",
        page=participants.page_for(g.me),
        value_form=value_form,
        entry_form=entry_form,
        entries=journal_service.journal_page(g.me, *_cursors()),
        values=journal_service.VALUES,
        action=ActionForm(),
    )


@bp.post("/me/journal/value")
@participant_required
def journal_value():
    """Choose the value to live by."""
    form = JournalValueForm(prefix="value")
    if not form.validate_on_submit():
        return _refused(
            ServiceError(f"Keep the value short — up to {LIMITS.journal_value} characters."),
            "participant.journal",
        )
    try:
        journal_service.set_journal_value(g.me, form.value.data or "")
    except ServiceError as exc:
        return _refused(exc, "participant.journal")
    return _done("Saved.", "participant.journal")


@bp.post("/me/journal/<int:entry_id>/delete")
@participant_required
def delete_journal_entry(entry_id: int):
    """Delete one of your own entries."""
    if not ActionForm().validate_on_submit():
        abort(400)
    if not journal_service.delete_journal_entry(g.me, entry_id):
        abort(404)
    return _done("Entry deleted.", "participant.journal")


@bp.route("/me/journal.<any(md, txt):fmt>")
@participant_required
def download_journal(fmt: str):
    """Download the journal as Markdown or plain text."""
    export = journal_service.export_journal(g.me, markdown=fmt == "md")
    response = make_response(export.body)
    response.headers["Content-Type"] = f"{export.mimetype}; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@bp.post("/me/logout")
def logout():
    """End this browser's session, on the server too: a copy of the cookie opens nothing.

    Other browsers stay signed in (a phone is not signed out by logging out of a shared
    computer); "sign out everywhere" ends them all.
    """
    if ActionForm().validate_on_submit():
        data = session.pop(SESSION_KEY, None)
        links.end_session(data.get("s") if isinstance(data, dict) else None)
    return render_template("participant/logged_out.html")


@bp.post("/me/sign-out-everywhere")
@participant_required
def sign_out_everywhere():
    """End every session, revoke every link, and email a fresh link to get back in."""
    if not ActionForm().validate_on_submit():
        abort(400)
    links.sign_out_everywhere(g.me)
    session.pop(SESSION_KEY, None)
    return render_template("participant/signed_out_everywhere.html")
