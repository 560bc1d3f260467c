"""A game may deliver on every day or on weekdays only.

Revision ID: 2467ffaa4ccf
Revises: f2b6c81d0e47
Create Date: 2026-12-06 04:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "2467ffaa4ccf"
down_revision = "f2b6c81d0e47"
branch_labels = None
depends_on = None


def upgrade():
    # A plain add_column: rebuilding `game` on SQLite would cascade-delete its participants.
    op.add_column(
        "game",
        sa.Column("delivery_days", sa.String(length=10), nullable=False, server_default="every"),
    )


def downgrade():
    op.drop_column("game", "delivery_days")
