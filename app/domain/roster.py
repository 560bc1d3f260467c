"""Reading a roster the facilitator pasted or uploaded: good entries in, bad lines reported.

Nothing the facilitator typed is lost: every line is either an entry or a RosterProblem that
carries the original text back to the form.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES as _MAILBOXES

from .limits import LIMITS
from .text import N_, Message

MAX_NAME_LENGTH = 120

# "Name <email>" with optional quotes around the name.
_ANGLE = re.compile(r'^\s*"?(?P<name>[^<>"]*?)"?\s*<\s*(?P<email>[^<>\s]+)\s*>\s*$')


@dataclass(frozen=True)
class RosterEntry:
    """A person to add: display name, email as typed, and the case-folded key for de-duplication."""

    line: int
    name: str
    email: str
    # Their team or class, as typed and tidied ("" for none).
    team: str = ""

    @property
    def key(self) -> str:
        """The email folded for comparison: the same address in other capitals is one person."""
        return email_key(self.email)


@dataclass(frozen=True)
class RosterProblem:
    """A line that could not be added, with its number, its original text and why; `in_file`
    when it is a row of an uploaded file rather than a line of the box."""

    line: int
    text: str
    reason: str
    in_file: bool = False


@dataclass(frozen=True)
class RosterReading:
    """The outcome of reading a roster: entries to add, and problems to show beside the form."""

    entries: tuple[RosterEntry, ...]
    problems: tuple[RosterProblem, ...]

    @property
    def leftover_text(self) -> str:
        """The bad lines, one per line, ready to go back into the form for fixing (a problem
        with the whole file has no text of its own and adds nothing)."""
        return "\n".join(p.text for p in self.problems if p.text)


def email_key(email: str) -> str:
    """Fold an email for comparison within a game."""
    return email.strip().lower()


def clean_name(name: str) -> str:
    """Normalise a display name: NFC, single spaces, no control characters."""
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" or ch == " ")
    return " ".join(name.split())


def name_from_email(email: str) -> str:
    """Guess a friendly name from the local part: priya.sharma@x -> Priya Sharma."""
    local = email.split("@", 1)[0]
    words = [w for w in re.split(r"[._+\-]+", local) if w]
    return " ".join(w[:1].upper() + w[1:] for w in words) or local


# A plain ASCII part before the @ (RFC 5322 dot-atom): email_validator accepts it unchanged.
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")


@lru_cache(maxsize=4096)
def _checked_domain(domain: str) -> str | None:
    """The normalised form of an ASCII domain if addresses there are valid, else None. Checking
    a domain is most of email_validator's work, and a company's roster has one or two."""
    if not domain.isascii():
        return None
    try:
        return validate_email(f"a@{domain}", check_deliverability=False).domain
    except EmailNotValidError:
        return None


# The email checker's reasons (in English) that a roster's typos meet most, said in the
# reader's language: the whole reason, or its fixed start followed by what it found. Any
# other reason is shown as the checker wrote it.
_EMAIL_DETAILS = (
    N_("An email address must have an @-sign."),
    N_("There must be something before the @-sign."),
    N_("There must be something after the @-sign."),
    N_("The part after the @-sign is not valid. It should have a period."),
    N_("The part after the @-sign is not valid. It is not within a valid top-level domain."),
    N_("An email address cannot have two periods in a row."),
    N_("An email address cannot have a period immediately after the @-sign."),
    N_("An email address cannot start with a period."),
    N_("An email address cannot have a period immediately before the @-sign."),
    N_("There can't be anything after the email address."),
    N_("The email address contains an invalid character."),
)
_EMAIL_DETAIL_STARTS = {
    "The email address contains invalid characters before the @-sign: ": N_(
        "The email address contains invalid characters before the @-sign: %(found)s"
    ),
    "The part after the @-sign contains invalid characters: ": N_(
        "The part after the @-sign contains invalid characters: %(found)s"
    ),
}


def _email_detail(reason: str) -> Message | str:
    """The email checker's reason, translatable when it is one the service knows."""
    if reason in _EMAIL_DETAILS:
        return Message(reason)
    for start, msgid in _EMAIL_DETAIL_STARTS.items():
        if reason.startswith(start):
            return Message(msgid, found=reason[len(start) :])
    return reason


