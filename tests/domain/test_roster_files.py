"""Roster files as spreadsheets write them: any of the usual encodings and separators."""

from __future__ import annotations

import codecs
import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.roster import decode_upload, read_csv, sniff_delimiter


def encode(text: str, encoding: str) -> bytes:
    """The bytes a spreadsheet writes for `text` in `encoding` (marks included where it puts
    them: Excel's "CSV UTF-8" and "Unicode text" both start with one)."""
    if encoding == "utf-16-le-bom":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    if encoding == "utf-16-be-bom":
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    return text.encode(encoding)


ENCODINGS = ["utf-8", "utf-8-sig", "utf-16-le-bom", "utf-16-be-bom", "cp1252"]
DELIMITERS = [",", ";", "\t"]

# Letters of European names that Windows-1252 can write. Left out: œ, š, ž and the other
# letters Windows-1252 keeps in 0x80-0xBF, the only ones that can make its bytes look like
# UTF-8 (see decode_upload).
LETTERS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéèêëàâäçïîôöùûüÿñøåæßáíóúÉÈÀÇÖÜÑØÅÆÁÍÓÚ"
)
words = st.text(alphabet=LETTERS, min_size=1, max_size=10)
names = st.builds(
    lambda parts, joiner: joiner.join(parts),
    st.lists(words, min_size=1, max_size=3),
    st.sampled_from([" ", "-", "'", ", "]),
)


def roster_file(rows: list[tuple[str, str]], delimiter: str) -> str:
    """A roster as a spreadsheet saves it: a header row, then one quoted-as-needed row each."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["Name", "Email"])
    writer.writerows(rows)
    return out.getvalue()


@given(
    people=st.lists(names, min_size=1, max_size=12),
    encoding=st.sampled_from(ENCODINGS),
    delimiter=st.sampled_from(DELIMITERS),
)
def test_any_roster_in_any_encoding_and_separator_reads_back_the_same(people, encoding, delimiter):
    rows = [(name, f"person{i}@example.org") for i, name in enumerate(people)]
    reading = read_csv(encode(roster_file(rows, delimiter), encoding))
    assert reading.problems == ()
    assert [(e.name, e.email) for e in reading.entries] == rows


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_accents_survive_every_encoding(encoding):
    text = "Name;Email\nZoë Müller;zoe@example.org\nFrançois Lefèvre;fl@example.org\n"
    assert decode_upload(encode(text, encoding)) == text


def test_the_separator_is_the_one_naming_an_email_column():
    assert sniff_delimiter("name;email") == ";"
    assert sniff_delimiter("name\temail") == "\t"
    assert sniff_delimiter("name,email") == ","
    assert sniff_delimiter('"Doe, Jane";email') == ";"
    assert sniff_delimiter("email") == ","


def test_bytes_no_encoding_defines_are_still_read():
    # 0x81 is undefined in Windows-1252 and invalid in UTF-8: read as Latin-1, not refused.
    assert decode_upload(b"name,email\nA\x81,a@example.org\n").startswith("name,email")
