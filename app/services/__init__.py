"""What every service shares: the refusal a user can act on, the cleaning of typed text.

Services are the only code that touches both the database session and the domain; they commit.
"""


class ServiceError(Exception):
    """A refusal the user can act on; str(exc) is shown on the page as it is."""


def clean_text(text: str, what: str, limit: int, required: bool = True) -> str:
    """Plain text with line breaks kept; trailing spaces and NULs dropped."""
    text = "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").split("\n"))
    text = text.replace("\x00", "").strip()
    if required and not text:
        raise ServiceError(f"Write a {what} first.")
    if len(text) > limit:
        raise ServiceError(f"The {what} is {len(text)} characters; the limit is {limit}.")
    return text
