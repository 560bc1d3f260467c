"""Teams: "nobody draws someone from their own team", from the roster upload to the circle."""

from __future__ import annotations

import io
import random

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.domain import roster
from app.domain.cycle_edits import changed_angels, cut_out, re_place, splice_in
from app.domain.states import GameState
from app.domain.teammates import teammate_pairs
from app.extensions import db
from app.models import Game, Pairing, Participant
from app.services import ServiceError, circle, setup
from app.services.draw import draw_names, draw_preview
from tests.helpers import (
    emptied,
    login,
    make_facilitator,
    make_game,
    open_as_participant,
    pairings_of,
    participants_of,
    quick_facilitator,
    statements_run,
)

# A word no page would show unless it showed a team.
SECRET_TEAM = "Zanzibarteam"


def _game_with_teams(teams: list[str], *, apart: bool = True) -> Game:
    """A draft game of Fran's with one person per entry of `teams` ("" for no team)."""
    game = make_game(quick_facilitator(), [])
    lines = "\n".join(f"Person {i}, p{i}@example.org, {team}" for i, team in enumerate(teams))
    reading = setup.read_and_add(game, lines, None)
    assert not reading.problems, reading.problems
    setup.keep_teams_apart(game, apart)
    return game


def _team_of(game: Game) -> dict[int, str | None]:
    return {p.id: p.team for p in participants_of(game)}


def _crosses_teams(pairs: dict[int, int], team: dict[int, str | None]) -> bool:
    return all(
        not team[a] or (team[a] or "").casefold() != (team[m] or "").casefold()
        for a, m in pairs.items()
    )


def upload(client, game_id, data: bytes, lines: str = ""):
    return client.post(
        f"/games/{game_id}/participants",
        data={"lines": lines, "csv_file": (io.BytesIO(data), "people.csv")},
        content_type="multipart/form-data",
    )


def test_an_upload_with_a_team_column_puts_people_in_teams(app, client):
    with app.app_context():
        game_id = make_game(make_facilitator(), []).id
    login(client)
    data = b"name,email,team\nAnn,ann@example.org,Sales\nBo,bo@example.org,\n"
    response = upload(client, game_id, data, lines="Cy, cy@example.org, Design")
    assert response.status_code == 302
    with app.app_context():
        teams = {p.name: p.team for p in participants_of(db.session.get(Game, game_id))}
    assert teams == {"Ann": "Sales", "Bo": None, "Cy": "Design"}
    page = client.get(f"/games/{game_id}").text
    assert "Sales" in page and "Design" in page
    assert "name,email,team" in page  # the upload hint says how


def test_a_bad_team_keeps_what_was_typed_with_a_clear_reason(app, client):
    with app.app_context():
        game_id = make_game(make_facilitator(), []).id
    login(client)
    long_team = "T" * 61
    response = upload(
        client, game_id, f"name,email,team\nAnn,ann@example.org,{long_team}\n".encode()
    )
    assert response.status_code == 400
    assert f"Ann, ann@example.org, {long_team}" in response.text
    assert "the team is longer than 60 characters" in response.text
    french = client.post(
        f"/games/{game_id}/participants",
        data={"lines": f"Ann, ann@example.org, {long_team}"},
        headers={"Accept-Language": "fr"},
    )
    assert french.status_code == 400
    assert "le nom de l’équipe dépasse 60 caractères" in french.text


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=7),
    loners=st.integers(0, 3),
    seed=st.integers(0, 2**32),
)
def test_the_draw_never_pairs_teammates(app, sizes, loners, seed):
    teams = [f"Team {t}" for t, size in enumerate(sizes) for _ in range(size)] + [""] * loners
    # No team over half of everyone: the draw then always exists.
    assume(len(teams) >= 3 and 2 * max(sizes) <= len(teams))
    with emptied(app), app.app_context():
        game = _game_with_teams(random.Random(seed).sample(teams, len(teams)))
        draw_names(game, random.Random(seed))
        assert _crosses_teams(pairings_of(game), _team_of(game))


