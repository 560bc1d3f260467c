"""A game's budget and exchange day, one reminder of an unopened invitation, an outbox
attachment, and tombstones of deleted games.

Revision ID: e7343cee9902
Revises: c941ceaa4353
Create Date: 2026-12-06 05:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e7343cee9902"
down_revision = "c941ceaa4353"
branch_labels = None
depends_on = None


def upgrade():
    # Plain add_column only: rebuilding `game` or `participant` on SQLite would cascade-delete.
    op.add_column(
        "game", sa.Column("budget", sa.String(length=60), nullable=False, server_default="")
    )
    op.add_column("game", sa.Column("exchange_on", sa.Date(), nullable=True))
    op.add_column("participant", sa.Column("invite_reminded_at", sa.DateTime(), nullable=True))
    op.add_column(
        "outbox_message", sa.Column("attachment_name", sa.String(length=100), nullable=True)
    )
    op.add_column(
        "outbox_message", sa.Column("attachment_type", sa.String(length=60), nullable=True)
    )
    op.add_column("outbox_message", sa.Column("attachment_text", sa.Text(), nullable=True))
    op.create_table(
        "game_tombstone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id_hash"),
    )


def downgrade():
    op.drop_table("game_tombstone")
    op.drop_column("outbox_message", "attachment_text")
    op.drop_column("outbox_message", "attachment_type")
    op.drop_column("outbox_message", "attachment_name")
    op.drop_column("participant", "invite_reminded_at")
    op.drop_column("game", "exchange_on")
    op.drop_column("game", "budget")