def check_email(email: str) -> str:
    """Return the normalised email, or raise ValueError with a reason a person can act on."""
    email = email.strip()
    if not email:
        raise ValueError(Message(N_("no email address")))
    # The common shape (plain local part, known-good domain) skips the full check; the result
    # is what validate_email returns (tests/domain hold the two together). Mailbox names it
    # lower-cases (Postmaster@…) and anything unusual take the full check.
    local, at, domain = email.rpartition("@")
    if at and len(local) <= 64 and _DOT_ATOM.match(local) and local.lower() not in _MAILBOXES:
        checked = _checked_domain(domain)
        if checked is not None and len(local) + 1 + len(checked) <= 254:
            return f"{local}@{checked}"
    try:
        result = validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(
            Message(
                N_("“%(email)s” is not a valid email address (%(detail)s)"),
                email=email,
                detail=_email_detail(str(exc)),
            )
        ) from None
    return result.normalized


def check_name(name: str) -> str:
    """Return the cleaned name, or raise ValueError."""
    name = clean_name(name)
    if not name:
        raise ValueError(Message(N_("the name is empty")))
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(
            Message(N_("the name is longer than %(max)d characters"), max=MAX_NAME_LENGTH)
        )
    return name


def check_team(team: str) -> str:
    """Return the tidied team name ("" for none), or raise ValueError."""
    team = clean_name(team)
    if len(team) > LIMITS.team:
        raise ValueError(Message(N_("the team is longer than %(max)d characters"), max=LIMITS.team))
    return team


def team_key(team: str | None) -> str:
    """A team folded for comparison: "Sales" and " sales" are one team; "" for no team."""
    return " ".join((team or "").split()).casefold()


def _split_line(text: str) -> tuple[str, ...]:
    """Split one pasted line into (name, email) or (name, email, team) in any of the accepted
    shapes: "Name, email, team" (or with ; or a tab) is the only one with a team."""
    match = _ANGLE.match(text)
    if match:
        return match["name"].strip(), match["email"]
    if "," in text or ";" in text or "\t" in text:
        parts = [p.strip() for p in re.split(r"[,;\t]", text)]
        # Positional: the email in the middle, so "Name, email, team" (the name may be empty).
        if len(parts) == 3 and "@" in parts[1] and "@" not in parts[0] + parts[2]:  # noqa: PLR2004
            return parts[0], parts[1], parts[2]
        parts = [p for p in parts if p]
        emails = [p for p in parts if "@" in p]
        if len(emails) != 1 or len(parts) > 2:
            raise ValueError(Message(N_("expected “Name, email”")))
        others = [p for p in parts if p is not emails[0]]
        return (others[0] if others else ""), emails[0]
    if "@" in text and " " not in text.strip():
        return "", text.strip()
    if "@" in text:
        # "Priya Sharma priya@x.org": the last word is the email.
        name, _, email = text.strip().rpartition(" ")
        if "@" in email and "@" not in name:
            return name, email
    raise ValueError(Message(N_("expected “Name <email>”, “Name, email” or an email address")))


def read_lines(text: str, known_keys: Iterable[str] = ()) -> RosterReading:
    """Read pasted lines. Blank lines and lines starting with # are skipped silently.

    `known_keys` are emails already on the roster (folded), reported as duplicates.
    """
    rows = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        rows.append((number, raw.rstrip("\r")))
    return _read(rows, known_keys, _split_line)


# Byte-order marks, longest first (a UTF-32 mark starts like a UTF-16 one, and is not read).
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# What spreadsheets put between columns: Excel uses ";" where the decimal mark is a comma
# (France, Germany), a tab for "Unicode text".
DELIMITERS = (",", ";", "\t")