def test_teams_written_differently_are_one_team(app):
    with app.app_context():
        game = _game_with_teams(["Sales", " sales", "Design", "design ", "Ops", "OPS"])
        draw_names(game, random.Random(3))
        assert _crosses_teams(pairings_of(game), _team_of(game))


def test_without_the_option_teams_change_nothing(app):
    with app.app_context():
        game = _game_with_teams(["A", "A", "A", "A", "B"], apart=False)
        assert draw_names(game, random.Random(1)) == 5
        assert draw_preview(game).teams == 0


def test_one_person_outside_the_team_is_said_in_the_singular(app):
    with app.app_context():
        game = _game_with_teams(["Red", "Red", "Red", "Blue"])
        with app.test_request_context("/"):
            said = draw_preview(game).team_problem
        assert "but only 1 person is not in “Red”" in said and "1 people" not in said


def test_a_team_written_differently_is_named_as_its_first_member_wrote_it(app):
    with app.app_context():
        game = _game_with_teams(["Sales", "SALES ", " sales", "Design", ""])
        assert "“Sales” has 3 of the 5 people" in draw_preview(game).team_problem


def test_a_team_over_half_is_refused_in_plain_words(app, client):
    with app.app_context():
        game = _game_with_teams(["Sales", "Sales", "Sales", "Design", ""])
        game_id = game.id
        assert "“Sales” has 3 of the 5 people" in draw_preview(game).team_problem
    login(client)
    preview = client.get(f"/games/{game_id}/draw")
    assert "Names cannot be drawn with these teams." in preview.text
    assert "only 2 people are not in “Sales”" in preview.text
    french = client.get(f"/games/{game_id}/draw", headers={"Accept-Language": "fr"})
    assert "« Sales » compte 3 des 5 personnes" in french.text
    response = client.post(f"/games/{game_id}/draw")
    assert response.status_code == 409
    assert "“Sales” has 3 of the 5 people" in response.text
    with app.app_context():
        assert db.session.get(Game, game_id).is_draft
        assert not pairings_of(db.session.get(Game, game_id))


def test_the_preview_counts_the_teams(app, client):
    with app.app_context():
        game_id = _game_with_teams(["A", "A", "B", "B", "C", ""]).id
    login(client)
    page = client.get(f"/games/{game_id}/draw").text
    assert "Nobody draws someone from their own team (<strong>3</strong> teams)." in page


def test_late_joiners_never_land_next_to_a_teammate(app):
    with app.app_context():
        game = _game_with_teams(["A", "A", "B", "B", "C", "C", "D", "D"])
        draw_names(game, random.Random(5))
        for i in range(6):
            lines = f"New {i}, new{i}@example.org, {'AB'[i % 2]}"
            circle.add_late_joiners(game, lines, random.Random(i))
            assert _crosses_teams(pairings_of(game), _team_of(game))
        people = participants_of(game)
        circle.withdraw(game, people[0], random.Random(9))
        assert _crosses_teams(pairings_of(game), _team_of(game))


def test_a_join_that_would_make_one_team_over_half_is_refused_clearly(app):
    with app.app_context():
        game = _game_with_teams(["A", "A", "B", "C", "D", "E"])
        draw_names(game, random.Random(2))
        before = pairings_of(game)
        lines = "\n".join(f"N{i}, n{i}@example.org, a" for i in range(3))
        try:
            circle.add_late_joiners(game, lines, random.Random(1))
        except ServiceError as exc:
            assert "“A” has 5 of the 9 people" in str(exc)
        else:
            raise AssertionError("the join was not refused")
        assert pairings_of(game) == before
        assert len(participants_of(game)) == 6


