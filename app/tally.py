"""Dashboard tallies that the database keeps exact with triggers.

`kindness_tally(game_id, bucket, kind, n)`: n is the number of a game's kindnesses in one
15-minute UTC bucket and kind whose state is not 'cancelled'. The bucket is the one the
dashboard has always used: whole epoch seconds of the naive-UTC `created_at`, integer-divided
by BUCKET_SECONDS (SQLite's `/` on integers, PostgreSQL's floor()).

`game_tally(game_id, name, n)`: per-game counters, by name: 'thanks' (thank-yous for the
game's kindnesses) and 'courier_<state>' (courier requests of the game's kindnesses in state
done, declined or expired).

`outcome_tally(game_id, bucket, name, n)`: the same counters per 15-minute UTC bucket of when
each happened (a thank-you when sent; a courier outcome when done or declined, else when
offered, or when the offer expired), so the dashboard counts those before a day's end by
adding up a few rows per day. Its bucket cuts off the fraction of a second (MOMENT_BUCKET),
so it agrees exactly with comparing the moment with a bucket edge.

Triggers keep them exact on every insert, update and delete, including the bulk
`update(Kindness)` statements the services run, which ORM events would miss. A row whose
count fell to zero may stay; readers ignore it or add it up.

A courier request or a thank-you finds its game through its kindness. When a kindness is
deleted, its children are deleted by the foreign key after it is gone, so the kindness takes
its children's counts away itself, in a BEFORE DELETE trigger, and the children's own delete
triggers then find no kindness and change nothing.

The SQL lives here once: the models attach it to their tables (so `create_all()` builds it)
and the migration runs the same statements. Each trigger is written once, as statements that
SQLite and PostgreSQL both accept; on PostgreSQL each becomes a plpgsql function.

Note for future migrations: on SQLite, a batch migration that rebuilds `kindness`,
`courier_request` or `thanks` drops their triggers: run `create_triggers()` again after it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import DDL, Table, event
from sqlalchemy.engine import Connection

from app.domain.aggregates import BUCKET_SECONDS
from app.domain.states import CourierState, KindnessState

DIALECTS = ("sqlite", "postgresql")
COURIER_OUTCOMES = (CourierState.DONE, CourierState.DECLINED, CourierState.EXPIRED)

# The bucket of a kindness row, per dialect; {row} is NEW, OLD or the table's name.
BUCKET = {
    "sqlite": f"CAST(strftime('%s', {{row}}.created_at) AS INTEGER) / {BUCKET_SECONDS}",
    "postgresql": (
        f"CAST(floor(extract(epoch FROM {{row}}.created_at) / {BUCKET_SECONDS}) AS INTEGER)"
    ),
}


# The bucket of any naive-UTC moment, per dialect, exact against comparing the moment with a
# bucket edge: SQLite keeps timestamps as text, whose fraction of a second is cut off here (its
# strftime would round it), so a moment just before midnight stays in its day.
MOMENT_BUCKET = {
    "sqlite": f"CAST(strftime('%s', substr({{moment}}, 1, 19)) AS INTEGER) / {BUCKET_SECONDS}",
    "postgresql": f"CAST(floor(extract(epoch FROM {{moment}}) / {BUCKET_SECONDS}) AS INTEGER)",
}


def _outcome_moment(row: str) -> str:
    """When a courier request in `row` reached its outcome, as the dashboard has always dated
    it: done or declined when answered (older rows may lack it: then when offered), expired
    when the offer ran out."""
    return (
        f"CASE {row}.state"
        f" WHEN '{CourierState.DONE}' THEN coalesce({row}.done_at, {row}.offered_at)"
        f" WHEN '{CourierState.DECLINED}' THEN coalesce({row}.responded_at, {row}.offered_at)"
        f" ELSE {row}.expires_at END"
    )


def placeholders(dialect: str) -> dict[str, str]:
    """What trigger and backfill statements may name, in this dialect's SQL: {bucket_new} and
    {bucket_old} (a kindness row's bucket), {outcome_bucket_<row>} (a courier request's
    outcome) and {thanks_bucket_<row>} (a thank-you's), for rows NEW, OLD, c and t."""
    result = {
        "bucket_new": BUCKET[dialect].format(row="NEW"),
        "bucket_old": BUCKET[dialect].format(row="OLD"),
    }
    for row in ("NEW", "OLD", "c", "t"):
        result[f"outcome_bucket_{row}"] = MOMENT_BUCKET[dialect].format(moment=_outcome_moment(row))
        result[f"thanks_bucket_{row}"] = MOMENT_BUCKET[dialect].format(moment=f"{row}.created_at")
    return result


@dataclass(frozen=True)
class Trigger:
    """A row trigger written once: statements may use {bucket_new} and {bucket_old}."""

    name: str
    table: str
    timing: str  # BEFORE or AFTER
    event: str  # INSERT, DELETE or UPDATE OF ...
    statements: tuple[str, ...]
    when: str = ""  # with IS NOT, which PostgreSQL spells IS DISTINCT FROM

    def _body(self, dialect: str) -> str:
        return " ".join(s.format(**placeholders(dialect)) + ";" for s in self.statements)

    def create(self, dialect: str) -> list[str]:
        """The statements that create this trigger."""
        if dialect == "sqlite":
            when = f" WHEN {self.when}" if self.when else ""
            return [
                f"CREATE TRIGGER {self.name} {self.timing} {self.event} ON {self.table}{when}"
                f" BEGIN {self._body(dialect)} END"
            ]
        when = f" WHEN ({self.when.replace(' IS NOT ', ' IS DISTINCT FROM ')})" if self.when else ""
        result = "OLD" if (self.timing, self.event) == ("BEFORE", "DELETE") else "NULL"
        return [
            f"CREATE OR REPLACE FUNCTION {self.name}_fn() RETURNS trigger LANGUAGE plpgsql"
            f" AS $body$ BEGIN {self._body(dialect)} RETURN {result}; END $body$",
            f"CREATE TRIGGER {self.name} {self.timing} {self.event} ON {self.table}"
            f" FOR EACH ROW{when} EXECUTE FUNCTION {self.name}_fn()",
        ]

    def drop(self, dialect: str) -> list[str]:
        """The statements that drop this trigger."""
        if dialect == "sqlite":
            return [f"DROP TRIGGER IF EXISTS {self.name}"]
        return [
            f"DROP TRIGGER IF EXISTS {self.name} ON {self.table}",
            f"DROP FUNCTION IF EXISTS {self.name}_fn()",
        ]


# --- kindness_tally ------------------------------------------------------------------------


def _kindness_add(row: str) -> str:
    # The WHERE also keeps SQLite's parser from reading ON CONFLICT as part of a join.
    return (
        "INSERT INTO kindness_tally (game_id, bucket, kind, n)"
        f" SELECT {row}.game_id, {{bucket_{row.lower()}}}, {row}.kind, 1"
        f" WHERE {row}.state <> '{KindnessState.CANCELLED}'"
        " ON CONFLICT (game_id, bucket, kind) DO UPDATE SET n = kindness_tally.n + 1"
    )


def _kindness_remove(row: str) -> str:
    return (
        f"UPDATE kindness_tally SET n = n - 1 WHERE {row}.state <> '{KindnessState.CANCELLED}'"
        f" AND game_id = {row}.game_id AND bucket = {{bucket_{row.lower()}}}"
        f" AND kind = {row}.kind"
    )


# --- game_tally ----------------------------------------------------------------------------

_OUTCOMES = "(" + ", ".join(f"'{s}'" for s in COURIER_OUTCOMES) + ")"
_OUTCOME_NAMES = "(" + ", ".join(f"'courier_{s}'" for s in COURIER_OUTCOMES) + ")"


def _courier_add(row: str) -> str:
    return (
        "INSERT INTO game_tally (game_id, name, n)"
        f" SELECT k.game_id, 'courier_' || {row}.state, 1 FROM kindness k"
        f" WHERE k.id = {row}.kindness_id AND {row}.state IN {_OUTCOMES}"
        " ON CONFLICT (game_id, name) DO UPDATE SET n = game_tally.n + 1"
    )


def _courier_remove(row: str) -> str:
    return (
        f"UPDATE game_tally SET n = n - 1 WHERE {row}.state IN {_OUTCOMES}"
        f" AND name = 'courier_' || {row}.state"
        f" AND game_id = (SELECT k.game_id FROM kindness k WHERE k.id = {row}.kindness_id)"
    )


def _thanks_add(row: str) -> str:
    return (
        "INSERT INTO game_tally (game_id, name, n)"
        f" SELECT k.game_id, 'thanks', 1 FROM kindness k WHERE k.id = {row}.kindness_id"
        " ON CONFLICT (game_id, name) DO UPDATE SET n = game_tally.n + 1"
    )


def _thanks_remove(row: str) -> str:
    return (
        "UPDATE game_tally SET n = n - 1 WHERE name = 'thanks'"
        f" AND game_id = (SELECT k.game_id FROM kindness k WHERE k.id = {row}.kindness_id)"
    )


# A kindness moving out of a game (deleted, or given another game) takes its children along.
_CHILDREN_LEAVE = (
    "UPDATE game_tally SET n = n - (SELECT count(*) FROM thanks t WHERE t.kindness_id = OLD.id)"
    " WHERE game_id = OLD.game_id AND name = 'thanks'",
    "UPDATE game_tally SET n = n - (SELECT count(*) FROM courier_request c"
    " WHERE c.kindness_id = OLD.id AND 'courier_' || c.state = game_tally.name)"
    f" WHERE game_id = OLD.game_id AND name IN {_OUTCOME_NAMES}",
)
_CHILDREN_ARRIVE = (
    "INSERT INTO game_tally (game_id, name, n)"
    " SELECT NEW.game_id, 'thanks', count(*) FROM thanks t WHERE t.kindness_id = NEW.id"
    " GROUP BY t.kindness_id"
    " ON CONFLICT (game_id, name) DO UPDATE SET n = game_tally.n + excluded.n",
    "INSERT INTO game_tally (game_id, name, n)"
    " SELECT NEW.game_id, 'courier_' || c.state, count(*) FROM courier_request c"
    f" WHERE c.kindness_id = NEW.id AND c.state IN {_OUTCOMES} GROUP BY c.state"
    " ON CONFLICT (game_id, name) DO UPDATE SET n = game_tally.n + excluded.n",
)

KINDNESS_TRIGGERS = (
    Trigger("kindness_tally_insert", "kindness", "AFTER", "INSERT", (_kindness_add("NEW"),)),
    Trigger(
        "kindness_tally_update",
        "kindness",
        "AFTER",
        "UPDATE OF state, created_at, kind, game_id",
        (_kindness_remove("OLD"), _kindness_add("NEW")),
        when=f"(OLD.state = '{KindnessState.CANCELLED}')"
        f" IS NOT (NEW.state = '{KindnessState.CANCELLED}')"
        " OR OLD.created_at IS NOT NEW.created_at OR OLD.kind IS NOT NEW.kind"
        " OR OLD.game_id IS NOT NEW.game_id",
    ),
    Trigger("kindness_tally_delete", "kindness", "AFTER", "DELETE", (_kindness_remove("OLD"),)),
    Trigger("kindness_children_leave", "kindness", "BEFORE", "DELETE", _CHILDREN_LEAVE),
    Trigger(
        "kindness_children_move",
        "kindness",
        "AFTER",
        "UPDATE OF game_id",
        _CHILDREN_LEAVE + _CHILDREN_ARRIVE,
        when="OLD.game_id IS NOT NEW.game_id",
    ),
)
COURIER_TRIGGERS = (
    Trigger("courier_tally_insert", "courier_request", "AFTER", "INSERT", (_courier_add("NEW"),)),
    Trigger(
        "courier_tally_update",
        "courier_request",
        "AFTER",
        "UPDATE OF state, kindness_id",
        (_courier_remove("OLD"), _courier_add("NEW")),
        when="OLD.state IS NOT NEW.state OR OLD.kindness_id IS NOT NEW.kindness_id",
    ),
    Trigger(
        "courier_tally_delete", "courier_request", "AFTER", "DELETE", (_courier_remove("OLD"),)
    ),
)
THANKS_TRIGGERS = (
    Trigger("thanks_tally_insert", "thanks", "AFTER", "INSERT", (_thanks_add("NEW"),)),
    Trigger(
        "thanks_tally_update",
        "thanks",
        "AFTER",
        "UPDATE OF kindness_id",
        (_thanks_remove("OLD"), _thanks_add("NEW")),
        when="OLD.kindness_id IS NOT NEW.kindness_id",
    ),
    Trigger("thanks_tally_delete", "thanks", "AFTER", "DELETE", (_thanks_remove("OLD"),)),
)
# The first tallies' triggers, which their migration creates.
TALLY_TRIGGERS = KINDNESS_TRIGGERS + COURIER_TRIGGERS + THANKS_TRIGGERS


# --- outcome_tally -------------------------------------------------------------------------


def _outcome_add(row: str) -> str:
    return (
        "INSERT INTO outcome_tally (game_id, bucket, name, n)"
        f" SELECT k.game_id, {{outcome_bucket_{row}}}, 'courier_' || {row}.state, 1"
        f" FROM kindness k WHERE k.id = {row}.kindness_id AND {row}.state IN {_OUTCOMES}"
        " ON CONFLICT (game_id, bucket, name) DO UPDATE SET n = outcome_tally.n + 1"
    )


def _outcome_remove(row: str) -> str:
    return (
        f"UPDATE outcome_tally SET n = n - 1 WHERE {row}.state IN {_OUTCOMES}"
        f" AND name = 'courier_' || {row}.state AND bucket = {{outcome_bucket_{row}}}"
        f" AND game_id = (SELECT k.game_id FROM kindness k WHERE k.id = {row}.kindness_id)"
    )


def _thanked_add(row: str) -> str:
    return (
        "INSERT INTO outcome_tally (game_id, bucket, name, n)"
        f" SELECT k.game_id, {{thanks_bucket_{row}}}, 'thanks', 1 FROM kindness k"
        f" WHERE k.id = {row}.kindness_id"
        " ON CONFLICT (game_id, bucket, name) DO UPDATE SET n = outcome_tally.n + 1"
    )


def _thanked_remove(row: str) -> str:
    return (
        "UPDATE outcome_tally SET n = n - 1 WHERE name = 'thanks'"
        f" AND bucket = {{thanks_bucket_{row}}}"
        f" AND game_id = (SELECT k.game_id FROM kindness k WHERE k.id = {row}.kindness_id)"
    )


# As for game_tally: a kindness moving out of a game takes its children's outcomes along. A
# kindness has at most one thank-you (a unique key), so its bucket loses one.
_OUTCOMES_LEAVE = (
    "UPDATE outcome_tally SET n = n - 1 WHERE game_id = OLD.game_id AND name = 'thanks'"
    " AND bucket IN (SELECT {thanks_bucket_t} FROM thanks t WHERE t.kindness_id = OLD.id)",
    "UPDATE outcome_tally SET n = n - (SELECT count(*) FROM courier_request c"
    " WHERE c.kindness_id = OLD.id AND 'courier_' || c.state = outcome_tally.name"
    " AND {outcome_bucket_c} = outcome_tally.bucket)"
    f" WHERE game_id = OLD.game_id AND name IN {_OUTCOME_NAMES}"
    " AND bucket IN (SELECT {outcome_bucket_c} FROM courier_request c"
    f" WHERE c.kindness_id = OLD.id AND c.state IN {_OUTCOMES})",
)
_OUTCOMES_ARRIVE = (
    "INSERT INTO outcome_tally (game_id, bucket, name, n)"
    " SELECT NEW.game_id, {thanks_bucket_t}, 'thanks', 1 FROM thanks t"
    " WHERE t.kindness_id = NEW.id"
    " ON CONFLICT (game_id, bucket, name) DO UPDATE SET n = outcome_tally.n + 1",
    "INSERT INTO outcome_tally (game_id, bucket, name, n)"
    " SELECT NEW.game_id, {outcome_bucket_c}, 'courier_' || c.state, count(*)"
    f" FROM courier_request c WHERE c.kindness_id = NEW.id AND c.state IN {_OUTCOMES}"
    " GROUP BY {outcome_bucket_c}, c.state"
    " ON CONFLICT (game_id, bucket, name) DO UPDATE SET n = outcome_tally.n + excluded.n",
)
_OUTCOME_COLUMNS = "state, kindness_id, done_at, responded_at, offered_at, expires_at"

OUTCOME_TRIGGERS = (
    Trigger("kindness_outcomes_leave", "kindness", "BEFORE", "DELETE", _OUTCOMES_LEAVE),
    Trigger(
        "kindness_outcomes_move",
        "kindness",
        "AFTER",
        "UPDATE OF game_id",
        _OUTCOMES_LEAVE + _OUTCOMES_ARRIVE,
        when="OLD.game_id IS NOT NEW.game_id",
    ),
    Trigger("courier_outcome_insert", "courier_request", "AFTER", "INSERT", (_outcome_add("NEW"),)),
    Trigger(
        "courier_outcome_update",
        "courier_request",
        "AFTER",
        f"UPDATE OF {_OUTCOME_COLUMNS}",
        (_outcome_remove("OLD"), _outcome_add("NEW")),
        when=" OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _OUTCOME_COLUMNS.split(", ")),
    ),
    Trigger(
        "courier_outcome_delete", "courier_request", "AFTER", "DELETE", (_outcome_remove("OLD"),)
    ),
    Trigger("thanks_outcome_insert", "thanks", "AFTER", "INSERT", (_thanked_add("NEW"),)),
    Trigger(
        "thanks_outcome_update",
        "thanks",
        "AFTER",
        "UPDATE OF kindness_id, created_at",
        (_thanked_remove("OLD"), _thanked_add("NEW")),
        when="OLD.kindness_id IS NOT NEW.kindness_id OR OLD.created_at IS NOT NEW.created_at",
    ),
    Trigger("thanks_outcome_delete", "thanks", "AFTER", "DELETE", (_thanked_remove("OLD"),)),
)
TRIGGERS = TALLY_TRIGGERS + OUTCOME_TRIGGERS

TALLY_BACKFILL = {
    dialect: (
        "INSERT INTO kindness_tally (game_id, bucket, kind, n)"
        f" SELECT game_id, {BUCKET[dialect].format(row='kindness')} AS b, kind, count(*)"
        f" FROM kindness WHERE state <> '{KindnessState.CANCELLED}' GROUP BY game_id, b, kind",
        "INSERT INTO game_tally (game_id, name, n)"
        " SELECT k.game_id, 'thanks', count(*) FROM thanks t"
        " JOIN kindness k ON k.id = t.kindness_id GROUP BY k.game_id",
        "INSERT INTO game_tally (game_id, name, n)"
        " SELECT k.game_id, 'courier_' || c.state AS s, count(*) FROM courier_request c"
        f" JOIN kindness k ON k.id = c.kindness_id WHERE c.state IN {_OUTCOMES}"
        " GROUP BY k.game_id, c.state",
    )
    for dialect in DIALECTS
}
OUTCOME_BACKFILL = {
    dialect: tuple(
        sql.format(**placeholders(dialect))
        for sql in (
            "INSERT INTO outcome_tally (game_id, bucket, name, n)"
            " SELECT k.game_id, {thanks_bucket_t} AS b, 'thanks', count(*) FROM thanks t"
            " JOIN kindness k ON k.id = t.kindness_id GROUP BY k.game_id, b",
            "INSERT INTO outcome_tally (game_id, bucket, name, n)"
            " SELECT k.game_id, {outcome_bucket_c} AS b, 'courier_' || c.state AS s, count(*)"
            " FROM courier_request c JOIN kindness k ON k.id = c.kindness_id"
            f" WHERE c.state IN {_OUTCOMES} GROUP BY k.game_id, b, s",
        )
    )
    for dialect in DIALECTS
}


def ddl(sql: str) -> DDL:
    """A DDL element for raw SQL (DDL formats its text with %, so a literal % is doubled)."""
    return DDL(sql.replace("%", "%%"))


def attach(tables: dict[str, Table]) -> None:
    """Create each table's triggers whenever `create_all()` creates the table.

    Every trigger's body names other tables only when it runs, so the order in which
    `create_all()` makes the tables does not matter.
    """
    for trigger in TRIGGERS:
        for dialect in DIALECTS:
            for sql in trigger.create(dialect):
                event.listen(
                    tables[trigger.table], "after_create", ddl(sql).execute_if(dialect=dialect)
                )


def _dialect(connection: Connection) -> str:
    name = connection.dialect.name
    if name not in DIALECTS:
        raise NotImplementedError(f"no tally triggers for {name}")
    return name


def create_triggers(connection: Connection, triggers=TALLY_TRIGGERS) -> None:
    """Create these tally triggers on this database (their tables must exist): by default
    the first tallies' (each migration names the ones it adds)."""
    dialect = _dialect(connection)
    for trigger in triggers:
        for sql in trigger.create(dialect):
            connection.execute(ddl(sql))


def drop_triggers(connection: Connection, triggers=TALLY_TRIGGERS) -> None:
    """Drop these tally triggers (and on PostgreSQL, their functions): by default the first
    tallies'."""
    dialect = _dialect(connection)
    for trigger in triggers:
        for sql in trigger.drop(dialect):
            connection.execute(ddl(sql))


def backfill(connection: Connection, statements=TALLY_BACKFILL) -> None:
    """Fill empty tallies from the rows already there, one statement per tally: by default
    the first tallies (OUTCOME_BACKFILL fills the outcome tally)."""
    for sql in statements[_dialect(connection)]:
        connection.execute(ddl(sql))
