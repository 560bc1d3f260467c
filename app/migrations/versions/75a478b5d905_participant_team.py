"""Teams: a participant's optional team, and a game's rule that nobody draws a teammate

Revision ID: 75a478b5d905
Revises: 3f9c2a7d51e8
Create Date: 2026-12-06 08:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

from app.domain.limits import LIMITS

# revision identifiers, used by Alembic.
revision = "75a478b5d905"
down_revision = "3f9c2a7d51e8"
branch_labels = None
depends_on = None

# Plain ADD/DROP COLUMN (SQLite 3.35+): a batch rebuild drops `participant` or `game`, and with
# foreign keys on, that drop would cascade into every table that points at them.


def upgrade():
    op.add_column("participant", sa.Column("team", sa.String(LIMITS.team), nullable=True))
    op.add_column(
        "game",
        sa.Column("teams_apart", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade():
    op.drop_column("game", "teams_apart")
    op.drop_column("participant", "team")
