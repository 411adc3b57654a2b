"""Screenings (schema v7): a client's guided screenings (issue 22), stored beside the sessions.

``screenings``: one row per screening of a client (``ON DELETE CASCADE`` with the client, like sessions):
when it was screened, the re-test date, the heels-raised branch, whether pain sent the client to a
clinician, the trainer's notes, and the whole screening result as JSON (``trainer.screening.build_screening``).
Who may see it follows its client's owner, as for sessions.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screenings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("screened_at", sa.DateTime, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("retest_on", sa.String(10)),           # ISO date
        sa.Column("branch", sa.String(32)),
        sa.Column("referral", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
        sa.Column("result_json", sa.Text, nullable=False),
    )
    op.create_index("ix_screenings_client_screened", "screenings", ["client_id", "screened_at"])


def downgrade() -> None:
    op.drop_index("ix_screenings_client_screened", table_name="screenings")
    op.drop_table("screenings")