def decode_upload(data: bytes) -> str:
    """The text of an uploaded file: UTF-8 with or without a BOM, UTF-16 with a BOM, else
    Windows-1252 (what Excel on Windows writes by default).

    Bytes that are valid UTF-8 are read as UTF-8: a Windows-1252 name is valid UTF-8 only when
    a letter such as é is followed by two of the rare characters Windows-1252 keeps between
    0x80 and 0xBF (œ, š, ž…), which no real name does.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace").lstrip("\ufeff")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        # The five bytes Windows-1252 leaves undefined: Latin-1 reads every byte.
        return data.decode("latin-1")


def sniff_delimiter(header_line: str) -> str:
    """The column separator of a CSV whose first row is `header_line`.

    The header must name an email column, so the separator is the one under which it does;
    among several (a one-column header), the one giving most columns, "," on a tie.
    """
    best, best_columns = ",", 0
    for delimiter in DELIMITERS:
        try:
            header = next(csv.reader([header_line], delimiter=delimiter), [])
        except csv.Error:
            continue
        if "email" in (h.strip().lower() for h in header) and len(header) > best_columns:
            best, best_columns = delimiter, len(header)
    return best


def read_csv(data: bytes | str, known_keys: Iterable[str] = ()) -> RosterReading:
    """Read a CSV file with a header row naming `name` and `email` columns (any order, any case),
    and optionally a `team` column, in any encoding decode_upload reads, separated by any of
    DELIMITERS. Its problems say they are the file's (`RosterProblem.in_file`)."""
    reading = _read_csv(data, known_keys)
    return RosterReading(reading.entries, tuple(replace(p, in_file=True) for p in reading.problems))


def _read_csv(data: bytes | str, known_keys: Iterable[str]) -> RosterReading:
    if isinstance(data, bytes):
        data = decode_upload(data)
    data = data.lstrip("\ufeff")
    first_line = data.splitlines()[0] if data.strip() else ""
    reader = csv.reader(io.StringIO(data), delimiter=sniff_delimiter(first_line))
    try:
        header = next(reader)
    except StopIteration:
        return RosterReading((), (RosterProblem(0, "", Message(N_("the file is empty"))),))
    except csv.Error as exc:
        problem = Message(N_("not a CSV file (%(detail)s)"), detail=str(exc))
        return RosterReading((), (RosterProblem(1, "", problem),))
    columns = [h.strip().lower() for h in header]
    if "email" not in columns:
        # The header is quoted in the reason, not sent back to the box: it is not a person.
        return RosterReading(
            (),
            (
                RosterProblem(
                    1,
                    "",
                    Message(
                        N_("the first row (“%(row)s”) must name an “email” column"),
                        row=first_line[:120],
                    ),
                ),
            ),
        )
    email_at = columns.index("email")
    name_at = columns.index("name") if "name" in columns else None
    team_at = columns.index("team") if "team" in columns else None
    rows = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            email = values[email_at].strip() if email_at < len(values) else ""
            name = values[name_at].strip() if name_at is not None and name_at < len(values) else ""
            team = values[team_at].strip() if team_at is not None and team_at < len(values) else ""
            rows.append((line, (name, email, team) if team else (name, email)))
    except csv.Error as exc:
        problem = Message(N_("not a CSV file (%(detail)s)"), detail=str(exc))
        return RosterReading((), (RosterProblem(reader.line_num, "", problem),))
    return _read(rows, known_keys, lambda pair: pair)


def _as_text(raw) -> str:
    """The line as it goes back into the paste box."""
    if isinstance(raw, tuple):
        name, email, *team = raw
        if team and team[0]:
            return f"{name}, {email}, {team[0]}"
        return f"{name}, {email}" if name else email
    return raw


def _read(rows, known_keys: Iterable[str], split) -> RosterReading:
    """Shared core: split, validate, de-duplicate within the input and against the roster."""
    known = set(known_keys)
    seen: dict[str, int] = {}
    entries: list[RosterEntry] = []
    problems: list[RosterProblem] = []
    for number, raw in rows:
        try:
            name, email, *rest = split(raw)
            email = check_email(email)
            name = check_name(name or name_from_email(email))
            team = check_team(rest[0]) if rest else ""
        except ValueError as exc:
            problems.append(RosterProblem(number, _as_text(raw), exc.args[0]))
            continue
        key = email_key(email)
        if key in known:
            problems.append(
                RosterProblem(
                    number,
                    _as_text(raw),
                    Message(N_("%(email)s is already on the roster"), email=email),
                )
            )
        elif key in seen:
            problems.append(
                RosterProblem(
                    number,
                    _as_text(raw),
                    Message(
                        N_("%(email)s already appears on line %(line)d"),
                        email=email,
                        line=seen[key],
                    ),
                )
            )
        else:
            seen[key] = number
            entries.append(RosterEntry(number, name, email, team))
    return RosterReading(tuple(entries), tuple(problems))
