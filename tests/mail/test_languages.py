"""Each email in its recipient's language, as a real SMTP server receives it: the game's
language for invitations, the participant's own choice once they made one, a facilitator's
account choice for her account mail."""

from __future__ import annotations

import random
import re
from datetime import timedelta

from babel.messages.pofile import read_po
from sqlalchemy import select

from app.extensions import db
from app.i18n import TRANSLATIONS
from app.mail.outbox import send_due
from app.models import Facilitator, Participant, utcnow
from app.services import accounts, links
from app.services.draw import draw_names
from tests.helpers import make_facilitator, make_game, participants_of
from tests.mail.smtp_support import text_and_html

PEOPLE = [
    ("Élodie Lefèvre", "elodie@example.fr"),
    ("Bea Quinn", "bea@example.net"),
    ("Zoë Müller", "zoe@example.com"),
    ("Tomás Ortega", "tomas@school.example"),
]


def _french_sentences() -> list[str]:
    """English sentences the French catalogue translates (placeholders left out): none of them
    may be left in a French email."""
    with (TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source, locale="fr")
    return [
        message.id
        for message in catalogue
        if isinstance(message.id, str)
        and message.string
        and message.string != message.id
        and "%" not in message.id
        and len(message.id) >= 15
    ]


def _french_game(app, language_of_first: str | None = None) -> int:
    """A game in French, drawn (which queues the invitations); its id."""
    with app.app_context():
        game = make_game(make_facilitator(), PEOPLE, name="Mois de la gentillesse")
        game.language = "fr"
        first = participants_of(game)[0]
        first.language = language_of_first
        db.session.commit()
        draw_names(game, random.Random(5))
        send_due()
        return game.id


def test_an_invitation_to_a_french_game_is_french_in_subject_and_body(app, smtp):
    _french_game(app)
    received = smtp.inbox.messages
    assert len(received) == len(PEOPLE)
    leftovers = _french_sentences()
    for mail in received:
        assert str(mail.message["Subject"]) == "Votre mission secrète dans Mois de la gentillesse"
        text, html = text_and_html(mail.message)
        assert '<html lang="fr">' in html
        # The game runs from 1 to 29 December 2026: its dates are written the French way.
        for body in (text, html):
            assert "1 décembre" in body and "29 décembre 2026" in body
            assert "December" not in body
            for sentence in leftovers:
                assert sentence not in body, sentence


def test_a_participant_who_chose_english_gets_english_mail_in_a_french_game(app, smtp):
    game_id = _french_game(app, language_of_first="en")
    (english,) = smtp.inbox.to("elodie@example.fr")
    assert str(english.message["Subject"]) == "Your secret mission in Mois de la gentillesse"
    text, html = text_and_html(english.message)
    assert '<html lang="en">' in html
    assert "1 December" in text and "29 December 2026" in text
    (french,) = smtp.inbox.to("bea@example.net")
    assert str(french.message["Subject"]).startswith("Votre mission secrète")

    # Later mail follows a later choice: Bea switches to English, Élodie to French.
    with app.app_context():
        people = {
            p.email: p
            for p in db.session.execute(
                select(Participant).where(Participant.game_id == game_id)
            ).scalars()
        }
        people["bea@example.net"].language = "en"
        people["elodie@example.fr"].language = "fr"
        links.renew_links([people["bea@example.net"], people["elodie@example.fr"]])
        db.session.commit()
    smtp.stop()
    inbox = smtp.start()
    with app.app_context():
        # Released in a later delivery round: send everything due by then.
        send_due(now=utcnow() + timedelta(days=3))
    subjects = {m.rcpt_tos[0]: str(m.message["Subject"]) for m in inbox.messages}
    assert subjects == {
        "bea@example.net": "Your link for Mois de la gentillesse",
        "elodie@example.fr": "Votre lien personnel pour Mois de la gentillesse",
    }


def test_a_facilitator_gets_her_account_mail_in_the_language_she_chose(app, client, smtp):
    with app.app_context():
        facilitator = make_facilitator()
        accounts.set_language(facilitator, "fr")
    # Asked from an English browser: her account's choice still wins.
    client.post(
        "/login/forgot", data={"email": "fran@example.org"}, headers={"Accept-Language": "en"}
    )
    with app.app_context():
        send_due()
        assert db.session.execute(select(Facilitator.language)).scalar_one() == "fr"
    (mail,) = smtp.inbox.to("fran@example.org")
    assert (
        str(mail.message["Subject"]) == "Choisissez un nouveau mot de passe pour Angels & Mortals"
    )
    assert '<html lang="fr">' in text_and_html(mail.message)[1]


def test_without_a_choice_account_mail_follows_the_page_it_was_asked_from(app, client, smtp):
    with app.app_context():
        make_facilitator()
    client.post(
        "/login/forgot", data={"email": "fran@example.org"}, headers={"Accept-Language": "fr"}
    )
    with app.app_context():
        send_due()
    (mail,) = smtp.inbox.to("fran@example.org")
    assert re.match(r"Choisissez un nouveau mot de passe", str(mail.message["Subject"]))
