"""Self-joins after the draw wait for the facilitator's approval.

Revision ID: e81f19854336
Revises: e7343cee9902
Create Date: 2026-12-06 05:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e81f19854336"
down_revision = "e7343cee9902"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "join_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_key", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["game_id"], ["game.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("game_id", "email_key", name="join_request_once"),
    )
    op.create_index("ix_join_request_game_id", "join_request", ["game_id"])


def downgrade():
    op.drop_index("ix_join_request_game_id", table_name="join_request")
    op.drop_table("join_request")
