"""The whole game in a real browser, against the app served for real, with real mail.

A facilitator signs up, creates a game, pastes five people and draws names. An angel opens the
link from their invitation email, saves hints and sends a note. The test moves the clock to the
note's delivery moment; the mortal opens the link from their own email in a separate browser,
reads the note and thanks "my angel"; the angel sees the thanks; the facilitator sees every
invitation sent. Every page is screenshotted at phone and laptop widths under
test-artifacts/screenshots/.

The story is played twice: in English, and in French — the organiser's browser asks for French,
so her pages and her new game (the language its invitations are written in) are French, and
the participants' pages and emails follow their game's language although their own browsers ask
for English. Every label the test clicks is the one the reader's language shows (read from the
catalogue), and each French page, email and round name is checked to really be French.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, timedelta
from pathlib import Path

import pytest
import time_machine
from flask_babel import force_locale, gettext, ngettext
from sqlalchemy import select

from app.extensions import db
from app.i18n import round_name
from app.mail.outbox import send_due
from app.models import Game, Kindness, Thanks
from tests.mail.smtp_support import text_and_html

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 800}

PEOPLE = [
    ("Ada Lovelace", "ada@example.org"),
    ("Grace Hopper", "grace@example.org"),
    ("Alan Turing", "alan@example.org"),
    ("Katherine Johnson", "katherine@example.org"),
    ("Edsger Dijkstra", "edsger@example.org"),
]
NAME_OF = {email: name for name, email in PEOPLE}
EMAIL_OF = {name: email for name, email in PEOPLE}
FACILITATOR = ("Fran Facilitator", "fran@example.org", "correct horse battery")
NOTE = "Your smile in the stand-up made my morning. Keep being you!"
THANKS = "Thank you, angel, that note made my whole week."


class Words:
    """What the pages and emails say, in the language the story is played in."""

    def __init__(self, app, lang: str) -> None:
        self.app, self.lang = app, lang

    def __call__(self, msgid: str, **values) -> str:
        with self.app.test_request_context("/"), force_locale(self.lang):
            return gettext(msgid, **values)

    def plural(self, singular: str, plural: str, n: int, **values) -> str:
        """The form for `n`, tags taken out (the page's visible text)."""
        with self.app.test_request_context("/"), force_locale(self.lang):
            return re.sub(r"<[^>]+>", "", ngettext(singular, plural, n, **values))

    def round(self, label: str) -> str:
        """A stored delivery round as this language names it."""
        with self.app.test_request_context("/"), force_locale(self.lang):
            return round_name(label)


def visible(page) -> str:
    """The page's visible text, its white space made single."""
    return " ".join(page.locator("body").inner_text().split())


class Pages:
    """Checks every page a browser context shows and screenshots it at both widths."""

    def __init__(self, page, who: str, forbidden: tuple[str, ...] = (), lang: str = "en") -> None:
        self.page = page
        self.who = who
        self.forbidden = forbidden
        self.lang = lang
        self.server_errors: list[str] = []
        page.on(
            "response",
            lambda r: self.server_errors.append(f"{r.status} {r.url}") if r.status >= 500 else None,
        )

    def check(self, step: str) -> None:
        """No stack trace, no forbidden name, a CSRF token in every POST form; screenshots."""
        page = self.page
        html = page.content()
        assert "Traceback" not in html, f"{step}: a stack trace is on the page"
        lang = page.locator("html").get_attribute("lang")
        assert lang == self.lang, f"{step}: the page is in {lang!r}, not {self.lang!r}"
        for name in self.forbidden:
            assert name not in html, f"{step}: {self.who}'s page shows {name!r}"
        forms = page.locator("form[method=post], form[method=POST]")
        for i in range(forms.count()):
            token = forms.nth(i).locator("input[name=csrf_token]")
            assert token.count() == 1, f"{step}: POST form #{i} has no CSRF token"
            assert token.first.get_attribute("value"), f"{step}: POST form #{i} has an empty token"
        assert not self.server_errors, f"{step}: server errors {self.server_errors}"
        for label, size in (("phone", PHONE), ("laptop", LAPTOP)):
            page.set_viewport_size(size)
            prefix = "" if self.lang == "en" else f"{self.lang}-"
            page.screenshot(path=str(SHOTS / f"{prefix}{step}-{label}.png"), full_page=True)

    def submit(self, button, expect: int = 200):
        """Click a submit button and wait for the page it leads to (after redirects)."""
        with self.page.expect_navigation() as nav:
            button.click()
        response = nav.value
        assert response is not None and response.status == expect, (
            f"{self.page.url}: expected {expect}, got {response and response.status}"
        )
        return response

    def goto(self, url: str, expect: int = 200):
        response = self.page.goto(url)
        assert response is not None and response.status == expect, (
            f"{url}: expected {expect}, got {response and response.status}"
        )
        return response


def wait_for_mail(smtp, predicate, count: int, timeout: float = 10.0) -> list:
    """The accepted messages matching predicate, once there are `count` of them."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in smtp.all_messages if predicate(m)]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def private_link(base_url: str, text: str) -> str:
    found = re.findall(re.escape(base_url) + r"/p/\S+", text)
    assert len(found) == 1, f"expected one private link in the email, found {found}"
    return found[0]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_whole_game_in_the_browser(app, smtp, live_server, browser, lang):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    say = Words(app, lang)
    game_name = "Kindness month"

    # --- 1. The facilitator signs up, creates a game, pastes the roster, draws names --------
    # Her browser asks for her language ("fr-FR"); the participants' browsers stay English.
    fac_context = browser.new_context(viewport=LAPTOP, locale="fr-FR" if lang == "fr" else "en-GB")
    fac = Pages(fac_context.new_page(), "facilitator", lang=lang)
    page = fac.page

    fac.goto(f"{base}/signup")
    fac.check("01-signup")
    name, email, password = FACILITATOR
    page.get_by_label(say("Your name")).fill(name)
    page.get_by_label(say("Email")).fill(email)
    page.get_by_label(say("Password (at least 10 characters)")).fill(password)
    page.get_by_label(say("Password again")).fill(password)
    fac.submit(page.get_by_role("button", name=say("Create account")))
    assert page.url == f"{base}/games/new"
    fac.check("02-new-game")

    page.get_by_label(say("Game name")).fill(game_name)
    page.get_by_label(say("Team or class name")).fill("Design team")
    page.get_by_label(say("Welcome text for participants")).fill("Small kindnesses, big smiles.")
    fac.submit(page.get_by_role("button", name=say("Create game")))
    assert re.fullmatch(re.escape(base) + r"/games/\d+", page.url), page.url
    game_url = page.url
    with app.app_context():
        # A new game starts in the language its organiser reads the site in.
        assert db.session.execute(select(Game.language)).scalar_one() == lang
    fac.check("03-game-draft")

    people = "\n".join(f"{n} <{e}>" for n, e in PEOPLE)
    page.get_by_label(say("Paste people, one per line")).fill(people)
    fac.submit(page.get_by_role("button", name=say("Add to roster"), exact=True))
    added = say.plural("Added %(num)d person.", "Added %(num)d people.", 5)
    assert page.get_by_text(added).is_visible()
    for person, address in PEOPLE:
        assert page.get_by_role("cell", name=address).is_visible(), person
    fac.check("04-game-roster")

    fac.submit(page.get_by_role("link", name=say("Draw names…")))
    # The draw asks first: who is in, what they receive, that it cannot be undone.
    assert page.get_by_text(say("This cannot be undone.")).is_visible()
    circle = say.plural(
        "<strong>%(count)s</strong> person in one circle: each becomes the secret angel of one "
        "other.",
        "<strong>%(count)s</strong> people in one circle: each becomes the secret angel of one "
        "other.",
        5,
        count=5,
    )
    assert circle in visible(page)
    fac.submit(page.get_by_role("button", name=say("Draw names and send invitations")))
    drawn = say.plural(
        "Names drawn! %(num)d invitation is on its way.",
        "Names drawn! %(num)d invitations are on their way.",
        5,
    )
    assert page.get_by_text(drawn).is_visible()
    if lang == "fr":
        assert "Tirage fait ! 5 invitations sont en route." in visible(page)
    fac.check("05-game-drawn")

    # --- 2. Invitations arrive; Ada (an angel) opens her link, saves hints, sends a note ------
    with app.app_context():
        send_due()  # what cron's `flask tick` does: the draw itself only queued them
    mission = say("Your secret mission in %(game)s", game=game_name)
    invitations = wait_for_mail(smtp, lambda m: m.message["subject"] == mission, 5)
    assert sorted(r for m in invitations for r in m.rcpt_tos) == sorted(NAME_OF), invitations
    invitation_text = {m.rcpt_tos[0]: text_and_html(m.message)[0] for m in invitations}
    for address, text in invitation_text.items():
        others = [n for n, e in PEOPLE if e != address]
        assert not any(n in text for n in others), "an invitation names no mortal"

    angel_name, angel_email = PEOPLE[0]
    angel_text = invitation_text[angel_email]
    if lang == "fr":
        assert mission == f"Votre mission secrète dans {game_name}"
        assert say("Open my page") == "Ouvrir ma page"
        assert "Ouvrir ma page" in text_and_html(invitations[0].message)[1]

    angel_context = browser.new_context(viewport=LAPTOP)
    angel = Pages(angel_context.new_page(), "angel", lang=lang)
    page = angel.page
    link = private_link(base, angel_text)
    angel.goto(link)
    assert page.url == link, "opening the link alone signs nobody in"
    assert not any(n in page.content() for n, _ in PEOPLE if n != angel_name)
    with page.expect_navigation():
        page.get_by_role("button", name=say("Open my page")).click()
    assert page.url == f"{base}/me", "the private link should land on /me without its token"
    mortal_name = page.locator(".mission .mortal").inner_text().strip()
    assert mortal_name in EMAIL_OF and mortal_name != angel_name
    mortal_email = EMAIL_OF[mortal_name]
    angel.check("06-angel-home")

    with page.expect_navigation():
        page.get_by_role("navigation", name=say("My game")).get_by_role(
            "link", name=say("Hints")
        ).click()
    assert page.url == f"{base}/me/hints"
    angel.check("07-angel-hints")
    page.get_by_label(say("Things that brighten my day")).fill("Sunny walks and terrible puns")
    page.get_by_label(say("Favourite drink or snack")).fill("Earl Grey")
    page.get_by_label(say("Allergies or things to avoid")).fill("Peanuts")
    page.get_by_label(say("How I like to be appreciated")).fill("A kind word")
    angel.submit(page.get_by_role("button", name=say("Save"), exact=True))
    assert page.get_by_text(say("Saved. Only your angel sees your hints.")).is_visible()
    assert page.get_by_label(say("Favourite drink or snack")).input_value() == "Earl Grey"
    angel.check("08-angel-hints-saved")

    with page.expect_navigation():
        page.get_by_role("navigation", name=say("My game")).get_by_role(
            "link", name=say("Give")
        ).click()
    assert page.url == f"{base}/me/angel"
    heading = say("Your mortal: %(name)s", name=mortal_name)
    assert page.get_by_role("heading", name=heading).is_visible()
    angel.check("09-angel-mortal")

    # CSRF is really on: the same form posted without its token is refused.
    refused = page.request.post(f"{base}/me/angel/note", form={"message": "x", "when": "next"})
    assert refused.status == 400 and say("This form has expired") in refused.text()

    page.get_by_label(say("Your note")).fill(NOTE)
    angel.submit(page.get_by_role("button", name=say("Send note")))
    with app.app_context():
        stored_round = db.session.execute(select(Kindness.round_label)).scalar_one()
    # The round is stored as its day and part of the day, and named in the reader's language.
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} (morning|afternoon|evening)", stored_round)
    round_words = say.round(stored_round)
    on_its_way = say("Your note is on its way: it arrives in the %(round)s.", round=round_words)
    assert page.get_by_text(on_its_way).is_visible()
    if lang == "fr":
        assert on_its_way.startswith("Votre mot est en route. Arrivée : tournée ")
        assert "tournée tournée" not in on_its_way and ".." not in on_its_way
    assert page.get_by_text(NOTE).is_visible()
    angel.check("10-angel-note-sent")

    # --- 3. The clock moves to the note's delivery moment; the mortal reads it and thanks ----
    with app.app_context():
        note = db.session.execute(select(Kindness)).scalar_one()
        assert note.state == "scheduled" and note.message == NOTE
        deliver_at = note.deliver_at
        from app.services.periodic import tick

        report = tick(now=deliver_at)
        assert report.delivered == 1, report

    with app.app_context():
        send_due(now=deliver_at)
    arrived = wait_for_mail(
        smtp,
        lambda m: (
            mortal_email in m.rcpt_tos
            and m.message["subject"]
            == say("An angel left you a kindness in %(game)s", game=game_name)
        ),
        1,
    )
    assert len(arrived) == 1, "the mortal was not emailed that a kindness arrived"
    assert angel_name not in arrived[0].raw.decode("utf-8", "replace")

    # Separate browser context: the mortal's own cookies, opened from their own email.
    mortal_context = browser.new_context(viewport=LAPTOP)
    mortal = Pages(
        mortal_context.new_page(), "mortal", forbidden=(angel_name, angel_email), lang=lang
    )
    page = mortal.page
    mortal.goto(private_link(base, invitation_text[mortal_email]))
    with page.expect_navigation():
        page.get_by_role("button", name=say("Open my page")).click()
    assert page.url == f"{base}/me"
    assert page.get_by_role("heading", name=say("Hello, %(name)s", name=mortal_name)).is_visible()
    mortal.check("11-mortal-home")

    with page.expect_navigation():
        page.get_by_role("navigation", name=say("My game")).get_by_role(
            "link", name=say("Inbox")
        ).click()
    assert page.url == f"{base}/me/inbox"
    assert page.locator(".item .message").inner_text().strip() == NOTE
    assert f"{say('A note from your angel')} · {round_words}" in visible(page)
    mortal.check("12-mortal-inbox")

    page.get_by_label(say("Say thank you to your angel")).fill(THANKS)
    mortal.submit(page.get_by_role("button", name=say("Send thanks")))
    assert page.get_by_text(say("Your thanks is on its way to your angel.")).is_visible()
    thanked = say("You thanked your angel: “%(thanks)s”", thanks=THANKS)
    assert page.get_by_text(thanked).is_visible()
    if lang == "fr":
        assert thanked == f"Vous avez remercié votre ange : « {THANKS} »"
    mortal.check("13-mortal-thanked")

    # --- 4. The angel sees the thanks from its release, a random moment of a later round ------
    page = angel.page
    angel.goto(f"{base}/me/angel")
    assert page.locator("blockquote.thanks").count() == 0, "thanks shown before its round"
    with app.app_context():
        released_at = db.session.execute(select(Thanks.released_at)).scalar_one()
    with time_machine.travel(released_at.replace(tzinfo=UTC) + timedelta(minutes=1), tick=True):
        angel.goto(f"{base}/me/angel")
        assert THANKS in page.locator("blockquote.thanks").inner_text()
        angel.check("14-angel-sees-thanks")
    with app.app_context():
        send_due(now=released_at + timedelta(minutes=1))
    thanks_subject = say("Your mortal in %(game)s says thank you", game=game_name)
    thanked_mail = wait_for_mail(smtp, lambda m: m.message["subject"] == thanks_subject, 1)
    assert [m.rcpt_tos for m in thanked_mail] == [[angel_email]]
    if lang == "fr":
        assert thanks_subject == f"Votre mortel dans {game_name} vous dit merci"

    # --- 5. The facilitator sees every invitation sent, and the participation page -------------
    page = fac.page
    fac.goto(game_url)
    sent_badges = page.locator("table .badge-ok", has_text=say("Sent"))
    assert sent_badges.count() == len(PEOPLE)
    invitations_line = re.sub(
        r"<[^>]+>",
        "",
        say(
            "Invitations: <strong>%(sent)s</strong> sent · <strong>%(waiting)s</strong> waiting · "
            "<strong>%(failed)s</strong> failed.",
            sent=5,
            waiting=0,
            failed=0,
        ),
    )
    assert invitations_line in " ".join(page.locator("#roster-h ~ p").first.inner_text().split())
    html = page.content()
    assert NOTE not in html and THANKS not in html, "the facilitator must not see kindnesses"
    fac.check("15-facilitator-game")

    rules = app.url_map.iter_rules()
    dashboards = [r.endpoint for r in rules if r.endpoint.startswith("dashboard.")]
    placeholder = all(
        "placeholder" in (app.view_functions[e].__doc__ or "").lower() for e in dashboards
    )
    if dashboards and not placeholder:
        with page.expect_navigation() as nav:
            page.get_by_role("link", name=say("Participation")).click()
        assert nav.value.status == 200, f"participation page answered {nav.value.status}"
        html = page.content()
        assert NOTE not in html and THANKS not in html
        fac.check("16-facilitator-participation")
    # else: the dashboard blueprint is still the 404 placeholder; this step waits for it.

    for context in (fac_context, angel_context, mortal_context):
        context.close()
