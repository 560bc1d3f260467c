"""Participants: the name's collation order and its folded form, for paging and searching a
roster; each person's latest invitation read from an index

Revision ID: 3f9c2a7d51e8
Revises: 5244174c1afe
Create Date: 2026-12-06 07:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

from app.domain.collation import SORT_TEXT_LENGTH, folded, sort_text

# revision identifiers, used by Alembic.
revision = "3f9c2a7d51e8"
down_revision = "5244174c1afe"
branch_labels = None
depends_on = None

# Plain ADD/DROP COLUMN (SQLite 3.35+): a batch rebuild drops `participant`, and with foreign
# keys on, that drop would cascade into every table that points at it.


def upgrade():
    op.add_column(
        "participant",
        sa.Column("name_order", sa.String(SORT_TEXT_LENGTH), nullable=False, server_default=""),
    )
    op.add_column(
        "participant",
        sa.Column("name_folded", sa.String(120), nullable=False, server_default=""),
    )
    participant = sa.table(
        "participant",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("name_order", sa.String),
        sa.column("name_folded", sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(participant.c.id, participant.c.name)).all()
    if rows:
        bind.execute(
            participant.update()
            .where(participant.c.id == sa.bindparam("pid"))
            .values(name_order=sa.bindparam("order"), name_folded=sa.bindparam("fold")),
            [{"pid": pid, "order": sort_text(name), "fold": folded(name)} for pid, name in rows],
        )
    op.create_index("participant_roster_order", "participant", ["game_id", "name_order", "id"])
    op.create_index(
        "outbox_latest_invitation", "outbox_message", ["participant_id", "kind", "id", "status"]
    )


def downgrade():
    op.drop_index("outbox_latest_invitation", table_name="outbox_message")
    op.drop_index("participant_roster_order", table_name="participant")
    op.drop_column("participant", "name_folded")
    op.drop_column("participant", "name_order")
