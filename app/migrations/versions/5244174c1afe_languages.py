"""Languages: a facilitator's and a participant's choice, and each game's default

Revision ID: 5244174c1afe
Revises: 8b0cf3e7d066
Create Date: 2026-12-06 07:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "5244174c1afe"
down_revision = "8b0cf3e7d066"
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN (SQLite 3.35+): a batch rebuild drops `participant` or `game`, and with
# foreign keys on, that drop would cascade into every table that points at them.


def upgrade():
    op.add_column("facilitator", sa.Column("language", sa.String(length=8), nullable=True))
    op.add_column("participant", sa.Column("language", sa.String(length=8), nullable=True))
    op.add_column(
        "game", sa.Column("language", sa.String(length=8), server_default="en", nullable=False)
    )


def downgrade():
    op.drop_column("game", "language")
    op.drop_column("participant", "language")
    op.drop_column("facilitator", "language")
