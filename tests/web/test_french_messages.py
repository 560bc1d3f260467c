"""What the Python side says comes out in French for a French browser, and stays English for
everyone else: flashes, form checks, service refusals, the domain's reasons, error pages and
the dashboard chart."""

from __future__ import annotations

import html
from datetime import date

from app.domain.aggregates import DayCount
from app.extensions import db
from app.models import Exclusion
from app.web.charts import chart, chart_summary
from tests.helpers import login, make_facilitator, make_game, participants_of

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}


def _text(response) -> str:
    """The page's text with entities undone (apostrophes come escaped)."""
    return html.unescape(response.get_data(as_text=True))


def test_the_draw_flash_is_french_with_its_plural(client, app):
    with app.app_context():
        game_id = make_game(make_facilitator(), 7).id
    login(client)
    response = client.post(f"/games/{game_id}/draw", headers=FRENCH)
    page = _text(client.get(response.location, headers=FRENCH))
    assert "Tirage fait ! 7 invitations sont en route." in page
    assert "invitations are on their way" not in page


def test_a_refused_draw_explains_itself_in_french_and_in_english(app):
    with app.app_context():
        people = [(name, f"{name.lower()}@example.org") for name in ("Ann", "Ben", "Cy", "Dee")]
        game = make_game(make_facilitator(), people)
        ann, *others = participants_of(game)
        for other in others:  # Ann may be nobody's angel
            db.session.add(
                Exclusion(game_id=game.id, angel_id=ann.id, mortal_id=other.id, both_ways=False)
            )
        db.session.commit()
        game_id = game.id
    answers = {}
    for language, headers in (("fr", FRENCH), ("en", {})):
        client = app.test_client()
        login(client)
        response = client.post(f"/games/{game_id}/draw", headers=headers)
        assert response.status_code == 409
        page = _text(response)
        answers[language] = page.split('flash-error" role="alert">', 1)[1].split("</p>", 1)[0]
    assert answers["fr"].strip() == (
        "Ann est exclu d'être l'ange de toutes les autres personnes : "
        "on ne peut donc pas donner de mortel à Ann."
    )
    assert answers["en"].strip() == (
        "Ann is excluded from being the angel of everyone else, so Ann can't be given a mortal."
    )


def test_a_form_check_is_french(client, app):
    response = client.post(
        "/signup",
        data={
            "name": "Fran",
            "email": "fran@example.org",
            "password": "a long password",
            "confirm": "another long password",
        },
        headers=FRENCH,
    )
    page = _text(response)
    assert "Les mots de passe sont différents." in page
    assert "Mot de passe, encore une fois" in page  # the field's label
    english = _text(
        app.test_client().post(
            "/signup",
            data={
                "name": "Fran",
                "email": "fran@example.org",
                "password": "a long password",
                "confirm": "another long password",
            },
        )
    )
    assert "The passwords differ." in english


def test_the_domains_reasons_reach_the_game_form_in_french(client, app):
    with app.app_context():
        make_facilitator()
    login(client)
    response = client.post(
        "/games/new",
        data={
            "name": "Mois de la gentillesse",
            "group_kind": "team",
            "group_name": "Équipe",
            "starts_on": str(date.today()),
            "ends_on": str(date.today()),
            "delivery_times": "8.30",
            "delivery_days": "every",
            "timezone": "Mars/Olympus",
        },
        headers=FRENCH,
    )
    page = _text(response)
    assert "« 8.30 » n'est pas une heure comme 09:00." in page
    assert "« Mars/Olympus » n'est pas un nom de fuseau horaire comme Europe/Paris." in page


def test_a_service_refusal_and_a_roster_problem_are_french(client, app):
    with app.app_context():
        game_id = make_game(make_facilitator(), 3).id
    login(client)
    response = client.post(
        f"/games/{game_id}/participants",
        data={"lines": "person1@example.org\nnot an address"},
        headers=FRENCH,
    )
    page = _text(response)
    assert "person1@example.org est déjà dans la liste des participants" in page
    assert "attendu : « Nom <e-mail> », « Nom, e-mail » ou une adresse e-mail" in page
    empty = client.post(f"/games/{game_id}/exclusions", data={}, headers=FRENCH)
    shown = _text(client.get(empty.location, headers=FRENCH))
    assert "Choisissez deux personnes de la liste des participants." in shown


def test_the_login_prompt_and_error_pages_are_french(client):
    response = client.get("/games/new", headers=FRENCH)
    assert response.status_code == 302
    page = _text(client.get(response.location, headers=FRENCH))
    assert "Connectez-vous pour voir cette page." in page
    missing = client.get("/no-such-page", headers=FRENCH)
    assert missing.status_code == 404 and "Page introuvable" in _text(missing)
    assert "Page not found" in client.get("/no-such-page").get_data(as_text=True)


def test_the_chart_labels_and_summary_are_french(app):
    days = [DayCount(date(2026, 12, 1), 2, 1), DayCount(date(2026, 12, 2), 1500, 0)]
    with app.test_request_context(headers=FRENCH):
        summary = chart_summary(days)
        drawn = chart(days)
        nothing = chart_summary([])
    assert summary == (
        "Attentions par jour du 1 déc. au 2 déc. : 1\u202f503 en tout, "
        "le plus le 2 déc. (1\u202f500)."
    )
    assert [label.text for label in drawn.x_labels] == ["1 déc.", "2 déc."]
    assert drawn.y_labels[1].text == "2\u202f000"
    assert nothing == "Attentions par jour : aucune pour l'instant."
    with app.test_request_context():
        assert chart_summary(days) == (
            "Kindnesses per day from 1 Dec to 2 Dec: 1,503 in all, most on 2 Dec (1,500)."
        )
