"""The dashboard's tallies, kept by database triggers, always equal counting the rows live.

Runs on whichever database the tests use (SQLite here, PostgreSQL with TEST_DATABASE_URL), so
the triggers of both dialects are checked against the same live aggregates.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

from flask_migrate import downgrade, upgrade
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Integer,
    MetaData,
    Table,
    cast,
    delete,
    extract,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from werkzeug.security import generate_password_hash

from app import create_app
from app.database import MIGRATIONS
from app.domain.aggregates import BUCKET_SECONDS
from app.extensions import db
from app.models import (
    CourierRequest,
    Game,
    GameTally,
    Kindness,
    KindnessTally,
    OutcomeTally,
    Participant,
    Thanks,
    new_public_id,
)
from app.services import dashboard
from tests.helpers import (
    PASSWORD,
    TEST_DATABASE_URL,
    database_uri,
    engine_options,
    make_facilitator,
    make_game,
    participants_of,
)

STATES = ("scheduled", "routing", "delivered", "undeliverable", "cancelled")
KINDS = ("note", "in_person")
COURIER_STATES = ("offered", "accepted", "declined", "expired", "done", "withdrawn")
OUTCOMES = ("done", "declined", "expired")
EPOCH = datetime(2026, 3, 28, 23, 30)  # a daylight-saving weekend, on bucket edges


def bucket_of(column):
    """The 15-minute UTC bucket of a naive-UTC timestamp column, written independently of the
    triggers' SQL (unixepoch() on SQLite rather than strftime('%s')), so the two check
    each other."""
    if db.engine.dialect.name == "postgresql":
        return cast(func.floor(extract("epoch", column) / BUCKET_SECONDS), Integer)
    return func.unixepoch(column, type_=Integer) // BUCKET_SECONDS


def live_kindness_tally() -> dict[tuple[int, int, str], int]:
    """(game, bucket, kind) -> kindnesses not cancelled, counted straight from `kindness`."""
    bucket = bucket_of(Kindness.created_at).label("bucket")
    rows = db.session.execute(
        select(Kindness.game_id, bucket, Kindness.kind, func.count())
        .where(Kindness.state != "cancelled")
        .group_by(Kindness.game_id, bucket, Kindness.kind)
    ).all()
    return {(g, b, k): n for g, b, k, n in rows}


def stored_kindness_tally() -> dict[tuple[int, int, str], int]:
    """The kindness tally as stored, without rows that count nothing."""
    rows = db.session.execute(
        select(KindnessTally.game_id, KindnessTally.bucket, KindnessTally.kind, KindnessTally.n)
    ).all()
    return {(g, b, k): n for g, b, k, n in rows if n != 0}


def live_game_tally() -> dict[tuple[int, str], int]:
    """(game, counter) -> thank-yous and courier outcomes, counted straight from the rows."""
    result = {}
    thanks = db.session.execute(
        select(Kindness.game_id, func.count())
        .join(Thanks, Thanks.kindness_id == Kindness.id)
        .group_by(Kindness.game_id)
    ).all()
    result.update({(g, "thanks"): n for g, n in thanks})
    couriers = db.session.execute(
        select(Kindness.game_id, CourierRequest.state, func.count())
        .join(CourierRequest, CourierRequest.kindness_id == Kindness.id)
        .where(CourierRequest.state.in_(OUTCOMES))
        .group_by(Kindness.game_id, CourierRequest.state)
    ).all()
    result.update({(g, f"courier_{s}"): n for g, s, n in couriers})
    return result


def stored_game_tally() -> dict[tuple[int, str], int]:
    rows = db.session.execute(select(GameTally.game_id, GameTally.name, GameTally.n)).all()
    return {(g, name): n for g, name, n in rows if n != 0}


def _bucket_in_python(moment: datetime) -> int:
    """The 15-minute UTC bucket of a naive-UTC moment, worked out in Python (whole seconds,
    the fraction cut off), so the triggers' SQL is checked against something else."""
    return (moment - datetime(1970, 1, 1)) // timedelta(seconds=1) // BUCKET_SECONDS


