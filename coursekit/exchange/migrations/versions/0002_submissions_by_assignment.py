"""Submissions and feedback found by course and assignment, not by course alone.

An instructor collecting one assignment of a 1,500-student course asked for every row of
the course (the primary key starts course, student): this index answers from the rows of
that assignment.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_exchange_submissions_assignment": "exchange_submissions",
    "ix_exchange_feedback_assignment": "exchange_feedback",
}


def upgrade() -> None:
    for name, table in INDEXES.items():
        op.create_index(name, table, ["course_id", "assignment_id"])


def downgrade() -> None:
    for name, table in INDEXES.items():
        op.drop_index(name, table_name=table)
