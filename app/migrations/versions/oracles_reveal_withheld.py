"""Pairings remember whether the reveal withheld the angel's name

Revision ID: bd822fd8a9d7
Revises: 9b3e1f6a2c41
Create Date: 2026-12-03 09:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "bd822fd8a9d7"
down_revision = "9b3e1f6a2c41"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pairing") as batch_op:
        batch_op.add_column(
            sa.Column("withheld", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Games that ended before this rule kept every chosen secret; they keep them still.
    pairing = sa.table("pairing", sa.column("angel_id", sa.Integer), sa.column("withheld"))
    participant = sa.table("participant", sa.column("id", sa.Integer), sa.column("stay_secret"))
    op.execute(
        pairing.update()
        .where(
            pairing.c.angel_id.in_(
                sa.select(participant.c.id).where(participant.c.stay_secret.is_(sa.true()))
            )
        )
        .values(withheld=sa.true())
    )


def downgrade():
    with op.batch_alter_table("pairing") as batch_op:
        batch_op.drop_column("withheld")
