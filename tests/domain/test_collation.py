"""Names sort by the Unicode collation algorithm: accents and case beside their base letters."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from app.domain.collation import sort_key, sorted_by_name

# Base letters and accented forms that the default table treats as that letter plus a mark.
ACCENTED = {
    "a": "áàâäãå",
    "c": "çč",
    "e": "éèêë",
    "l": "ł",
    "n": "ñń",
    "o": "óòôöø",
    "s": "šś",
    "u": "úùûü",
    "z": "žźż",
}
BASES = sorted(ACCENTED)
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)


def test_a_name_with_a_stroked_l_sorts_among_the_ls_not_last():
    names = ["Zoë", "Łukasz", "Lena", "Mark", "Émile", "Eve", "edith", "Aiko"]
    assert sorted_by_name(names, str) == [
        "Aiko",
        "edith",
        "Émile",
        "Eve",
        "Lena",
        "Łukasz",
        "Mark",
        "Zoë",
    ]


@given(base=st.sampled_from(BASES), data=st.data(), head=words, a=words, b=words)
def test_an_accented_letter_sorts_beside_its_base_letter(base, data, head, a, b):
    """Changing one letter for an accented form of it never moves a name past a name that
    differs from it earlier on: the accent only decides between otherwise equal names."""
    accented = data.draw(st.sampled_from(ACCENTED[base]))
    plain, marked = head + base + a, head + accented + a
    other = head + data.draw(st.sampled_from([c for c in BASES if c != base])) + b
    assert (sort_key(plain) < sort_key(other)) == (sort_key(marked) < sort_key(other))
    # Between the same name with and without the accent, the plain one comes first.
    assert sort_key(plain) < sort_key(marked)


@given(st.lists(words, max_size=12))
def test_on_plain_lower_case_letters_collation_is_alphabetical(names):
    assert sorted_by_name(names, str) == sorted(names)


@given(a=words, b=words)
def test_case_alone_never_decides_ahead_of_the_letters(a, b):
    """ "bob" and "Bob" stand together: case breaks only a tie on the letters."""
    if a != b:
        assert (sort_key(a) < sort_key(b)) == (sort_key(a.capitalize()) < sort_key(b))


@given(st.text(min_size=1, max_size=12))
def test_composed_and_decomposed_spellings_sort_as_one(name):
    composed = unicodedata.normalize("NFC", name)
    decomposed = unicodedata.normalize("NFD", name)
    assert sort_key(composed) == sort_key(decomposed)


@given(st.lists(st.text(max_size=10), max_size=10))
def test_sorting_is_a_total_order_and_keeps_every_name(names):
    once = sorted_by_name(names, str)
    assert sorted(once) == sorted(names)
    assert sorted_by_name(once, str) == once
    keys = [sort_key(n) for n in once]
    assert keys == sorted(keys)
