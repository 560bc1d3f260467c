"""`flask` commands: a demo game, starting again from an empty database, and the outbox."""

from __future__ import annotations

import random
from datetime import date, timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import ngettext
from sqlalchemy import func, select, text

from app.database import upgrade_quietly
from app.domain.collation import sorted_by_name
from app.extensions import db
from app.i18n import fast_gettext as _
from app.mail import outbox as mail_outbox
from app.mail.messages import participant_link
from app.models import GroupKind, OutboxMessage, OutboxStatus, Participant
from app.services import accounts, games, setup
from app.services.draw import draw_names

outbox_cli = AppGroup("outbox", help="Send or list queued mail.")

DEMO_PEOPLE = """Priya Sharma <priya@demo.example.org>
Sam Lee <sam@demo.example.org>
Alex Kim <alex@demo.example.org>
Zoë Müller <zoe@demo.example.org>
Tomás Ortega <tomas@demo.example.org>
Aiko Tanaka <aiko@demo.example.org>
Noah Williams <noah@demo.example.org>
Fatima Haddad <fatima@demo.example.org>
Oluwaseun Adeyemi <seun@demo.example.org>
Grace O'Brien <grace@demo.example.org>"""


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(demo)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(tick)
    app.cli.add_command(reset_db)


@click.command("tick")
@click.option(
    "--ahead",
    type=float,
    default=0.0,
    help="Development: act as if this many hours had passed, to see notes arrive now.",
)
@with_appcontext
def tick(ahead: float) -> None:
    """Periodic work: deliver notes that fall due, re-route stale courier offers, send mail.

    Idempotent and safe when two copies run at once; run it from cron every minute.
    """
    from datetime import timedelta

    from app.models import utcnow
    from app.services.periodic import tick as run_tick

    report = run_tick(utcnow() + timedelta(hours=ahead))
    click.echo(
        f"delivered {report.delivered}, re-routed {report.rerouted}, "
        f"reminders {report.reminded}, nudges {report.nudged}, digests {report.digests}, "
        f"mail sent {report.mail_sent}" + _sending_trouble(report.mail)
    )


@click.command("demo")
@click.option("--email", default="facilitator@demo.example.org", show_default=True)
@click.option("--password", default="kindness-demo", show_default=True)
@click.option("--seed", type=int, default=None, help="Seed the draw for a repeatable demo.")
@with_appcontext
def demo(email: str, password: str, seed: int | None) -> None:
    """Create a demo facilitator and a drawn game of ten, and print every private link."""
    # The links are printed below; the outbox's log of each invitation would only repeat them.
    current_app.logger.setLevel("WARNING")
    facilitator = accounts.find_by_email(email)
    earlier = [game.id for game, _ in games.games_of(facilitator)] if facilitator else []
    facilitator = facilitator or accounts.sign_up("Demo Facilitator", email, password)
    today = date.today()
    game = games.create_game(
        facilitator,
        games.GameDetails(
            name="Kindness month",
            group_kind=GroupKind.TEAM,
            group_name="Demo team",
            starts_on=today,
            ends_on=today + timedelta(days=28),
            avoid_repeat_mortals=False,
            welcome="Be someone's secret angel this month. Small things count: a smile, a cuppa, "
            "a kind note.",
        ),
    )
    setup.read_and_add(game, DEMO_PEOPLE, None)
    couple = (
        db.session.execute(
            select(Participant)
            .where(Participant.game_id == game.id)
            .order_by(Participant.id)
            .limit(2)
        )
        .scalars()
        .all()
    )
    setup.add_exclusion(game, couple[0], couple[1], both_ways=True)
    setup.add_drop_off(game, "Shelf by the kitchen")
    setup.add_drop_off(game, "Pigeonholes in reception")
    draw_names(game, random.Random(seed) if seed is not None else None)
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000"
    if earlier:
        click.echo(
            ngettext(
                "Note: %(email)s already had %(num)d game (%(games)s); this makes another "
                "one. To start again from an empty database: flask --app app reset-db",
                "Note: %(email)s already had %(num)d games (%(games)s); this makes another "
                "one. To start again from an empty database: flask --app app reset-db",
                len(earlier),
                email=email,
                games=", ".join(f"/games/{i}" for i in sorted(earlier)),
            )
        )
    click.echo(
        _(
            "Facilitator: %(url)s  email %(email)s  password %(password)s",
            url=f"{base}/login",
            email=email,
            password=password,
        )
    )
    click.echo(_("Game: %(url)s", url=f"{base}/games/{game.id}"))
    click.echo(_("Private links (each opens one participant's page):"))
    people = db.session.execute(select(Participant).where(Participant.game_id == game.id)).scalars()
    for person in sorted_by_name(people, lambda p: p.name):
        click.echo(f"  {person.name:<20} {participant_link(person)}")
    click.echo(
        _("Notes arrive in delivery rounds (09:00 and 15:00 UTC). To see them arrive now, run")
    )
    click.echo("  flask --app app tick --ahead 24")


