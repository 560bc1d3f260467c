"""Why an address was refused: in English exactly as the email checker says it, in French in
French for the reasons a roster's typos meet, never half in English."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from flask_babel import force_locale

from app.domain.roster import check_email
from app.services import translated

TYPOS = [
    "uma@example",
    "uma",
    "@example.org",
    "uma@",
    "uma..lee@example.org",
    "uma@.example.org",
    ".uma@example.org",
    "uma.@example.org",
    "uma lee@example.org",
    "uma@exa_mple.org",
]


def _reason(address: str) -> str:
    with pytest.raises(ValueError) as refused:
        check_email(address)
    return refused.value.args[0]


@pytest.mark.parametrize("address", TYPOS)
def test_a_typo_is_explained_in_the_readers_language(app, address):
    with pytest.raises(EmailNotValidError) as checker:
        validate_email(address, check_deliverability=False)
    reason = _reason(address)
    with app.test_request_context("/"):
        with force_locale("en"):
            english = translated(reason)
        with force_locale("fr"):
            french = translated(reason)
    assert english == f"“{address}” is not a valid email address ({checker.value})"
    assert french.startswith(f"« {address} » n'est pas une adresse e-mail valide (")
    said = french.split("(", 1)[1]
    assert str(checker.value).split(":")[0] not in said
    for word in (" the ", "must", "should", "cannot", "contains", "period"):
        assert word not in said, (address, french)
