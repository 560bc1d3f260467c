"""Configuration: embedded defaults, then instance/config.py, then the environment, then tests."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import Flask

from app.domain.limits import LIMITS


@dataclass(frozen=True)
class Setting:
    """One setting: its default, and how an environment variable of the same name is read.

    `read` is None for a setting the environment does not set (instance/config.py still may).
    """

    default: object
    read: Callable[[str], object] | None = None


def _text(value: str) -> str | None:
    """A string; an empty variable counts as unset."""
    return value or None


def _flag(value: str) -> bool:
    """A yes/no: 1, true, yes or on (any case) mean yes; anything else, even empty, no."""
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _number(kind: type) -> Callable[[str], object]:
    """An int or a float; an empty variable counts as unset."""
    return lambda value: kind(value) if value else None


def _days(value: str) -> timedelta | None:
    """A number of days, as a duration; an empty variable counts as unset."""
    return timedelta(days=float(value)) if value else None


def _key_list(value: str) -> list[str] | None:
    """Comma-separated keys; an empty variable counts as unset."""
    keys = [k.strip() for k in value.split(",") if k.strip()]
    return keys if value else None


# Every setting's default, and how the environment spells it, in one table. Defaults not
# listed are Flask's or an extension's own.
SETTINGS: dict[str, Setting] = {
    # No default key: see _choose_secret_key.
    "SECRET_KEY": Setting(None, _text),
    # Older keys, still accepted for sessions and links while a new key is rolled out.
    "SECRET_KEY_FALLBACKS": Setting(None, _key_list),
    # How participants get their private links: "email" sends invitations (with no MAIL_SERVER
    # a developer's outbox keeps them); "slips" keeps no participant email at all and the
    # facilitator hands out printed link slips (a class without email). See mail_kept().
    "MAIL_MODE": Setting("email", _text),
    # Mail: with no MAIL_SERVER the outbox keeps every message and logs it (the embedded default).
    "MAIL_SERVER": Setting(None, _text),
    "MAIL_PORT": Setting(25, _number(int)),
    "MAIL_USE_TLS": Setting(False, _flag),
    "MAIL_USE_SSL": Setting(False, _flag),
    "MAIL_USERNAME": Setting(None, _text),
    "MAIL_PASSWORD": Setting(None, _text),
    "MAIL_DEFAULT_SENDER": Setting("Angels & Mortals <angels@localhost>", _text),
    # Seconds an SMTP connection may wait; Flask-Mail itself sets none.
    "MAIL_TIMEOUT": Setting(10.0, _number(float)),
    # Seconds one run of the sender (`flask tick`, `flask outbox send`) may spend sending;
    # what it has no time for goes back to the queue at once for the next run.
    "OUTBOX_SEND_BUDGET_SECONDS": Setting(20.0, _number(float)),
    "OUTBOX_MAX_ATTEMPTS": Setting(8, _number(int)),
    "OUTBOX_BACKOFF_SECONDS": Setting(60),
    # Base URL put in front of links in emails, e.g. https://angels.example.org
    "PUBLIC_BASE_URL": Setting(None, _text),
    # How long a participant's private link stays valid (seconds).
    "PARTICIPANT_LINK_MAX_AGE": Setting(60 * 60 * 24 * 120),
    # Kindnesses.
    "NOTE_MAX_LENGTH": Setting(LIMITS.note, _number(int)),
    "KINDNESS_DAILY_LIMIT": Setting(10, _number(int)),
    # Questions a mortal may ask their angel in one day of the game's clock.
    "QUESTION_DAILY_LIMIT": Setting(1, _number(int)),
    "DELIVERY_WINDOW_MINUTES": Setting(60),
    "DELIVERY_MIN_DELAY_MINUTES": Setting(30),
    "COURIER_ACCEPT_HOURS": Setting(24, _number(float)),
    "COURIER_MAX_TRIES": Setting(3, _number(int)),
    # Couriers already carrying this many are asked only when everyone else is too.
    "COURIER_MAX_OPEN": Setting(3, _number(int)),
    # Gentle reminders: an angel quiet for this many days gets one warm email, at most every
    # REMINDER_GAP_DAYS; a mortal with a kindness unread this long gets a nudge.
    "REMINDER_AFTER_DAYS": Setting(3),
    "REMINDER_GAP_DAYS": Setting(3),
    "NUDGE_AFTER_DAYS": Setting(2),
    # Hours after an invitation was sent that it is reminded once, if its page is still unopened.
    "INVITATION_REMINDER_AFTER_HOURS": Setting(24),
    # Digest readers get their daily email at this hour in the game's time zone.
    "DIGEST_HOUR": Setting(18),
    # The smallest count of people the dashboard shows, and how many angels must stay secret
    # together at the reveal for any of them to.
    "DASHBOARD_MIN_COUNT": Setting(3),
    # Periodic work (deliveries, re-routing, mail) also runs on page loads at most this often,
    # so `flask run` needs no second process. Turn off where cron runs `flask tick`.
    "AUTO_TICK": Setting(True, _flag),
    "AUTO_TICK_SECONDS": Setting(30),
    # Rate limits (login, sign-up, lost link, join, kindnesses). memory:// counts in each
    # process on its own; with several workers use the shared redis://localhost:6379/0.
    "RATELIMIT_STORAGE_URI": Setting("memory://", _text),
    "RATELIMIT_HEADERS_ENABLED": Setting(False),
    # RATELIMIT_ENABLED=false turns Flask-Limiter off (a load test from one address, never
    # production).
    "RATELIMIT_ENABLED": Setting(True, _flag),
    # Number of proxies in front (nginx, a load balancer) whose X-Forwarded-* headers to trust.
    "PROXY_FIX": Setting(0, _number(int)),
    "SQLALCHEMY_ENGINE_OPTIONS": Setting({}),
    # Tests on a throwaway database create the tables directly unless told not to.
    "CREATE_TABLES": Setting(True),
    # Seconds a database write waits for another one to finish before the request gives up
    # and answers 503 "busy, try again" (SQLite's busy timeout; PostgreSQL's lock_timeout).
    "DATABASE_BUSY_TIMEOUT_SECONDS": Setting(15, _number(float)),
    "MAX_CONTENT_LENGTH": Setting(2 * 1024 * 1024),
    # Most people one game may hold (leavers count: they keep a row); roster pages are paged,
    # so only the upload and the draw grow with it.
    "MAX_ROSTER_SIZE": Setting(20000, _number(int)),
    # How facilitators' passwords are hashed (werkzeug's method string). Slow on purpose;
    # tests choose a cheap "pbkdf2:sha256:1000", since they sign up hundreds of accounts.
    "PASSWORD_HASH_METHOD": Setting("scrypt", _text),
    # How long a password-reset link emailed to a facilitator works (seconds); it also stops
    # working once used, since it names the password it replaces.
    "PASSWORD_RESET_MAX_AGE": Setting(60 * 60, _number(int)),
    # "Remember me" on the login keeps a facilitator logged in on that device this many days
    # (Flask-Login's cookie; its Secure/HttpOnly/SameSite follow the session cookie's below).
    "REMEMBER_COOKIE_DURATION": Setting(timedelta(days=30), _days),
    "SESSION_COOKIE_HTTPONLY": Setting(True),
    "SESSION_COOKIE_SAMESITE": Setting("Lax"),
    "SESSION_COOKIE_SECURE": Setting(False, _flag),
    "WTF_CSRF_TIME_LIMIT": Setting(None),
}

# The defaults alone, as app.config takes them.
DEFAULTS = {name: setting.default for name, setting in SETTINGS.items()}


def load(app: Flask, test_config: dict | None) -> None:
    """Fill app.config: defaults, instance config.py, environment variables, then test_config."""
    app.config.from_mapping(DEFAULTS)
    app.config["SQLALCHEMY_DATABASE_URI"] = _embedded_database(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        _from_environment(app)
    else:
        app.config.from_mapping(test_config)

    # SQLite (the embedded default) keeps itself migrated on start; PostgreSQL is migrated
    # explicitly with `flask db upgrade`, so several workers never race to change the schema.
    app.config.setdefault(
        "AUTO_MIGRATE",
        app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and not app.testing,
    )
    # A failed statement's error (and any SQL echo) must never log its bound values: they
    # include angel and mortal ids, names and addresses.
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.setdefault("hide_parameters", True)
    _set_busy_timeout(app.config["SQLALCHEMY_DATABASE_URI"], options, app.config)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    _choose_secret_key(app)
    _remember_cookie_like_session_cookie(app)
    _check_mail_mode(app)
    _check_rate_limit_storage(app)


def _set_busy_timeout(uri: str, options: dict, config) -> None:
    """Make every connection wait DATABASE_BUSY_TIMEOUT_SECONDS for a lock, then fail.

    A request never waits longer than that on another writer; the error pages turn the
    failure into 503 "busy, try again" (app/web/errors.py). Connect arguments the operator
    set explicitly win.
    """
    seconds = float(config["DATABASE_BUSY_TIMEOUT_SECONDS"])
    connect_args = dict(options.get("connect_args") or {})
    if uri.startswith("sqlite"):
        # The sqlite3 driver's timeout is SQLite's busy timeout.
        connect_args.setdefault("timeout", seconds)
    elif uri.startswith("postgresql"):
        connect_args.setdefault("options", f"-c lock_timeout={int(seconds * 1000)}")
    options["connect_args"] = connect_args


def _remember_cookie_like_session_cookie(app: Flask) -> None:
    """The "remember me" cookie logs a facilitator in as surely as the session cookie does, so
    it is sent under the same rules (HTTPS only where the session cookie is, never to
    scripts, same-site), unless the operator set it on its own."""
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", app.config["SESSION_COOKIE_HTTPONLY"])
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", app.config["SESSION_COOKIE_SAMESITE"])


MAIL_MODES = ("email", "slips")


def slips_mode(app: Flask) -> bool:
    """True when links are handed out on printed slips rather than emailed (MAIL_MODE=slips)."""
    return app.config.get("MAIL_MODE") == "slips"


def mail_kept(app: Flask) -> bool:
    """Whether participant emails are written to the outbox at all.

    False in slips mode: an invitation names a mortal and carries a live link, so where nobody
    will send it, keeping it would only let whoever reads the outbox see every pairing.
    The outbox asks this one function, so the rule lives here and nowhere else.
    """
    return not slips_mode(app)


def _check_mail_mode(app: Flask) -> None:
    """Refuse an unknown MAIL_MODE, and a production server that could reach nobody.

    In production, mail with no MAIL_SERVER would pile up unread in the outbox, and the only
    way to get links to people would be to read it, pairings included. So production needs a
    mail server, or the explicit choice of slips.
    """
    mode = str(app.config.get("MAIL_MODE") or "email").strip().lower()
    if mode not in MAIL_MODES:
        raise RuntimeError(
            f"MAIL_MODE={mode!r} is not known: use 'email' (the default) or 'slips'."
        )
    app.config["MAIL_MODE"] = mode
    production = os.environ.get("ANGELS_ENV") == "production"
    if production and mode == "email" and not app.config.get("MAIL_SERVER"):
        raise RuntimeError(
            "MAIL_SERVER is not set. In production the service sends each participant their "
            "private link by email: set MAIL_SERVER (see README, Running in production), or set "
            "MAIL_MODE=slips to run without email, where no participant email is kept and the "
            "facilitator hands out printed link slips (see README, A class without email)."
        )


def _check_rate_limit_storage(app: Flask) -> None:
    """Warn a production start whose rate limits are counted in each process's own memory.

    Every gunicorn worker would keep its own count, so four workers allow four times each
    limit (four times the guesses at a login, four times the lost-link mail to one inbox).
    A warning, not a refusal: a single-process server is still counted right.
    """
    production = os.environ.get("ANGELS_ENV") == "production"
    storage = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if production and storage.startswith("memory://"):
        app.logger.warning(
            "RATELIMIT_STORAGE_URI is %s: rate limits are counted per process, so each "
            "gunicorn worker keeps its own count and N workers allow N times every limit. "
            "Set RATELIMIT_STORAGE_URI=redis://localhost:6379/0 to share one count "
            "(see README, Running in production).",
            storage,
        )


WEAK_KEYS = {"dev", "development", "secret", "changeme", "change-me", "test", "key"}


def _weak(key: str) -> bool:
    return len(key) < 16 or key.lower() in WEAK_KEYS


def _from_command_line() -> bool:
    """True when the app is being loaded by the `flask` command (run, demo, tick, …)."""
    import click

    return click.get_current_context(silent=True) is not None


def _choose_secret_key(app: Flask) -> None:
    """Use the configured SECRET_KEY, or refuse to start where a made-up one would be unsafe.

    On a developer's machine (debug, tests, or the `flask` command) a key is generated once
    into instance/secret_key. A server (gunicorn, or ANGELS_ENV=production) must be given a
    real one, so it never runs on a key nobody chose and workers never disagree.
    """
    key = app.config.get("SECRET_KEY")
    production = os.environ.get("ANGELS_ENV") == "production"
    relaxed = (app.debug or app.testing or _from_command_line()) and not production
    if not relaxed:
        # A fallback key still verifies sessions and links, so it must be as strong.
        for name, value in [("SECRET_KEY", key)] + [
            ("SECRET_KEY_FALLBACKS", k) for k in app.config.get("SECRET_KEY_FALLBACKS") or []
        ]:
            if value and _weak(value):
                raise RuntimeError(
                    f"{name} is too weak: use a long random value, e.g. "
                    "python -c 'import secrets; print(secrets.token_hex(32))'."
                )
    if key:
        return
    if not relaxed:
        raise RuntimeError(
            "SECRET_KEY is not set. Set it in the environment to a long random value, e.g. "
            "python -c 'import secrets; print(secrets.token_hex(32))' "
            "(see README, Running in production)."
        )
    app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")


def _embedded_database(app: Flask) -> str:
    return "sqlite:///" + str(Path(app.instance_path) / "angels.sqlite3")


def _from_environment(app: Flask) -> None:
    """Read the documented environment variables (SETTINGS, plus DATABASE_URL), typed.

    A variable that is unset, or empty where empty means nothing, leaves the setting alone.
    Flask's `from_prefixed_env` does not fit: the documented names carry no prefix, and it
    parses values as JSON, so MAIL_USE_TLS=yes would stay a string and MAIL_SERVER=1 a number.
    """
    env = os.environ
    if env.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(env["DATABASE_URL"])
    for name, setting in SETTINGS.items():
        if setting.read is None or name not in env:
            continue
        value = setting.read(env[name])
        if value is not None:
            app.config[name] = value


def normalise_database_url(url: str) -> str:
    """Accept the common postgres:// spellings and point them at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret(path: Path) -> str:
    """Return the secret key kept in instance/, creating it once (safe if two workers race).

    The key is written to a temporary file and then linked into place in one step, so another
    process never reads a half-written file; of two processes racing, the first link wins and
    both use its key. A key file that exists but is empty (left by a crash of an older version)
    is refused rather than used: links signed with an empty key could be forged by anyone.
    """
    if not path.exists():
        key = secrets.token_hex(32)
        fd, temporary = tempfile.mkstemp(prefix=".secret_key-", dir=path.parent)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(key)
                fh.flush()
                os.fsync(fh.fileno())
            # link(), unlike rename(), never replaces a key another process put there first.
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(
            f"{path} is empty. Delete it to have a new key generated (links and sessions made "
            "with the old key stop working), or set SECRET_KEY."
        )
    return key
