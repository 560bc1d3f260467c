"""The circle after the draw: late joiners, leavers, changed addresses.

Each change to the circle is a random rearrangement of at least three links (see
app/domain/cycle_edits.py), so whoever is told learns nobody else's mortal. Only the people
affected are told: a newcomer (their invitation) and each angel whose mortal changed (that it
changed, not who: their page says who). Whether a change succeeds depends only on the roster
and the exclusions, never on the running game's pairing.
"""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import delete, insert, select, update

from app.domain import cycle_edits, roster
from app.domain.draw import DrawImpossible
from app.domain.states import CourierState, GameState, KindnessState
from app.extensions import db
from app.i18n import fast_gettext as _
from app.i18n import lazy_gettext as _l
from app.mail.messages import enqueue_invitation, notify
from app.models import (
    CourierRequest,
    Game,
    Kindness,
    OutboxMessage,
    Pairing,
    Participant,
    utcnow,
)
from app.services import ServiceError, as_sentence, links, translated
from app.services.circle_rules import edit_rules
from app.services.couriers import route
from app.services.rounds import next_release, release_moment
from app.services.setup import check_room, read_roster


def _cycle(game: Game) -> dict[int, int]:
    return dict(
        db.session.execute(
            select(Pairing.angel_id, Pairing.mortal_id)
            .where(Pairing.game_id == game.id)
            # In a set order, so a seeded edit redraws the same way on every database.
            .order_by(Pairing.angel_id)
        ).all()
    )


def _names(game: Game) -> dict[int, str]:
    return dict(
        db.session.execute(
            select(Participant.id, Participant.name).where(Participant.game_id == game.id)
        ).all()
    )


def _save_cycle(game: Game, before: dict[int, int], after: dict[int, int]) -> set[int]:
    """Write only the pairings that changed; return the angels whose mortal changed."""
    gone = set(before) - set(after)
    changed = cycle_edits.changed_angels(before, after)
    new = set(after) - set(before)
    rewrite = gone | changed
    if rewrite:
        db.session.execute(delete(Pairing).where(Pairing.angel_id.in_(rewrite)))
    rows = [
        {"game_id": game.id, "angel_id": a, "mortal_id": after[a]}
        for a in sorted((changed | new) & set(after))
    ]
    if rows:
        db.session.execute(insert(Pairing), rows)
    return changed


def _tell_new_mortal(
    game: Game, angels: set[int], now: datetime | None = None, rng: random.Random | None = None
) -> list[OutboxMessage]:
    """Tell each of these angels that their mortal changed, at a random moment of a later
    round, and show the new mortal on their page only from then: nobody watching learns when
    the circle moved under whom. The email names nobody (the private page does), and goes out
    in roster order, never circle order."""
    now = now or utcnow()
    messages = []
    for person in db.session.execute(
        select(Participant).where(Participant.id.in_(angels)).order_by(Participant.id)
    ).scalars():
        moment = next_release(game, now, rng).at
        db.session.execute(
            update(Pairing)
            .where(Pairing.angel_id == person.id)
            .values(released_at=moment)
            .execution_options(synchronize_session=False)
        )
        messages.append(
            notify(
                person,
                "mortal-changed",
                release_at=moment,
            )
        )
    return messages


def add_late_joiners(
    game: Game, text: str, rng: random.Random | None = None, csv_data: bytes | None = None
) -> roster.RosterReading:
    """Add people to a running game: each joins the circle by a random three-link change.

    Bad lines come back in the reading, as before the draw. Told: each newcomer (their
    invitation) and each person whose mortal changed.
    """
    if game.state != GameState.RUNNING:
        raise ServiceError(_("Late joiners can be added only while the game is running."))
    rng = rng or random.SystemRandom()
    reading = read_roster(game, text, csv_data)
    if not reading.entries:
        return reading
    check_room(game, len(reading.entries))
    newcomers = [
        Participant(
            game_id=game.id, name=e.name, email=e.email, email_key=e.key, team=e.team or None
        )
        for e in reading.entries
    ]
    db.session.add_all(newcomers)
    db.session.flush()
    before = _cycle(game)
    after = dict(before)
    names = _names(game)
    hard, wish, teams = edit_rules(game, set(before) | {p.id for p in newcomers})
    try:
        for person in newcomers:
            after = cycle_edits.splice_in(
                after, person.id, hard, rng, names, avoid=wish, teams=teams
            )
    except DrawImpossible as exc:
        db.session.rollback()
        raise ServiceError(translated(exc.args[0])) from None
    changed = _save_cycle(game, before, after)
    messages = [enqueue_invitation(game, p, release_moment(game, "invitation")) for p in newcomers]
    messages += _tell_new_mortal(game, changed - {p.id for p in newcomers})
    db.session.commit()
    return reading


