"""Indexes that keep a participant's pages flat in the game's history: the inbox, the unread
count, the Deliver page, the journal and a reporter's newest outcomes read a slice of an index

Revision ID: e39903bc0816
Revises: c33af35f3b4d
Create Date: 2026-12-06 10:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "e39903bc0816"
down_revision = "c33af35f3b4d"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_kindness_mortal_delivered", "kindness", ["mortal_id", "delivered_at"]),
    ("ix_kindness_mortal_unread", "kindness", ["mortal_id", "read_at"]),
    ("ix_courier_request_courier_expires", "courier_request", ["courier_id", "expires_at"]),
    ("ix_journal_entry_participant_day", "journal_entry", ["participant_id", "day"]),
    ("ix_report_reporter_created", "report", ["reporter_id", "created_at"]),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
