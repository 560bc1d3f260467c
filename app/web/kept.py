"""What a refused form held, kept for one showing of the same address.

A refused form is shown again at once, at the address it was posted to. Whoever then presses
Enter in the address bar (or comes back to the page later) asks that address with GET: the
address answers GET with the same page, and what was typed is still in the box, once. It is
kept in this browser's session only (signed, never stored on the server), and only when it is
small: a session cookie over the browser's 4 KB is dropped, which would log the person out, so
a long paste is shown again by the refusal itself but not kept past it.
"""

from __future__ import annotations

import json

from flask import request, session

SESSION_KEY = "kept_form"
# Bytes of JSON a kept form may take in the session cookie; a 1000-character plain note fits.
KEPT_MAX_BYTES = 1500


def keep(**typed) -> bool:
    """Keep what a refused form held for the next GET of this address; False if too big."""
    value = {"path": request.path, "typed": typed}
    if len(json.dumps(value)) > KEPT_MAX_BYTES:
        session.pop(SESSION_KEY, None)
        return False
    session[SESSION_KEY] = value
    return True


def take() -> dict:
    """What was kept for this address (then forgotten), or {} when nothing was."""
    kept = session.get(SESSION_KEY)
    if not kept or kept.get("path") != request.path:
        return {}
    session.pop(SESSION_KEY)
    return kept.get("typed") or {}


def forget() -> None:
    """The form went through: nothing typed earlier may come back."""
    session.pop(SESSION_KEY, None)


def keep_field(field) -> bool:
    """Keep a refused one-box form: the box's text and the first reason it was refused."""
    return keep(text=field.data or "", error=str(field.errors[0]) if field.errors else "")


def refill(field) -> bool:
    """Put what a refused post to this address held back into `field`, with its reason, once;
    False when nothing was kept with a reason (the page then shows no box as refused)."""
    typed = take()
    if not typed:
        return False
    field.data = typed.get("text", "")
    field.errors = [typed["error"]] if typed.get("error") else []
    return bool(field.errors)