def leave_refusal(game: Game, leaver: Participant) -> str | None:
    """Why this person could not leave now, or None when they can; changes nothing.

    Asked before showing "Leave the game?", so nobody confirms a step that is then refused. The
    answer comes from the same check as `withdraw` (the roster and the exclusions, never where
    the person sits in the circle), so it tells nothing about the pairing either.
    """
    if game.state != GameState.RUNNING or not leaver.active:
        return _("Only an active participant of a running game can leave.")
    try:
        cycle = _cycle(game)
        hard, wish, teams = edit_rules(game, set(cycle) - {leaver.id}, leaver.name)
    except ServiceError as exc:
        return str(exc)
    try:
        cycle_edits.cut_out(
            cycle, leaver.id, hard, random.Random(0), _names(game), wish, teams=teams
        )
    except DrawImpossible as exc:
        return translated(exc.args[0])
    return None


def withdraw(
    game: Game, leaver: Participant, rng: random.Random | None = None, *, organiser: bool = False
) -> None:
    """Take someone out of a running game and repair the circle.

    Their scheduled kindnesses are cancelled; deliveries they carry go to another courier;
    kindnesses on their way to them are cancelled and their angels told. Refused below three
    people, or when the exclusions leave no circle without them: never because of where they
    sit in the circle.
    """
    if game.state != GameState.RUNNING or not leaver.active:
        raise ServiceError(_("Only an active participant of a running game can leave."))
    rng = rng or random.SystemRandom()
    now = utcnow()
    names = _names(game)
    before = _cycle(game)
    hard, wish, teams = edit_rules(
        game, set(before) - {leaver.id}, None if organiser else leaver.name
    )
    try:
        # A muted angel taken out of the circle leaves it as it is.
        after = (
            cycle_edits.cut_out(before, leaver.id, hard, rng, names, wish, teams=teams)
            if leaver.id in before
            else before
        )
    except DrawImpossible as exc:
        raise ServiceError(translated(exc.args[0])) from None
    # Claim the change first: of two racing withdrawals of the same person, one proceeds.
    claimed = db.session.execute(
        update(Participant)
        .where(Participant.id == leaver.id, Participant.active.is_(True))
        .values(active=False, left_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise ServiceError(_("%(name)s has already left the game.", name=leaver.name))
    changed = _save_cycle(game, before, after)
    messages = _tell_new_mortal(game, changed)
    messages += _cancel_around(game, leaver, now, rng)
    db.session.commit()
    db.session.expire(leaver)


NO_NEW_ANGEL = _l(
    "The circle cannot be re-formed without a muted angel: a game needs at least three "
    "people, and your exclusions must leave a circle. Loosen an exclusion and try again."
)


def take_out_of_circle(game: Game, angel: Participant, rng: random.Random | None = None) -> bool:
    """Take a muted angel out of the circle so that their mortal gets a new angel; return
    whether they were in it.

    The same rearrangement as a leave (three angels get a new mortal, told in a later round),
    but the person stays on the roster, active, as before: nothing the organiser sees changes
    but the count of people without kindnesses, so she cannot tell who was taken out, nor
    whose angel they were. The refusal names nobody. What was on its way to them is cancelled
    and its angels told, as for a leaver.
    """
    before = _cycle(game)
    if game.state != GameState.RUNNING or angel.id not in before:
        return False
    rng = rng or random.SystemRandom()
    hard, wish, teams = edit_rules(game)
    try:
        after = cycle_edits.cut_out(before, angel.id, hard, rng, avoid=wish, teams=teams)
    except DrawImpossible:
        raise ServiceError(str(NO_NEW_ANGEL)) from None
    changed = _save_cycle(game, before, after)
    _tell_new_mortal(game, changed, rng=rng)
    _cancel_around(game, angel, utcnow(), rng)
    return True


def resend_invitation(
    game: Game, participant: Participant, name: str, email: str, rng: random.Random | None = None
) -> None:
    """After the draw: fix a name or email and send the invitation again with a fresh link.

    The old link stops working (its version is bumped). At the same address only this
    participant is emailed. A new address works the same whatever the person did so far, so
    the answer tells the facilitator nothing: they get a new place in the circle, as a leave
    and a join in one change, so whoever reads the new address learns a new mortal and not
    the old one; the angels whose mortal changed are told; the old address is told its
    address was changed (with no link); the person's page says so from then on.
    """
    if game.state != GameState.RUNNING:
        raise ServiceError(_("Invitations can be re-sent only while the game is running."))
    if not participant.active:
        raise ServiceError(
            _(
                "%(name)s has left the game, so there is no new link to send.",
                name=participant.name,
            )
        )
    try:
        name, email = roster.check_name(name), roster.check_email(email)
    except ValueError as exc:
        raise ServiceError(as_sentence(exc.args[0])) from None
    key = roster.email_key(email)
    taken = db.session.execute(
        select(Participant.id).where(
            Participant.game_id == game.id,
            Participant.email_key == key,
            Participant.id != participant.id,
        )
    ).first()
    if taken:
        raise ServiceError(_("%(email)s is already on the roster.", email=email))
    names = _names(game)
    before = after = _cycle(game)
    if key != participant.email_key:
        hard, wish, teams = edit_rules(game)
        rng = rng or random.SystemRandom()
        try:
            after = (
                cycle_edits.re_place(before, participant.id, hard, rng, names, wish, teams=teams)
                if participant.id in before
                else before
            )
        except DrawImpossible as exc:
            raise ServiceError(translated(exc.args[0])) from None
        changed = _save_cycle(game, before, after)
        _tell_new_mortal(game, changed - {participant.id})
        # No link: the one this address had stops working with this change.
        notify(
            participant,
            "address-changed",
            release_at=release_moment(participant.game, "address-changed"),
            new_email=email,
            link=None,
            preferences_link=None,
        )
        participant.address_changed_at = utcnow()
    participant.name, participant.email, participant.email_key = name, email, key
    participant.link_version += 1
    # The facilitator revokes a link that went astray: whoever used it is signed out too.
    links.end_sessions_of(participant)
    enqueue_invitation(game, participant, release_moment(game, "invitation"))
    db.session.commit()


def _cancel_around(game: Game, leaver: Participant, now, rng) -> list[OutboxMessage]:
    """Tidy the kindnesses that involve someone who left."""
    # What the leaver sent and is not delivered yet goes nowhere.
    sent = (
        db.session.execute(
            update(Kindness)
            .where(
                Kindness.angel_id == leaver.id,
                Kindness.state.in_((KindnessState.SCHEDULED, KindnessState.ROUTING)),
            )
            .values(state=KindnessState.CANCELLED)
            .returning(Kindness.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    # What was on its way to the leaver is cancelled, and its angels are told.
    incoming = db.session.execute(
        update(Kindness)
        .where(
            Kindness.mortal_id == leaver.id,
            Kindness.state.in_((KindnessState.SCHEDULED, KindnessState.ROUTING)),
        )
        .values(state=KindnessState.CANCELLED)
        .returning(Kindness.id, Kindness.angel_id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.execute(
        update(CourierRequest)
        .where(
            CourierRequest.kindness_id.in_(list(sent) + [k for k, _ in incoming]),
            CourierRequest.state.in_((CourierState.OFFERED, CourierState.ACCEPTED)),
        )
        .values(state=CourierState.WITHDRAWN, responded_at=now)
        .execution_options(synchronize_session=False)
    )
    # Deliveries the leaver was carrying go to the next courier.
    carried = (
        db.session.execute(
            update(CourierRequest)
            .where(
                CourierRequest.courier_id == leaver.id,
                CourierRequest.state.in_((CourierState.OFFERED, CourierState.ACCEPTED)),
            )
            .values(state=CourierState.WITHDRAWN, responded_at=now)
            .returning(CourierRequest.kindness_id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    messages: list[OutboxMessage] = []
    for item in db.session.execute(
        select(Kindness)
        .where(Kindness.id.in_(carried), Kindness.state == KindnessState.ROUTING)
        .order_by(Kindness.id)
    ).scalars():
        messages += route(item, now, rng)
    angels = {angel for _, angel in incoming}
    for person in db.session.execute(
        select(Participant)
        .where(Participant.id.in_(angels), Participant.active.is_(True))
        .order_by(Participant.id)
    ).scalars():
        messages.append(
            notify(
                person,
                "kindness-cancelled",
                release_at=release_moment(person.game, "kindness-cancelled"),
            )
        )
    return messages
