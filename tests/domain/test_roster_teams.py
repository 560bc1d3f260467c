"""Reading a team from a pasted line or a CSV column, with every older shape still read."""

from __future__ import annotations

from app.domain import roster
from app.domain.limits import LIMITS


def test_a_pasted_line_may_end_with_a_team():
    reading = roster.read_lines("Priya Sharma, priya@example.org, Sales\n, sam@example.org, 5B")
    assert [(e.name, e.email, e.team) for e in reading.entries] == [
        ("Priya Sharma", "priya@example.org", "Sales"),
        ("Sam", "sam@example.org", "5B"),
    ]
    assert not reading.problems


def test_every_older_shape_reads_as_before_with_no_team():
    text = "Ann <ann@example.org>\nBo, bo@example.org\ncy@example.org\nDee dee@example.org"
    reading = roster.read_lines(text)
    assert [(e.name, e.team) for e in reading.entries] == [
        ("Ann", ""),
        ("Bo", ""),
        ("Cy", ""),
        ("Dee", ""),
    ]


def test_a_csv_team_column_is_optional_and_in_any_place():
    with_teams = roster.read_csv(b"Team;Email;Name\nSales;a@example.org;Ann\n;b@example.org;Bo\n")
    assert [(e.name, e.team) for e in with_teams.entries] == [("Ann", "Sales"), ("Bo", "")]
    without = roster.read_csv(b"name,email\nAnn,a@example.org\n")
    assert [(e.name, e.team) for e in without.entries] == [("Ann", "")]


def test_a_team_too_long_comes_back_as_typed_with_the_reason():
    team = "x" * (LIMITS.team + 1)
    reading = roster.read_csv(f"name,email,team\nAnn,a@example.org,{team}\n".encode())
    assert not reading.entries
    (problem,) = reading.problems
    assert problem.text == f"Ann, a@example.org, {team}"
    assert str(problem.reason) == f"the team is longer than {LIMITS.team} characters"
    # What comes back in the box reads again as the same line.
    again = roster.read_lines(reading.leftover_text)
    assert again.problems[0].text == problem.text


def test_teams_are_compared_without_case_or_extra_spaces():
    assert roster.team_key(" Sales  Team") == roster.team_key("sales team")
    assert roster.team_key(None) == roster.team_key("") == ""
