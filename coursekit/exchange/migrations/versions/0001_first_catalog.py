"""The catalog as coursekit first shipped it: releases, submissions, feedback.

Frozen: this is what that version created, whatever catalog.py says today. A catalog made
before migrations existed (no ``alembic_version`` table) is taken to be at this revision.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(128)
TIME = sa.String(64)
SUBMISSION_KEY = ("course_id", "student_id", "assignment_id", "submission_id")


def _archive() -> list[sa.Column]:
    return [
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("files", sa.JSON, nullable=False),
        sa.Column("blob", sa.Text, nullable=False),
    ]


def _key(*names: str) -> list[sa.Column]:
    return [sa.Column(name, ID, primary_key=True) for name in names]


def upgrade() -> None:
    op.create_table(
        "exchange_releases",
        *_key("course_id", "assignment_id"),
        sa.Column("released_at", TIME, nullable=False),
        sa.Column("due", TIME),
        *_archive(),
    )
    op.create_table(
        "exchange_submissions",
        *_key(*SUBMISSION_KEY),
        sa.Column("submitted_at", TIME, nullable=False),
        sa.Column("timestamp", TIME, nullable=False),
        *_archive(),
    )
    op.create_table(
        "exchange_feedback",
        *_key(*SUBMISSION_KEY),
        sa.Column("released_at", TIME, nullable=False),
        *_archive(),
        sa.ForeignKeyConstraint(
            SUBMISSION_KEY, [f"exchange_submissions.{name}" for name in SUBMISSION_KEY]
        ),
    )


def downgrade() -> None:
    for table in ("exchange_feedback", "exchange_submissions", "exchange_releases"):
        op.drop_table(table)