def _outcome_moment(request) -> datetime:
    if request.state == "done":
        return request.done_at or request.offered_at
    if request.state == "declined":
        return request.responded_at or request.offered_at
    return request.expires_at


def live_outcome_tally() -> dict[tuple[int, int, str], int]:
    """(game, bucket, counter) -> thank-yous and courier outcomes, each in the bucket of the
    moment the dashboard dates it by, counted from the rows in Python."""
    result: dict[tuple[int, int, str], int] = {}
    thanks = db.session.execute(
        select(Kindness.game_id, Thanks.created_at).join(Thanks, Thanks.kindness_id == Kindness.id)
    ).all()
    keys = [(g, _bucket_in_python(at), "thanks") for g, at in thanks]
    requests = db.session.execute(
        select(
            Kindness.game_id,
            CourierRequest.state,
            CourierRequest.done_at,
            CourierRequest.responded_at,
            CourierRequest.offered_at,
            CourierRequest.expires_at,
        )
        .join(CourierRequest, CourierRequest.kindness_id == Kindness.id)
        .where(CourierRequest.state.in_(OUTCOMES))
    ).all()
    keys += [
        (r.game_id, _bucket_in_python(_outcome_moment(r)), f"courier_{r.state}") for r in requests
    ]
    for key in keys:
        result[key] = result.get(key, 0) + 1
    return result


def stored_outcome_tally() -> dict[tuple[int, int, str], int]:
    rows = db.session.execute(
        select(OutcomeTally.game_id, OutcomeTally.bucket, OutcomeTally.name, OutcomeTally.n)
    ).all()
    return {(g, b, name): n for g, b, name, n in rows if n != 0}


def assert_tallies_are_exact(game_ids) -> None:
    assert stored_kindness_tally() == live_kindness_tally()
    assert stored_game_tally() == live_game_tally()
    assert stored_outcome_tally() == live_outcome_tally()
    # And the dashboard's own read of one game gives the same buckets.
    live = live_kindness_tally()
    for gid in game_ids:
        game = db.session.get(Game, gid)
        read = sorted(tuple(row) for row in dashboard._buckets(game))
        assert read == sorted((b, k, n) for (g, b, k), n in live.items() if g == gid)


moments = st.builds(
    lambda quarters, seconds, micros: (
        EPOCH + timedelta(minutes=15 * quarters, seconds=seconds, microseconds=micros)
    ),
    st.integers(0, 8),
    st.sampled_from((0, 1, 899, 450)),
    st.sampled_from((0, 1, 500_000)),
)
new_kindness = st.tuples(
    st.integers(0, 1), moments, st.sampled_from(KINDS), st.sampled_from(STATES)
)
pick = st.integers(0, 10_000)  # an index into the rows there are, modulo their number
operations = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), st.lists(new_kindness, min_size=1, max_size=4)),
        st.tuples(st.just("orm_insert"), new_kindness),
        st.tuples(st.just("cancel_all"), st.integers(0, 1), moments),
        st.tuples(st.just("uncancel_all"), st.integers(0, 1), st.sampled_from(STATES[:4])),
        st.tuples(
            st.just("orm_update"),
            pick,
            st.one_of(
                st.tuples(st.just("state"), st.sampled_from(STATES)),
                st.tuples(st.just("created_at"), moments),
                st.tuples(st.just("kind"), st.sampled_from(KINDS)),
                st.tuples(st.just("game"), st.integers(0, 1)),
            ),
        ),
        st.tuples(st.just("bulk_delete"), pick),
        st.tuples(st.just("orm_delete"), pick),
        st.tuples(st.just("courier"), pick, st.sampled_from(COURIER_STATES)),
        st.tuples(st.just("courier_state"), pick, st.sampled_from(COURIER_STATES)),
        st.tuples(
            st.just("courier_moment"),
            pick,
            st.sampled_from(("done_at", "responded_at", "offered_at", "expires_at")),
            st.one_of(st.none(), moments),
        ),
        st.tuples(st.just("courier_delete"), pick),
        st.tuples(st.just("thanks_moment"), pick, moments),
        st.tuples(st.just("thanks"), pick),
        st.tuples(st.just("thanks_delete"), pick),
    ),
    min_size=1,
    max_size=15,
)