def test_a_leave_that_would_make_one_team_over_half_is_refused_clearly(app):
    with app.app_context():
        game = _game_with_teams(["A", "A", "A", "B", "C", "D"])
        draw_names(game, random.Random(2))
        loner = next(p for p in participants_of(game) if p.team == "D")
        loner_id = loner.id
        before = pairings_of(game)
        try:
            circle.withdraw(game, loner, random.Random(1), organiser=True)
        except ServiceError as exc:
            assert "“A” has 3 of the 5 people" in str(exc)
        else:
            raise AssertionError("the leave was not refused")
        assert pairings_of(game) == before
        # The person who asks to leave is refused without being told about teams.
        refusal = circle.leave_refusal(game, loner)
        assert "cannot leave" in refusal and "“A”" not in refusal and "team" not in refusal
        loner = db.session.get(Participant, loner_id)
    client = app.test_client()
    assert open_as_participant(client, app, loner).status_code == 302
    page = client.get("/me/leave").text
    assert "cannot leave" in page and "“A”" not in page and "own team" not in page


def test_the_facilitator_sets_and_clears_a_team_and_turns_the_rule_on(app, client):
    with app.app_context():
        game = make_game(make_facilitator(), 4)
        game_id, person_id = game.id, participants_of(game)[0].id
    login(client)
    form = client.get(f"/games/{game_id}/participants/{person_id}").text
    assert "Team (optional)" in form
    data = {"name": "Person 0", "email": "person0@example.org", "team": SECRET_TEAM}
    assert client.post(f"/games/{game_id}/participants/{person_id}", data=data).status_code == 302
    assert SECRET_TEAM in client.get(f"/games/{game_id}").text
    client.post(f"/games/{game_id}/participants/{person_id}", data={**data, "team": ""})
    with app.app_context():
        assert db.session.get(Participant, person_id).team is None
    assert (
        client.post(f"/games/{game_id}/teams-apart", data={"teams_apart": "y"}).status_code == 302
    )
    with app.app_context():
        assert db.session.get(Game, game_id).teams_apart
    client.post(f"/games/{game_id}/teams-apart", data={})
    with app.app_context():
        assert not db.session.get(Game, game_id).teams_apart


def test_participants_never_see_a_team(app):
    with app.app_context():
        game = _game_with_teams([SECRET_TEAM, SECRET_TEAM, "Other", "Other", "Third", "Third"])
        draw_names(game, random.Random(4))
        people = participants_of(game)
    for person in people:
        client = app.test_client()
        assert open_as_participant(client, app, person).status_code == 302
        for path in ("/me", "/me/angel", "/me/inbox", "/me/hints", "/me/rules", "/me/journal"):
            for language in ("en", "fr"):
                page = client.get(path, headers={"Accept-Language": language})
                assert page.status_code == 200, path
                assert SECRET_TEAM not in page.text, path
                assert "Other" not in page.text.replace("Others", ""), path
    with app.app_context():
        mail = db.session.execute(select(Participant.team)).scalars().all()
        assert SECRET_TEAM in mail  # the teams are stored, only never shown


def test_earlier_games_never_stop_a_team_draw(app):
    """Teams A, A, B, B leave two circles; two ended games used one each. Avoiding their
    mortals and keeping teams apart is then impossible together, and the draw goes ahead
    keeping teams apart only: a refusal would tell something about earlier pairings."""
    emails = ["a1@example.org", "a2@example.org", "b1@example.org", "b2@example.org"]
    with app.app_context():
        fran = quick_facilitator()
        ids_in = []
        for name in ("First", "Second"):
            done = make_game(fran, [(e.split("@")[0], e) for e in emails], name=name)
            ids_in.append({p.email: p.id for p in participants_of(done)})
            done.state = GameState.ENDED
        a1, a2, b1, b2 = (ids_in[0][e] for e in emails)
        first = {a1: b1, b1: a2, a2: b2, b2: a1}
        c1, c2, d1, d2 = (ids_in[1][e] for e in emails)
        second = {c1: d2, d2: c2, c2: d1, d1: c1}
        for cycle in (first, second):
            game_id = db.session.get(Participant, next(iter(cycle))).game_id
            db.session.add_all(
                Pairing(game_id=game_id, angel_id=a, mortal_id=m) for a, m in cycle.items()
            )
        db.session.commit()
        third = make_game(
            fran, [(e.split("@")[0], e) for e in emails], name="Third", avoid_repeat_mortals=True
        )
        for person, team in zip(participants_of(third), ["A", "A", "B", "B"], strict=True):
            person.team = team
        setup.keep_teams_apart(third, True)
        assert draw_preview(third).team_problem is None
        assert draw_names(third, random.Random(1)) == 4
        assert _crosses_teams(pairings_of(third), _team_of(third))


