"""A wish list and sizes beside the hints; a mortal's questions to their angel.

Revision ID: c941ceaa4353
Revises: 2467ffaa4ccf
Create Date: 2026-12-06 05:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c941ceaa4353"
down_revision = "2467ffaa4ccf"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("hint", sa.Column("wishes", sa.Text(), nullable=False, server_default=""))
    op.add_column(
        "hint", sa.Column("sizes", sa.String(length=200), nullable=False, server_default="")
    )
    op.create_table(
        "question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("mortal_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answer_released_at", sa.DateTime(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("reported_at", sa.DateTime(), nullable=True),
        sa.Column("report_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["game_id"], ["game.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["mortal_id"], ["participant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_id"),
    )
    op.create_index("ix_question_game_id", "question", ["game_id"])
    op.create_index("ix_question_mortal_id", "question", ["mortal_id"])


def downgrade():
    op.drop_index("ix_question_mortal_id", table_name="question")
    op.drop_index("ix_question_game_id", table_name="question")
    op.drop_table("question")
    op.drop_column("hint", "sizes")
    op.drop_column("hint", "wishes")
