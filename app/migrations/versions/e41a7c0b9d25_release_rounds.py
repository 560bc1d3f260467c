"""Release rounds: courier offers, thanks and new mortals are shown from a release moment;
an item is marked left at its drop-off point before a courier is drawn.

Revision ID: e41a7c0b9d25
Revises: bd822fd8a9d7
Create Date: 2026-12-06 01:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e41a7c0b9d25"
down_revision = "bd822fd8a9d7"
branch_labels = None
depends_on = None

# Plain ADD COLUMN on every database: no table is rebuilt, so SQLite's tally triggers stay.
COLUMNS = [
    ("kindness", "left_at"),
    ("courier_request", "released_at"),
    ("thanks", "released_at"),
    ("pairing", "released_at"),
]


def upgrade():
    for table, column in COLUMNS:
        op.add_column(table, sa.Column(column, sa.DateTime(), nullable=True))


def downgrade():
    # Native DROP COLUMN (SQLite 3.35+), again so that no table is rebuilt.
    for table, column in reversed(COLUMNS):
        op.drop_column(table, column)