def _row(gid: int, pid: int, moment: datetime, kind: str, state: str) -> dict:
    return {
        "public_id": new_public_id(),
        "game_id": gid,
        "angel_id": pid,
        "mortal_id": pid,
        "kind": kind,
        "message": "x",
        "state": state,
        "created_at": moment,
    }


def _nth(model, index: int):
    ids = db.session.execute(select(model.id).order_by(model.id)).scalars().all()
    return ids[index % len(ids)] if ids else None


def _apply(op: tuple, gids: list[int], pid: int) -> None:
    name = op[0]
    if name == "insert":
        rows = [_row(gids[g], pid, m, k, s) for g, m, k, s in op[1]]
        db.session.execute(insert(Kindness), rows)
    elif name == "orm_insert":
        g, m, k, s = op[1]
        db.session.add(Kindness(**_row(gids[g], pid, m, k, s)))
    elif name == "cancel_all":
        db.session.execute(
            update(Kindness)
            .where(Kindness.game_id == gids[op[1]], Kindness.created_at >= op[2])
            .values(state="cancelled")
        )
    elif name == "uncancel_all":
        db.session.execute(
            update(Kindness)
            .where(Kindness.game_id == gids[op[1]], Kindness.state == "cancelled")
            .values(state=op[2])
        )
    elif name == "orm_update":
        kid = _nth(Kindness, op[1])
        if kid is not None:
            row = db.session.get(Kindness, kid)
            field, value = op[2]
            if field == "game":
                row.game_id = gids[value]
            else:
                setattr(row, field, value)
    elif name in ("bulk_delete", "orm_delete"):
        kid = _nth(Kindness, op[1])
        if kid is not None and name == "bulk_delete":
            db.session.execute(delete(Kindness).where(Kindness.id == kid))
        elif kid is not None:
            db.session.delete(db.session.get(Kindness, kid))
    elif name == "courier":
        kid = _nth(Kindness, op[1])
        if kid is not None:
            db.session.execute(
                insert(CourierRequest).values(
                    public_id=new_public_id(),
                    kindness_id=kid,
                    courier_id=pid,
                    state=op[2],
                    expires_at=EPOCH,
                )
            )
    elif name == "courier_state":
        cid = _nth(CourierRequest, op[1])
        if cid is not None:
            db.session.execute(
                update(CourierRequest).where(CourierRequest.id == cid).values(state=op[2])
            )
    elif name == "courier_moment":
        cid = _nth(CourierRequest, op[1])
        field, moment = op[2], op[3]
        if moment is None and field in ("offered_at", "expires_at"):
            moment = EPOCH  # never empty
        if cid is not None:
            db.session.execute(
                update(CourierRequest).where(CourierRequest.id == cid).values({field: moment})
            )
    elif name == "thanks_moment":
        tid = _nth(Thanks, op[1])
        if tid is not None:
            db.session.execute(update(Thanks).where(Thanks.id == tid).values(created_at=op[2]))
    elif name == "courier_delete":
        cid = _nth(CourierRequest, op[1])
        if cid is not None:
            db.session.execute(delete(CourierRequest).where(CourierRequest.id == cid))
    elif name == "thanks":
        kid = _nth(Kindness, op[1])
        taken = db.session.execute(select(Thanks.kindness_id)).scalars().all()
        if kid is not None and kid not in taken:
            db.session.add(Thanks(kindness_id=kid, message="Thank you"))
    elif name == "thanks_delete":
        tid = _nth(Thanks, op[1])
        if tid is not None:
            db.session.execute(delete(Thanks).where(Thanks.id == tid))
    db.session.flush()


