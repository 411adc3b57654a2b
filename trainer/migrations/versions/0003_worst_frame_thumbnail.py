"""sessions.worst_frame_jpeg: a small JPEG of the worst rep's bottom frame (schema v3). Sessions
saved before have none (their frames were never stored).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("worst_frame_jpeg", sa.LargeBinary))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("worst_frame_jpeg")
