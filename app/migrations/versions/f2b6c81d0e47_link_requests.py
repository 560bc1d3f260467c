"""Lost-link requests wait for the periodic work, so the public page reads no roster.

Revision ID: f2b6c81d0e47
Revises: c43a19279458
Create Date: 2026-12-06 02:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "f2b6c81d0e47"
down_revision = "c43a19279458"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "link_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_key", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade():
    op.drop_table("link_request")
