"""Uploading a roster as spreadsheets save it: Excel on Windows, in France, "Unicode text"."""

from __future__ import annotations

import codecs
import io

import pytest

from app.extensions import db
from app.models import Game
from tests.helpers import login, make_facilitator, make_game, participants_of

ROWS = "Name{d}Email\r\nZoë Müller{d}zoe@example.org\r\nFrançois Lefèvre{d}fl@example.org\r\n"

FILES = {
    "utf-8": lambda d: ROWS.format(d=d).encode("utf-8"),
    "excel csv utf-8 (bom)": lambda d: ROWS.format(d=d).encode("utf-8-sig"),
    "excel windows-1252": lambda d: ROWS.format(d=d).encode("cp1252"),
    "unicode text (utf-16 le)": lambda d: (
        codecs.BOM_UTF16_LE + ROWS.format(d=d).encode("utf-16-le")
    ),
    "utf-16 be": lambda d: codecs.BOM_UTF16_BE + ROWS.format(d=d).encode("utf-16-be"),
}


@pytest.fixture
def game_id(app, client):
    """A draft game of the logged-in facilitator with no one on it yet."""
    with app.app_context():
        game_id = make_game(make_facilitator(), []).id
    login(client)
    return game_id


def upload(client, game_id, data: bytes):
    return client.post(
        f"/games/{game_id}/participants",
        data={"csv_file": (io.BytesIO(data), "people.csv")},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("kind", sorted(FILES))
def test_each_kind_of_file_adds_everyone_with_their_accents(client, app, game_id, kind, delimiter):
    response = upload(client, game_id, FILES[kind](delimiter))
    assert response.status_code == 302
    page = client.get(response.location).text
    assert "Added 2 people" in page
    with app.app_context():
        names = [p.name for p in participants_of(db.session.get(Game, game_id))]
    assert names == ["Zoë Müller", "François Lefèvre"]


def test_a_file_that_cannot_be_read_never_claims_lines_are_in_the_box(client, game_id):
    response = upload(client, game_id, b"nom;courriel\nZo\xeb;zoe@example.org\n")
    assert response.status_code == 400
    assert "back in the box" not in response.text
    assert "Nobody was added from this file" in response.text
    assert "“email” column" in response.text
    textarea = response.text.split('name="lines"', 1)[1].split("</textarea>", 1)[0]
    assert textarea.split(">", 1)[1].strip() == ""


def test_a_file_and_the_box_together_say_whose_line_is_whose(client, game_id):
    """Lines of the box and rows of the file are told apart, and a file that could not be read
    says so even when some of the box's lines came back."""
    response = client.post(
        f"/games/{game_id}/participants",
        data={
            "lines": "Oscar Wilde, oscar@invalid\nRosa Parks, rosa@example.org",
            "csv_file": (io.BytesIO(b"Full Name;Mail\nZo;zoe@example.org\n"), "people.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200  # Rosa was added
    text = response.text
    assert "<strong>1 line needs fixing.</strong>" in text
    assert "Nobody was added from this file." in text
    problems = text.split('class="problems"', 1)[1].split("</ul>", 1)[0]
    assert "<li>Line 1: <code>Oscar Wilde, oscar@invalid</code>" in problems
    assert "<li>File, row 1: the first row" in problems
