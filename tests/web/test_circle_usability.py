"""A teacher running a class game: the draw asks first, small games are warned about, leaving
is refused up front, the guess list leaves out one's own mortal, the join link is easy to share
and a reload of the join page keeps what was typed. Names of people waiting to join are for
the facilitator only, and nothing here names an angel."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from app.extensions import db, limiter
from app.models import Game, JoinRequest, OutboxMessage, Pairing, Participant
from app.services import ServiceError, ending, joins, setup
from tests.helpers import (
    DISTINCT_PEOPLE,
    login,
    make_facilitator,
    make_game,
    make_running_game,
    open_as_participant,
    pairings_of,
    participants_of,
)

SIX = [*DISTINCT_PEOPLE, ("Florian Gage", "fgage@example.org")]


def _count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _draft(app, people=SIX, allow_self_join=False) -> tuple[int, list[int]]:
    with app.app_context():
        game = make_game(make_facilitator(), list(people))
        game.allow_self_join = allow_self_join
        db.session.commit()
        return game.id, [p.id for p in participants_of(game)]


def _running(app, people=SIX, allow_self_join=False) -> tuple[int, str, list[Participant]]:
    with app.app_context():
        game = make_running_game(make_facilitator(), list(people))
        game.allow_self_join = allow_self_join
        db.session.commit()
        return game.id, game.public_id, participants_of(game)


# 5: the draw asks first --------------------------------------------------------------------


def test_the_draw_button_leads_to_a_confirmation_that_draws_nothing(app, client):
    game_id, _ = _draft(app)
    with app.app_context():
        game = db.session.get(Game, game_id)
        a, b = participants_of(game)[:2]

        setup.add_exclusion(game, a, b, True)
    login(client)
    game_page = client.get(f"/games/{game_id}").text
    # The game page links to the confirmation: no form there posts to the draw.
    assert f'href="/games/{game_id}/draw"' in game_page
    assert f'action="/games/{game_id}/draw"' not in game_page

    confirm = client.get(f"/games/{game_id}/draw")

    assert confirm.status_code == 200
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", confirm.text)).split())
    assert "6 people in one circle" in text
    assert "1 exclusion kept" in text
    assert "one email with their private link" in text
    assert "does not name their mortal" in text and "only on their own page" in text
    assert "This cannot be undone." in text
    assert f'action="/games/{game_id}/draw"' in confirm.text
    assert "Small game" not in text
    # Looking changed nothing: still a draft, no pairing, no mail.
    with app.app_context():
        assert db.session.get(Game, game_id).state == "draft"
    assert _count(app, Pairing) == 0 and _count(app, OutboxMessage) == 0

    drawn = client.post(f"/games/{game_id}/draw")
    assert drawn.status_code == 302
    assert "6 invitations are on their way" in client.get(drawn.location).text
    with app.app_context():
        assert db.session.get(Game, game_id).state == "running"
    assert _count(app, Pairing) == 6


def test_the_draw_page_of_a_drawn_game_leads_back_to_it(app, client):
    game_id, _, _ = _running(app)
    login(client)
    before = _count(app, OutboxMessage)
    response = client.get(f"/games/{game_id}/draw")
    assert response.status_code == 302 and response.location.endswith(f"/games/{game_id}")
    assert "already been drawn" in client.get(response.location).text
    assert _count(app, OutboxMessage) == before


def test_another_facilitators_draw_page_is_not_found(app, client):
    game_id, _ = _draft(app)
    with app.app_context():
        make_facilitator("Other", "other@example.org")
    login(client, "other@example.org")
    assert client.get(f"/games/{game_id}/draw").status_code == 404


# 11: small games -----------------------------------------------------------------------------


def test_a_game_under_five_people_is_warned_about_with_the_reason(app, client):
    game_id, _ = _draft(app, DISTINCT_PEOPLE[:4])
    login(client)
    for page in (client.get(f"/games/{game_id}").text, client.get(f"/games/{game_id}/draw").text):
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
        assert "Small game: 4 people." in text
        assert "With fewer than 5 people, players can work out who their angel is" in text
        assert "only 2 names are left" in text


def test_three_people_are_told_only_one_name_is_left(app, client):
    game_id, _ = _draft(app, DISTINCT_PEOPLE[:3])
    login(client)
    text = html.unescape(client.get(f"/games/{game_id}/draw").text)
    assert "Small game: 3 people." in text and "only one name is left" in text


def test_five_people_get_no_warning(app, client):
    game_id, _ = _draft(app, DISTINCT_PEOPLE)
    login(client)
    assert "Small game" not in client.get(f"/games/{game_id}").text
    assert "Small game" not in client.get(f"/games/{game_id}/draw").text


def test_the_guess_list_leaves_out_oneself_and_ones_own_mortal(app, client):
    game_id, _, people = _running(app)
    with app.app_context():
        circle = pairings_of(db.session.get(Game, game_id))
        me = db.session.get(Participant, people[0].id)
        mortal = circle[me.id]
        choices = {pid for pid, _ in ending.guess_choices(me)}
        assert choices == {p.id for p in people} - {me.id, mortal}
        # The list is what the service accepts: one's own mortal is refused too.

        try:
            ending.set_guess(me, mortal)
        except ServiceError:
            pass
        else:  # pragma: no cover
            raise AssertionError("guessing one's own mortal was accepted")
        mortal_name = db.session.get(Participant, mortal).name
    open_as_participant(client, app, people[0])
    page = client.get("/me/guess").text
    options = re.findall(r"<option[^>]*>([^<]+)</option>", page)
    assert people[0].name not in options
    assert mortal_name not in options
    assert len(options) == len(people) - 2 + 1  # "I'd rather not guess" besides


def test_leaving_says_why_not_before_asking(app, client):
    game_id, _, people = _running(app, DISTINCT_PEOPLE[:3])
    open_as_participant(client, app, people[0])
    page = client.get("/me/leave").text
    assert "can't leave" in page
    assert "at least 3 active participants" in page
    assert "Yes, leave the game" not in page
    # The refusal still holds if asked anyway.
    client.post("/me/leave")
    with app.app_context():
        assert db.session.get(Participant, people[0].id).active


def test_leaving_asks_to_confirm_when_it_is_possible(app, client):
    _, _, people = _running(app)
    open_as_participant(client, app, people[0])
    page = client.get("/me/leave").text
    assert "Yes, leave the game" in page and "can't leave" not in page


# 14 and 3: self-join -------------------------------------------------------------------------


def test_the_join_link_area_explains_itself_and_offers_copy_and_a_qr_code(app, client):
    game_id, _ = _draft(app)
    login(client)
    off = client.get(f"/games/{game_id}").text
    assert "Join link" in off and "Joining by link is off" in off
    assert "<svg" not in off and "data-copy-source" not in off
    with app.app_context():
        game = db.session.get(Game, game_id)
        game.allow_self_join = True
        db.session.commit()
        public_id = game.public_id
    on = client.get(f"/games/{game_id}").text
    url = f"http://localhost/g/{public_id}"
    # Without JavaScript the link is there as text to select; the button waits for the script.
    assert f">{url}</a>" in on
    assert 'data-copy-source="join-url"' in on and "hidden>Copy link</button>" in on
    assert "copy_link.js" in on
    assert 'data-done="Copied. Paste it into a message or your class page."' in on
    assert re.search(r'<svg [^>]*class="qr"', on)
    assert "They go straight onto the roster" in on
    # What the script says once it has copied is the page's language, as the page is.
    french = client.get(f"/games/{game_id}", headers={"Accept-Language": "fr"}).text
    assert 'data-done="Copié. Collez-le dans un message ou sur la page de votre classe."' in french


def test_a_refused_join_keeps_what_was_typed_on_reload(app, client):
    limiter.reset()
    game_id, _ = _draft(app, allow_self_join=True)
    with app.app_context():
        public_id = db.session.get(Game, game_id).public_id
    refused = client.post(f"/g/{public_id}/join", data={"name": "Zelda Zed", "email": "not-mail"})
    assert refused.status_code == 400
    assert 'value="Zelda Zed"' in refused.text
    again = client.get(f"/g/{public_id}/join")  # a reload, a language switch
    assert again.status_code == 200
    assert 'value="Zelda Zed"' in again.text and 'value="not-mail"' in again.text
    assert "Join the game" in again.text
    # Once joined, the page forgets it.
    ok = client.post(f"/g/{public_id}/join", data={"name": "Zelda Zed", "email": "z@example.org"})
    assert ok.status_code == 302
    assert 'value="Zelda Zed"' not in client.get(f"/g/{public_id}/join").text


def test_a_fresh_join_page_by_get_is_plain(app, client):
    game_id, _ = _draft(app, allow_self_join=True)
    with app.app_context():
        public_id = db.session.get(Game, game_id).public_id
    page = client.get(f"/g/{public_id}/join")
    assert page.status_code == 200 and "Join the game" in page.text
    assert "is-invalid" not in page.text and 'value="' not in page.text.split("join-h")[1][:400]


def test_waiting_joiners_are_shown_to_their_facilitator_only(app, client):
    limiter.reset()
    game_id, public_id, people = _running(app, allow_self_join=True)
    client.post(f"/g/{public_id}/join", data={"name": "Wendy Waiting", "email": "w@example.org"})
    assert _count(app, JoinRequest) == 1
    # Not on the public page, not on any player's pages.
    assert "Wendy" not in client.get(f"/g/{public_id}").text
    player = client.application.test_client()
    open_as_participant(player, app, people[0])
    for path in ("/me", "/me/guess", "/me/angel", "/me/inbox", "/me/rules"):
        assert "Wendy" not in player.get(path).text, path
    # Not to another facilitator.
    with app.app_context():
        make_facilitator("Other", "other@example.org")
    other = app.test_client()
    login(other, "other@example.org")
    assert other.get(f"/games/{game_id}").status_code == 404
    # Her own game page lists her, with the address, and says who is told what.
    fac = app.test_client()
    login(fac)
    page = fac.get(f"/games/{game_id}").text
    assert "Wendy Waiting" in page and "w@example.org" in page
    assert "Turn down" in page and "Approve" in page


def test_approval_names_no_angel_and_is_released_in_a_round(app, client):
    limiter.reset()
    game_id, public_id, people = _running(app, allow_self_join=True)
    client.post(f"/g/{public_id}/join", data={"name": "Wendy Waiting", "email": "w@example.org"})
    with app.app_context():
        mark = db.session.execute(select(func.max(OutboxMessage.id))).scalar_one()
        (waiting,) = joins.pending_joins(db.session.get(Game, game_id))
        request_id = waiting.id
    fac = app.test_client()
    login(fac)
    approved = fac.post(f"/games/{game_id}/join-requests/{request_id}/approve")
    page = fac.get(approved.location).text
    with app.app_context():
        game = db.session.get(Game, game_id)
        circle = pairings_of(game)
        names = {p.id: p.name for p in participants_of(game)}
        mails = (
            db.session.execute(select(OutboxMessage).where(OutboxMessage.id > mark)).scalars().all()
        )
        assert mails and all(m.next_attempt_at > m.created_at for m in mails)
    for angel, mortal in circle.items():
        # The facilitator's page after approval pairs nobody with anybody.
        assert not re.search(
            re.escape(names[angel]) + r"\s*(?:->|→|:|=>)\s*" + re.escape(names[mortal]), page
        )
        # No email names a mortal (the private page does).
        for m in mails:
            if m.participant_id == angel:
                assert names[mortal] not in m.body_text and names[mortal] not in m.subject


def test_a_join_after_the_draw_by_an_address_already_playing_adds_no_request(app, client):
    limiter.reset()
    _, public_id, people = _running(app, allow_self_join=True)
    client.post(f"/g/{public_id}/join", data={"name": "Anyone", "email": people[2].email})
    client.post(f"/g/{public_id}/join", data={"name": "Wendy", "email": "w@example.org"})
    client.post(f"/g/{public_id}/join", data={"name": "Wendy again", "email": "W@example.org"})
    assert _count(app, JoinRequest) == 1
