"""Test configuration and builders: apps, facilitators, games put into a phase (draft,
running), and a `World` to drive a running game through the web."""

from __future__ import annotations

import os
import random
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from jinja2 import BytecodeCache
from sqlalchemy import event, select, text

from app.extensions import db, limiter
from app.models import Facilitator, Game, Pairing, Participant, utcnow
from app.services import accounts, games, setup
from app.services.draw import draw_names

PASSWORD = "correct horse battery"

# Names and addresses that are not substrings of each other nor of any page's fixed text, so
# "this name is absent from the page" means what it says.
DISTINCT_PEOPLE = [
    ("Aurora Finch", "aurora.f@example.org"),
    ("Bartholomew Quill", "bquill@example.org"),
    ("Cressida Vance", "cvance@example.org"),
    ("Desmond Yates", "dyates@example.org"),
    ("Evangeline Pike", "epike@example.org"),
]


def _per_worker(url: str | None) -> str | None:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own (created on first
    use, as `<name>_<worker>`), since every test empties the database it is given."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    from sqlalchemy import create_engine, make_url, text

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


# Set to a postgresql+psycopg:// URL to run the whole suite on PostgreSQL (see README).
TEST_DATABASE_URL = _per_worker(os.environ.get("TEST_DATABASE_URL"))


def under_ci() -> bool:
    """True on the CI machine (CI set to true, 1 or yes), where nothing may be skipped."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def unavailable(reason: str, what: str = "the browser test") -> None:
    """Skip locally; under CI a missing browser (or other real part) is a failure, never a
    silent skip."""
    if under_ci():
        pytest.fail(f"CI must run {what}, but {reason}", pytrace=False)
    pytest.skip(reason)


_CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*?value=")[^"]*(")')


def without_csrf(page: str) -> str:
    """A page with its CSRF tokens blanked, for comparing two fetches of it: a token is random
    per session and carries the second it was signed, so it differs across a second boundary."""
    return _CSRF_VALUE.sub(r"\1CSRF\2", page)


def database_uri(directory) -> str:
    """The database for one test app: PostgreSQL when asked for, else a SQLite file here."""
    return TEST_DATABASE_URL or f"sqlite:///{Path(directory) / 'test.sqlite3'}"


def engine_options() -> dict:
    """Test engines keep the default pool: connecting to PostgreSQL costs more than most
    requests, and conftest disposes every engine a test made when the test ends."""
    return {}


def app_settings(directory, **overrides) -> dict:
    """The one test configuration (conftest's `app_config` and every `fresh_app` use it)."""
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        # A real file so WAL, busy timeouts and concurrent connections behave as in use;
        # TEST_DATABASE_URL runs the same tests on PostgreSQL instead.
        "SQLALCHEMY_DATABASE_URI": database_uri(directory),
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(),
        "WTF_CSRF_ENABLED": False,
        "PUBLIC_BASE_URL": "http://angels.test",
        "MAIL_DEFAULT_SENDER": "Angels & Mortals <angels@angels.test>",
        # Tests run periodic work themselves, at the moments they choose.
        "AUTO_TICK": False,
        # Hashing is slow on purpose; tests sign up hundreds of facilitators.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    settings.update(overrides)
    return settings


class _SharedBytecode(BytecodeCache):
    """Compiled templates kept in memory for every test app of this process: the templates
    do not change during a run, and compiling them again for each new app was a large part
    of the suite's time."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        """Fill the bucket from memory, if this template was compiled before."""
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        """Keep a freshly compiled template."""
        self.compiled[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _SharedBytecode()
_TEMPLATE_DATABASE: list[Path] = []


def _template_database() -> Path:
    """A SQLite file with every table created, made once per process and copied per app."""
    if not _TEMPLATE_DATABASE:
        from app import create_app

        folder = Path(tempfile.mkdtemp(prefix="angels-template-"))
        app = create_app(app_settings(folder))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        _TEMPLATE_DATABASE.append(folder / "test.sqlite3")
    return _TEMPLATE_DATABASE[0]


def build_app(config: dict, empty: bool = True) -> Flask:
    """A test app on this configuration, with empty tables: a new SQLite file starts as a
    copy of the template database, PostgreSQL's tables are emptied (unless `empty` is False:
    a second app on the same data keeps it)."""
    from app import create_app

    uri = config["SQLALCHEMY_DATABASE_URI"]
    path = uri.removeprefix("sqlite:///") if uri.startswith("sqlite:///") else ""
    # Only a plain file: not ":memory:", nor a URI filename with options.
    target = (
        Path(path) if path and not path.startswith((":", "file:")) and "?" not in path else None
    )
    fresh = target is not None and not target.exists()
    # Only a testing app creates its tables (a production one migrates its new file itself).
    if fresh and config.get("TESTING") and config.get("CREATE_TABLES", True):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_template_database(), target)
        config = {**config, "CREATE_TABLES": False}
    app = create_app(config)
    app.jinja_env.bytecode_cache = _BYTECODE
    if empty:
        reset_database(app)
    return app


# What PostgreSQL's catalogue says the public schema holds: its tables, columns and types,
# constraints, triggers, indexes and sequences. Cheap to read (no information_schema).
_SCHEMA_PRINT = text(
    """
    SELECT md5(coalesce(string_agg(c.relname || '.' || a.attname || ':' || a.atttypid
                                   || ':' || a.attnotnull, ',' ORDER BY c.relname, a.attnum), ''))
           || '/' || (SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace)
           || '/' || (SELECT count(*) FROM pg_constraint
                      WHERE connamespace = 'public'::regnamespace)
           || '/' || (SELECT count(*) FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid
                      WHERE r.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal)
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
      AND a.attnum > 0 AND NOT a.attisdropped
    """
)
# The schema this process last built on each PostgreSQL database, by its catalogue print.
_BUILT_SCHEMA: dict[str, str] = {}


def reset_database(app: Flask) -> None:
    """Give a test app empty tables. A SQLite file is new per test; PostgreSQL is shared: its
    tables are emptied when they are still the ones this process built (a fraction of the
    cost of building them again), and rebuilt when a test changed them (migration tests)."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        return
    with app.app_context():
        with db.engine.connect() as connection:
            current = connection.execute(_SCHEMA_PRINT).scalar_one()
        if _BUILT_SCHEMA.get(uri) == current:
            empty_database(app)
            return
        # The whole schema, whatever is in it (a migration test's tables, or those of an
        # older checkout sharing the database): drop_all knows only today's tables.
        db.session.remove()
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        db.create_all()
        with db.engine.connect() as connection:
            _BUILT_SCHEMA[uri] = connection.execute(_SCHEMA_PRINT).scalar_one()


