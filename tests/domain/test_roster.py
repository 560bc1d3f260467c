"""Reading pasted and uploaded rosters: every line is either added or reported, never lost."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.domain.roster import read_csv, read_lines


def test_accepts_every_documented_shape():
    reading = read_lines(
        "Priya Sharma <priya@example.org>\n"
        "Sam Lee, sam@example.org\n"
        "alex.kim@example.org\n"
        '"O\'Brien, Grace" <grace@example.org>\n'
    )
    assert not reading.problems
    assert [(e.name, e.email) for e in reading.entries] == [
        ("Priya Sharma", "priya@example.org"),
        ("Sam Lee", "sam@example.org"),
        ("Alex Kim", "alex.kim@example.org"),
        ("O'Brien, Grace", "grace@example.org"),
    ]


def test_bad_lines_are_reported_by_number_and_kept_verbatim():
    text = "Ann <ann@example.org>\nnot a person\n\nBob, bob@@example.org\nCara <cara@example.org>"
    reading = read_lines(text)
    assert [e.email for e in reading.entries] == ["ann@example.org", "cara@example.org"]
    assert [(p.line, p.text) for p in reading.problems] == [
        (2, "not a person"),
        (4, "Bob, bob@@example.org"),
    ]
    assert "not a valid email" in reading.problems[1].reason
    assert reading.leftover_text == "not a person\nBob, bob@@example.org"


def test_duplicates_are_case_insensitive_within_input_and_against_roster():
    reading = read_lines(
        "Ann <Ann@Example.org>\nAnn again <ann@example.org>\nDan <dan@example.org>",
        known_keys={"dan@example.org"},
    )
    assert [e.name for e in reading.entries] == ["Ann"]
    reasons = {p.line: p.reason for p in reading.problems}
    assert reasons[2] == "ann@example.org already appears on line 1"
    assert reasons[3] == "dan@example.org is already on the roster"


def test_unicode_names_survive():
    reading = read_lines(
        "Zoë Ørsted <zoe@example.org>\n李小龍, lee@example.org\nأحمد <ahmad@example.org>"
    )
    assert [e.name for e in reading.entries] == ["Zoë Ørsted", "李小龍", "أحمد"]


def test_csv_with_header_in_any_order_and_bom():
    data = "\ufeffEmail,Name\nsam@example.org,Sam Lee\nbroken,Nope\n,\nzoe@example.org,Zoë\n"
    reading = read_csv(data.encode("utf-8"))
    assert [(e.name, e.email) for e in reading.entries] == [
        ("Sam Lee", "sam@example.org"),
        ("Zoë", "zoe@example.org"),
    ]
    assert [(p.line, p.text) for p in reading.problems] == [(3, "Nope, broken")]


def test_csv_without_email_column_is_explained_and_nothing_goes_back_to_the_box():
    reading = read_csv(b"name,mail\nA,a@example.org\n")
    assert "email" in reading.problems[0].reason
    assert "name,mail" in reading.problems[0].reason
    assert reading.leftover_text == ""


def test_csv_in_utf16_is_read():
    reading = read_csv("name,email\nZoë,z@example.org\n".encode("utf-16"))
    assert [(e.name, e.email) for e in reading.entries] == [("Zoë", "z@example.org")]


lines = st.one_of(
    st.text(max_size=40).filter(lambda s: "\n" not in s and "\r" not in s),
    st.builds(
        lambda n, u: f"{n} <{u}@example.org>",
        st.text(st.characters(categories=["L"]), min_size=1, max_size=12),
        st.from_regex(r"[a-z]{1,8}", fullmatch=True),
    ),
)


@given(st.lists(lines, max_size=30))
def test_nothing_the_facilitator_typed_is_lost(raw_lines):
    """Every non-blank line is either an entry or a problem, exactly once, in order."""
    text = "\n".join(raw_lines)
    reading = read_lines(text)
    accounted = sorted([e.line for e in reading.entries] + [p.line for p in reading.problems])
    expected = [
        i
        for i, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert accounted == expected
    for problem in reading.problems:
        assert problem.text == text.splitlines()[problem.line - 1]
    assert len({e.key for e in reading.entries}) == len(reading.entries)
