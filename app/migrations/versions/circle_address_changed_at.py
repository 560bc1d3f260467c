"""Participants: when their address was changed after the draw

Revision ID: 87f2d3f70645
Revises: e41a7c0b9d25
Create Date: 2026-12-03 09:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "87f2d3f70645"
down_revision = "e41a7c0b9d25"
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN (SQLite 3.35+): a batch rebuild drops `participant`, and with foreign
# keys on, that drop would cascade into every table that points at it.


def upgrade():
    op.add_column("participant", sa.Column("address_changed_at", sa.DateTime(), nullable=True))


def downgrade():
    op.drop_column("participant", "address_changed_at")
