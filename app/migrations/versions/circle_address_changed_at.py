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


def upgrade():
    with op.batch_alter_table("participant") as batch_op:
        batch_op.add_column(sa.Column("address_changed_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("participant") as batch_op:
        batch_op.drop_column("address_changed_at")
