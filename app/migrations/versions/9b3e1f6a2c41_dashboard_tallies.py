"""Dashboard tallies: kindnesses per bucket and per-game counters, kept by triggers

Revision ID: 9b3e1f6a2c41
Revises: 5d2218332028
Create Date: 2026-12-02 09:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

from app import tally

# revision identifiers, used by Alembic.
revision = "9b3e1f6a2c41"
down_revision = "5d2218332028"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "kindness_tally",
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["game_id"], ["game.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("game_id", "bucket", "kind"),
    )
    op.create_table(
        "game_tally",
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["game_id"], ["game.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("game_id", "name"),
    )
    # Not in batch mode: on SQLite a rebuilt kindness table would lose its triggers.
    op.create_index(
        "ix_kindness_game_created",
        "kindness",
        ["game_id", "created_at", "state", "angel_id"],
        unique=False,
    )
    connection = op.get_bind()
    # Triggers first: on PostgreSQL, creating them locks the tables against writers until
    # this transaction commits, so the backfill counts every row once, and later writes go
    # through the triggers.
    tally.create_triggers(connection)
    tally.backfill(connection)


def downgrade():
    connection = op.get_bind()
    tally.drop_triggers(connection)
    op.drop_index("ix_kindness_game_created", table_name="kindness")
    op.drop_table("game_tally")
    op.drop_table("kindness_tally")
