"""Initial schema: clients and sessions (the store's schema v1).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

NAME_MAX = 200


def upgrade() -> None:
    # No "if not exists": a foreign database that already has a 'clients' table fails loudly.
    op.create_table(
        "clients",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(NAME_MAX), nullable=False),
        sa.Column("name_key", sa.String(NAME_MAX), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("view", sa.String(32)),
        sa.Column("profile", sa.String(64)),
        sa.Column("rep_count", sa.Integer, nullable=False),
        sa.Column("valgus_reps", sa.Integer, nullable=False),
        sa.Column("shallow_reps", sa.Integer, nullable=False),
        sa.Column("fppa_mean_deg", sa.Float),
        sa.Column("fppa_worst_deg", sa.Float),
        sa.Column("depth_mean", sa.Float),
        sa.Column("asymmetry_mean_deg", sa.Float),
        sa.Column("analysis_json", sa.Text, nullable=False),
        sa.Column("video_path", sa.Text),
    )
    op.create_index("ix_sessions_client_id", "sessions", ["client_id"])


def downgrade() -> None:
    op.drop_table("sessions")
    op.drop_table("clients")
