"""The draw's refusals for very small groups are whole sentences in the reader's language."""

from __future__ import annotations

import random

import pytest
from flask_babel import force_locale

from app.domain.draw import DrawImpossible, draw_cycle
from app.services import translated


def _refusal(people, forbidden=(), names=None) -> DrawImpossible:
    with pytest.raises(DrawImpossible) as caught:
        draw_cycle(people, list(forbidden), random.Random(0), names)
    return caught.value


@pytest.mark.parametrize(
    ("people", "english", "french"),
    [
        ([], "there are none", "il n’y en a aucun"),
        ([7], "there is 1", "il n’y en a que 1"),
        ([7, 8], "there are 2", "il n’y en a que 2"),
    ],
)
def test_too_few_people_in_each_language(app, people, english, french):
    refusal = _refusal(people)
    with app.test_request_context("/"):
        with force_locale("en"):
            assert translated(refusal.args[0]) == str(refusal)
            assert str(refusal).endswith(f"needed to draw names; {english}.")
        with force_locale("fr"):
            assert translated(refusal.args[0]) == (
                f"Il faut au moins 3 participants pour tirer au sort ; {french}."
            )


def test_three_people_refusal_in_french(app):
    refusal = _refusal([1, 2, 3], [(1, 2), (2, 1)], {1: "Sam", 2: "Alex", 3: "Jo"})
    with app.test_request_context("/"), force_locale("fr"):
        french = translated(refusal.args[0])
    assert french.startswith("Sam et Alex ne peuvent être l'ange que de Jo")
    assert french.endswith(
        "Avec seulement 3 participants, il n’y a que deux façons de tirer au sort."
    )
    assert "With only" not in french and "participants are" not in french