_SEQUENCES = text(
    "SELECT relname FROM pg_class WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace"
)


def empty_database(app: Flask) -> None:
    """Delete every row (children first) and forget the rate limits, so the next property
    example meets the same app as new: ids start at 1 again, as on a new database.

    Row deletes, not TRUNCATE: on PostgreSQL a TRUNCATE of every table takes a lock on each and
    costs ten times as much as deleting the few rows a test leaves."""
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
            if connection.dialect.name == "postgresql":
                sequences = connection.execute(_SEQUENCES).scalars().all()
                if sequences:
                    restarts = ", ".join(f"setval('\"{name}\"', 1, false)" for name in sequences)
                    connection.execute(text(f"SELECT {restarts}"))
            else:
                has_sequence = connection.execute(
                    text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")
                ).first()
                if has_sequence:
                    connection.execute(text("DELETE FROM sqlite_sequence"))
    limiter.reset()


@contextmanager
def emptied(app: Flask) -> Iterator[Flask]:
    """The test's one app, emptied for the next property example: far cheaper than a new
    app per example, and the example meets the same empty database."""
    empty_database(app)
    yield app


def fresh_app(directory, **config) -> Flask:
    """A test app of its own (for tests that need a second database)."""
    return build_app(app_settings(directory, **config))


def make_facilitator(
    name: str = "Fran Facilitator", email: str = "fran@example.org"
) -> Facilitator:
    """A facilitator account with the password PASSWORD."""
    return accounts.sign_up(name, email, PASSWORD)


def make_game(
    facilitator: Facilitator,
    people: list[tuple[str, str]] | int = 5,
    name: str = "Kindness month",
    **details,
) -> Game:
    """A draft game with these (name, email) people, or n generated ones."""
    if isinstance(people, int):
        people = [(f"Person {i}", f"person{i}@example.org") for i in range(people)]
    today = date(2026, 12, 1)
    game = games.create_game(
        facilitator,
        games.GameDetails(
            name=name,
            group_kind=details.get("group_kind", "team"),
            group_name=details.get("group_name", "Team"),
            starts_on=today,
            ends_on=today + timedelta(days=28),
            welcome=details.get("welcome", "Be kind!"),
            avoid_repeat_mortals=details.get("avoid_repeat_mortals", False),
        ),
    )
    reading = setup.read_and_add(game, "\n".join(f"{n} <{e}>" for n, e in people), None)
    assert not reading.problems, reading.problems
    return game


def make_running_game(
    facilitator: Facilitator, people: list[tuple[str, str]] | int = 5, seed: int = 1, **details
) -> Game:
    """A game whose names are drawn (seeded, so repeatable)."""
    game = make_game(facilitator, people, **details)
    draw_names(game, random.Random(seed))
    return game


def participants_of(game: Game) -> list[Participant]:
    """The game's participants in id order."""
    return list(
        db.session.execute(
            select(Participant).where(Participant.game_id == game.id).order_by(Participant.id)
        ).scalars()
    )


def pairings_of(game: Game) -> dict[int, int]:
    """angel id -> mortal id for a drawn game (tests only: nothing in the app shows this)."""
    return dict(
        db.session.execute(
            select(Pairing.angel_id, Pairing.mortal_id)
            .where(Pairing.game_id == game.id)
            .order_by(Pairing.angel_id)
        ).all()
    )