def test_the_tallies_equal_the_live_counts_after_any_changes(app):
    with app.app_context():
        facilitator = make_facilitator()
        first, second = make_game(facilitator, 3, name="First"), make_game(facilitator, 3)
        gids = [first.id, second.id]
        pid = participants_of(first)[0].id
        db.session.commit()

    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(operations)
    @example(
        [
            ("insert", [(0, EPOCH, "in_person", "routing"), (1, EPOCH, "note", "delivered")]),
            ("thanks", 0),
            ("thanks", 1),
            ("courier", 0, "done"),
            ("courier", 1, "done"),
            ("orm_update", 0, ("game", 1)),
            ("courier_state", 0, "expired"),
            ("courier", 1, "declined"),
            ("courier_moment", 1, "responded_at", EPOCH + timedelta(minutes=14, seconds=59.9)),
            ("thanks_moment", 1, EPOCH + timedelta(minutes=29, seconds=59, microseconds=999999)),
            ("orm_update", 3, ("game", 0)),
            ("orm_delete", 0),
        ]
    )
    def check(ops):
        with app.app_context():
            # Each example starts from nothing, so a failure shrinks to the changes that matter.
            for model in (Thanks, CourierRequest, Kindness, KindnessTally, GameTally, OutcomeTally):
                db.session.execute(delete(model))
            db.session.commit()
            for op in ops:
                _apply(op, gids, pid)
                db.session.commit()
                assert_tallies_are_exact(gids)
            db.session.expunge_all()

    check()


def test_deleting_a_game_takes_its_tallies_with_it(app):
    with app.app_context():
        facilitator = make_facilitator()
        doomed, kept = make_game(facilitator, 3, name="Doomed"), make_game(facilitator, 3)
        for game in (doomed, kept):
            pid = participants_of(game)[0].id
            db.session.execute(
                insert(Kindness),
                [_row(game.id, pid, EPOCH, "in_person", "delivered") for _ in range(3)],
            )
        for kid in db.session.execute(select(Kindness.id)).scalars().all():
            db.session.add(Thanks(kindness_id=kid, message="Thanks"))
            db.session.add(
                CourierRequest(kindness_id=kid, courier_id=pid, state="done", expires_at=EPOCH)
            )
        db.session.commit()
        doomed_id = doomed.id
        db.session.execute(delete(Game).where(Game.id == doomed_id))
        db.session.commit()
        assert_tallies_are_exact([kept.id])
        for model in (KindnessTally, GameTally, OutcomeTally):
            left = db.session.execute(select(model).where(model.game_id == doomed_id)).all()
            assert left == []


def _migration_app(tmp_path):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "a-long-enough-test-secret-key",
            "SQLALCHEMY_DATABASE_URI": database_uri(tmp_path),
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options(),
            "AUTO_TICK": False,
            "AUTO_MIGRATE": False,
            "CREATE_TABLES": False,
        }
    )


def _empty_database() -> None:
    """PostgreSQL is shared between tests: start the migrations from nothing."""
    if TEST_DATABASE_URL:
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _insert_old_game(table: Table, facilitator_id: int, name: str) -> int:
    """A draft game row in an older schema (`table` reflected from it), naming only its columns."""
    values = {
        "public_id": new_public_id(),
        "facilitator_id": facilitator_id,
        "name": name,
        "group_kind": "team",
        "group_name": "",
        "starts_on": EPOCH.date(),
        "ends_on": EPOCH.date() + timedelta(days=28),
        "welcome": "",
        "avoid_repeat_mortals": False,
        "allow_self_join": False,
        "reveal_at_end": True,
        "delivery_times": "09:00, 15:00",
        "timezone": "UTC",
        "state": "draft",
        "created_at": EPOCH,
    }
    row = {key: value for key, value in values.items() if key in table.c}
    return db.session.execute(insert(table).values(row)).inserted_primary_key[0]


