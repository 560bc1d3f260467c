"""Participant sessions a server can end, and the device a page was first opened on

Revision ID: c43a19279458
Revises: 87f2d3f70645
Create Date: 2026-12-04 09:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "c43a19279458"
down_revision = "87f2d3f70645"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "participant_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash"),
    )
    with op.batch_alter_table("participant_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_participant_session_participant_id"), ["participant_id"], unique=False
        )
    # Plain ADD/DROP COLUMN: a batch rebuild of `participant` would cascade-delete on SQLite.
    op.add_column(
        "participant", sa.Column("first_opened_device", sa.String(length=10), nullable=True)
    )


def downgrade():
    op.drop_column("participant", "first_opened_device")
    with op.batch_alter_table("participant_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participant_session_participant_id"))
    op.drop_table("participant_session")