@click.command("reset-db")
@click.confirmation_option(
    prompt="Delete every account, game and message in this database and start empty?"
)
@with_appcontext
def reset_db() -> None:
    """Start again from an empty database: delete everything, then build the tables anew."""
    db.session.remove()
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    if current_app.config.get("AUTO_MIGRATE") or not current_app.testing:
        upgrade_quietly()
    else:
        db.create_all()
    click.echo(_("The database is empty. `flask --app app demo` makes a demo game."))


@outbox_cli.command("send")
@click.option(
    "--limit", default=200, show_default=True, help="Messages claimed at a time (one batch)."
)
@click.option(
    "--ahead",
    type=float,
    default=0.0,
    help="Development: act as if this many hours had passed, so mail released later is due.",
)
def outbox_send(limit: int, ahead: float) -> None:
    """Send due mail, batch after batch, for at most OUTBOX_SEND_BUDGET_SECONDS; safe from
    cron and safe to run twice at once."""
    if not current_app.config.get("MAIL_SERVER"):
        queued = db.session.execute(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.QUEUED)
        ).scalar_one()
        click.echo(
            ngettext(
                "No MAIL_SERVER configured: %(num)d message kept in the outbox "
                "(see `flask outbox list`, or /dev/outbox in debug mode).",
                "No MAIL_SERVER configured: %(num)d messages kept in the outbox "
                "(see `flask outbox list`, or /dev/outbox in debug mode).",
                queued,
            )
        )
        return
    from app.models import utcnow

    report = mail_outbox.send_due(now=utcnow() + timedelta(hours=ahead), limit=limit)
    click.echo(describe_sending(report))
    for error in sorted(set(report.errors)):
        click.echo(f"  error: {error}")


def describe_sending(report: mail_outbox.SendReport) -> str:
    """One line saying what a run of the sender did, and what it left for the next run."""
    line = f"sent {report.sent}, will retry {report.retrying}, failed {report.failed}"
    return line + _out_of_time(report)


def _sending_trouble(report: mail_outbox.SendReport) -> str:
    """For `flask tick`: what the sender could not do, if anything (empty when all went out)."""
    trouble = ""
    if report.retrying or report.failed:
        trouble = f", mail will retry {report.retrying}, mail failed {report.failed}"
    return trouble + _out_of_time(report)


def _out_of_time(report: mail_outbox.SendReport) -> str:
    """A note that the time budget ran out and what went back to the queue (else empty)."""
    if not report.out_of_time:
        return ""
    budget = current_app.config["OUTBOX_SEND_BUDGET_SECONDS"]
    # Machine-read by cron logs, like the rest of the line: English, but never "(s)".
    messages = "message" if report.released == 1 else "messages"
    return (
        f"; time budget of {budget:g} s spent, {report.released} claimed {messages} put back "
        "in the queue (more may be due): the next run sends them"
    )


@outbox_cli.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include sent messages.")
def outbox_list(show_all: bool) -> None:
    """Print queued (or all) messages with their bodies, newest last."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if not show_all:
        query = query.where(OutboxMessage.status != OutboxStatus.SENT)
    for row in db.session.execute(query).scalars():
        click.echo(f"--- #{row.id} [{row.status}] to {row.to_addr}: {row.subject}")
        click.echo(row.body_text)