def test_the_migration_backfills_the_tallies_from_existing_rows(tmp_path):
    app = _migration_app(tmp_path)
    before = "5d2218332028"
    with app.app_context():
        _empty_database()
        upgrade(directory=str(MIGRATIONS), revision=before)
        assert "kindness_tally" not in inspect(db.engine).get_table_names()
        # The facilitator too by a plain INSERT: the model may have gained columns since.
        old_facilitator = Table("facilitator", MetaData(), autoload_with=db.engine)
        facilitator = SimpleNamespace(
            id=db.session.execute(
                old_facilitator.insert().values(
                    name="Mig Facilitator",
                    email="mig@example.org",
                    password_hash=generate_password_hash(PASSWORD),
                    created_at=EPOCH,
                )
            ).inserted_primary_key[0]
        )
        game_ids = []
        old_game = Table("game", MetaData(), autoload_with=db.engine)
        for name in ("One", "Two"):
            # Games and participants by a plain INSERT of the columns this old schema has: the
            # model may have gained columns since, which the ORM would name.
            game = SimpleNamespace(id=_insert_old_game(old_game, facilitator.id, name))
            game_ids.append(game.id)
            db.session.execute(
                Participant.__table__.insert(),
                [
                    {
                        "game_id": game.id,
                        "name": f"P{i}",
                        "email": f"p{i}@x.org",
                        "email_key": f"p{i}@x.org",
                    }
                    for i in range(3)
                ],
            )
            pid = db.session.execute(
                select(func.min(Participant.id)).where(Participant.game_id == game.id)
            ).scalar_one()
            rows = [
                _row(game.id, pid, EPOCH + timedelta(minutes=7 * i), kind, state)
                for i, (kind, state) in enumerate(
                    (k, s) for k in KINDS for s in STATES for _ in range(2)
                )
            ]
            db.session.execute(insert(Kindness), rows)
        kids = db.session.execute(select(Kindness.id).order_by(Kindness.id)).scalars().all()
        # Core inserts naming only the columns this old schema has (later ones are absent).
        for i, kid in enumerate(kids[::3]):
            db.session.execute(
                insert(Thanks.__table__).values(kindness_id=kid, message="Thanks", created_at=EPOCH)
            )
            db.session.execute(
                insert(CourierRequest.__table__).values(
                    public_id=f"request-{kid}",
                    kindness_id=kid,
                    courier_id=pid,
                    state=COURIER_STATES[i % len(COURIER_STATES)],
                    offered_at=EPOCH,
                    expires_at=EPOCH,
                )
            )
        db.session.commit()
        live = live_kindness_tally(), live_game_tally()
        live_outcomes = live_outcome_tally()
        db.session.remove()

        upgrade(directory=str(MIGRATIONS))
        db.session.remove()
        assert (stored_kindness_tally(), stored_game_tally()) == live
        assert stored_outcome_tally() == live_outcomes and live_outcomes
        assert sum(live[0].values()) > 0 and live[1]
        # The triggers are in place after the backfill.
        db.session.execute(update(Kindness).values(state="cancelled"))
        db.session.commit()
        assert_tallies_are_exact(game_ids)
        db.session.remove()  # PostgreSQL: no open read may hold up the migration's locks

        downgrade(directory=str(MIGRATIONS), revision=before)
        db.session.remove()
        tables = set(inspect(db.engine).get_table_names())
        assert not {"kindness_tally", "game_tally", "outcome_tally"} & tables
        # Without the triggers, kindness rows change freely.
        db.session.execute(update(Kindness).values(state="delivered"))
        db.session.execute(delete(Thanks))
        db.session.commit()
        upgrade(directory=str(MIGRATIONS))
        db.session.remove()
        assert_tallies_are_exact(game_ids)
        db.session.remove()
        _empty_database()
        db.session.remove()
        db.engine.dispose()