def login(client, email: str = "fran@example.org", password: str = PASSWORD):
    """Log a facilitator in through the real form."""
    return client.post("/login", data={"email": email, "password": password})


def open_as_participant(client, app: Flask, participant: Participant):
    """Open a participant's private link in this client as a person does: the link's page,
    then its "Open my page" button. Returns the button's response (a redirect to /me)."""
    from app.tokens import participant_link_token

    with app.app_context():
        token = participant_link_token(participant.public_id, participant.link_version)
    return follow_link(client, f"/p/{token}")


_CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*?value="([^"]*)"')


def follow_link(client, path: str):
    """Open a private link ("/p/<token>") as a person does: GET its page, then press "Open my
    page" (a POST carrying the page's CSRF token, if CSRF is on). Returns the last response:
    the redirect to /me, or the GET's answer when that was not the button page."""
    page = client.get(path)
    if page.status_code != 200:
        return page
    token = _CSRF_INPUT.search(page.text)
    return client.post(path, data={"csrf_token": token.group(1)} if token else {})


# One password hash for every quick facilitator: hashing is slow on purpose, and property
# tests that build a world per example would spend most of their time on it.
_QUICK_HASH: list[str] = []


def quick_facilitator(name: str = "Fran Facilitator", email: str = "fran@example.org"):
    """A facilitator account (password PASSWORD) without hashing the password again."""
    from werkzeug.security import generate_password_hash

    if not _QUICK_HASH:
        _QUICK_HASH.append(generate_password_hash(PASSWORD))
    facilitator = Facilitator(name=name, email=email, password_hash=_QUICK_HASH[0])
    db.session.add(facilitator)
    db.session.commit()
    return facilitator


def logged_in_as(client, facilitator_id: int):
    """Put a facilitator's login in this client's session, as the login form would."""
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = str(facilitator_id), True
    return client


@dataclass
class World:
    """A running game seen from outside, as tests drive it: ids, names, the secret pairing
    (tests only), and one logged-in client per person, made on first use."""

    app: Flask
    game_id: int
    people: dict[int, SimpleNamespace]
    mortal_of: dict[int, int]
    game_name: str = "Kindness month"
    drawn_at: datetime | None = None
    clients: dict = field(default_factory=dict)
    facilitator_client: object = None

    def client(self, pid: int):
        """A browser that opened this participant's private link (one per participant)."""
        if pid not in self.clients:
            client = self.app.test_client()
            assert open_as_participant(client, self.app, self.people[pid]).status_code == 302
            self.clients[pid] = client
        return self.clients[pid]

    @property
    def fac(self):
        """A browser logged in as the game's facilitator."""
        if self.facilitator_client is None:
            self.facilitator_client = self.app.test_client()
            assert login(self.facilitator_client).status_code == 302
        return self.facilitator_client

    def facilitator(self):
        """The facilitator's browser (as `fac`)."""
        return self.fac

    def angel_of(self, pid: int) -> int:
        """Who is this participant's angel."""
        return next(a for a, m in self.mortal_of.items() if m == pid)

    def by_name(self, name: str) -> int:
        """The id of the participant with this name."""
        return next(p for p, person in self.people.items() if person.name == name)

    def name(self, pid: int) -> str:
        """A participant's name, as stored."""
        return self.people[pid].name

    def email(self, pid: int) -> str:
        """A participant's email, as stored."""
        return self.people[pid].email

    def others(self, *pids: int) -> list[int]:
        """Everyone else, in id order."""
        return [p for p in sorted(self.people) if p not in pids]

    @property
    def ids(self) -> list[int]:
        """Every participant's id, in id (roster) order."""
        return sorted(self.people)


def make_world(
    app: Flask,
    people: list[tuple[str, str]] | int = DISTINCT_PEOPLE,
    seed: int = 1,
    name: str = "Kindness month",
    *,
    month_ahead: bool = False,
    world: type[World] = World,
) -> World:
    """A running game (drawn with `seed`) of Fran's, who is made on first use, seen as a World
    (or a module's subclass of it). `month_ahead` keeps it running a month from today, so
    later delivery days can be chosen."""
    with app.app_context():
        facilitator = (
            db.session.execute(
                select(Facilitator).where(Facilitator.email == "fran@example.org")
            ).scalar_one_or_none()
            or make_facilitator()
        )
        game = make_running_game(facilitator, people, seed=seed, name=name)
        if month_ahead:
            game.ends_on = max(game.ends_on, utcnow().date() + timedelta(days=30))
            db.session.commit()
        found = {
            p.id: SimpleNamespace(
                id=p.id,
                name=p.name,
                email=p.email,
                public_id=p.public_id,
                link_version=p.link_version,
            )
            for p in participants_of(game)
        }
        return world(app, game.id, found, pairings_of(game), name, game.drawn_at)


@contextmanager
def statements_run(app: Flask) -> Iterator[list[tuple[str, object]]]:
    """The SQL statements the app's database runs inside the block, each with its parameters
    (a tuple on SQLite, a dict on PostgreSQL), in order."""
    seen: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, *_args) -> None:
        seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", keep)
