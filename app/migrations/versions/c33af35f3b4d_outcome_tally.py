"""The dashboard's first request of a day: thank-yous and courier outcomes per day, kept by
triggers, and indexes that let its people and invitations figures read one game's rows

Revision ID: c33af35f3b4d
Revises: 75a478b5d905
Create Date: 2026-12-06 08:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

from app import tally

# revision identifiers, used by Alembic.
revision = "c33af35f3b4d"
down_revision = "75a478b5d905"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outcome_tally",
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["game_id"], ["game.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("game_id", "bucket", "name"),
    )
    # Plain CREATE INDEX: no batch rebuild (participant must never be rebuilt on SQLite, and a
    # rebuilt kindness table would lose its triggers).
    op.create_index(
        "ix_participant_game_present",
        "participant",
        ["game_id", "created_at", "active", "left_at", "first_opened_at"],
        unique=False,
    )
    op.create_index(
        "ix_outbox_message_game_kind_participant",
        "outbox_message",
        ["game_id", "kind", "participant_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_kindness_angel_created",
        "kindness",
        ["angel_id", "created_at", "state", "game_id"],
        unique=False,
    )
    connection = op.get_bind()
    # Triggers first, then the backfill, as for the first tallies (9b3e1f6a2c41): on
    # PostgreSQL the new triggers lock the tables against writers until this commits.
    tally.create_triggers(connection, tally.OUTCOME_TRIGGERS)
    tally.backfill(connection, tally.OUTCOME_BACKFILL)


def downgrade():
    connection = op.get_bind()
    tally.drop_triggers(connection, tally.OUTCOME_TRIGGERS)
    op.drop_table("outcome_tally")
    op.drop_index("ix_kindness_angel_created", table_name="kindness")
    op.drop_index("ix_outbox_message_game_kind_participant", table_name="outbox_message")
    op.drop_index("ix_participant_game_present", table_name="participant")
