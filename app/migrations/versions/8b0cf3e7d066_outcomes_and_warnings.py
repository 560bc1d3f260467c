"""Moderation: a report's outcome told to its reporter, and when an angel's warning shows

Revision ID: 8b0cf3e7d066
Revises: e81f19854336
Create Date: 2026-12-06 05:30:00.000000

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "8b0cf3e7d066"
down_revision = "e81f19854336"
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN (SQLite 3.35+): a batch rebuild drops `participant`, and with foreign
# keys on, that drop would cascade into every table that points at it.


def upgrade():
    op.add_column("participant", sa.Column("warned_at", sa.DateTime(), nullable=True))
    op.add_column(
        "report", sa.Column("outcome", sa.String(length=10), nullable=False, server_default="")
    )
    op.add_column("report", sa.Column("outcome_at", sa.DateTime(), nullable=True))


def downgrade():
    op.drop_column("report", "outcome_at")
    op.drop_column("report", "outcome")
    op.drop_column("participant", "warned_at")