def test_changes_in_a_team_game_of_300_match_the_teammate_pairs_written_out(app):
    """A join, a leave and an address change in 300 people in teams of 10 (and some without a
    team) look the teams up, and give the very circle the teammate pairs written out as
    exclusions give: three angels get a new mortal, and nobody draws a teammate."""
    labels = [f"Team {i % 28}" if i % 15 else "" for i in range(300)]
    with app.app_context():
        game = _game_with_teams(labels)
        draw_names(game, random.Random(3))
        people = participants_of(game)
        teams = {p.id: roster.team_key(p.team) or p.id for p in people}
        assert len(teammate_pairs(teams)) > 2_000  # 28 teams of about 10 to keep apart

        before = pairings_of(game)
        circle.add_late_joiners(game, "Newcomer, new@example.org, team 4", random.Random(11))
        newcomer = participants_of(game)[-1]
        teams[newcomer.id] = roster.team_key(newcomer.team)
        joined = pairings_of(game)
        expected = splice_in(
            before, newcomer.id, teammate_pairs(teams), random.Random(11), avoid=set()
        )
        assert joined == expected
        assert len(changed_angels(before, joined) - {newcomer.id}) == 3
        assert _crosses_teams(joined, _team_of(game))

        leaver = people[40]
        circle.withdraw(game, leaver, random.Random(12), organiser=True)
        left = pairings_of(game)
        del teams[leaver.id]
        assert left == cut_out(joined, leaver.id, teammate_pairs(teams), random.Random(12))
        assert len(changed_angels(joined, left)) == 3 and _crosses_teams(left, _team_of(game))

        moving = people[70]
        circle.resend_invitation(game, moving, moving.name, "moved@example.org", random.Random(13))
        moved = pairings_of(game)
        assert moved == re_place(left, moving.id, teammate_pairs(teams), random.Random(13))
        assert moved[moving.id] != left[moving.id] and _crosses_teams(moved, _team_of(game))


def test_a_change_in_a_team_game_does_the_same_reads_wherever_the_person_sits(app):
    """Whether someone may leave, and the organiser's withdrawal, run the very same statements
    whoever the person is: every team is read in one query, never just the teams a change
    happens to touch (how many that is depends on where the person sits in the circle, and a
    watcher with a clock would learn something of the pairing)."""
    labels = [f"Team {i % 12}" for i in range(240)]
    with app.app_context():
        game = _game_with_teams(labels)
        draw_names(game, random.Random(4))
        people = participants_of(game)
        shapes = []
        for person in people[:40:4]:
            with statements_run(app) as seen:
                assert circle.leave_refusal(game, person) is None
            shapes.append(tuple(statement for statement, _ in seen))
        assert len(set(shapes)) == 1, "a leave check's statements depend on who asks"
        team_reads = [s for s in shapes[0] if "participant.team" in s]
        assert len(team_reads) == 1, team_reads
        circle.withdraw(game, people[3], random.Random(2), organiser=True)
        circle.add_late_joiners(game, "New, new@example.org, Team 5", random.Random(1))
        assert _crosses_teams(pairings_of(game), _team_of(game))
