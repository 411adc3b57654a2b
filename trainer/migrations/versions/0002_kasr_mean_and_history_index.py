"""sessions.kasr_mean (backfilled from the stored analysis JSON) and a (client_id, recorded_at)
index for the history and trend queries, replacing the single-column client_id index (schema v2).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

sessions = sa.table("sessions", sa.column("id", sa.Integer), sa.column("analysis_json", sa.Text),
                    sa.column("kasr_mean", sa.Float))


def _kasr_mean(analysis_json: str) -> float | None:
    """Mean over reps of ``metrics.kasr_min`` (as the summary the store keeps)."""
    from trainer.session_compare import summarise_analysis

    try:
        return summarise_analysis(json.loads(analysis_json))["kasr_mean"]
    except (ValueError, TypeError, AttributeError):
        return None  # an unreadable old row keeps the new column empty


def upgrade() -> None:
    op.add_column("sessions", sa.Column("kasr_mean", sa.Float))
    op.drop_index("ix_sessions_client_id", table_name="sessions")
    op.create_index("ix_sessions_client_recorded", "sessions", ["client_id", "recorded_at"])
    conn = op.get_bind()
    for row_id, analysis_json in conn.execute(sa.select(sessions.c.id, sessions.c.analysis_json)).all():
        kasr = _kasr_mean(analysis_json)
        if kasr is not None:
            conn.execute(sa.update(sessions).where(sessions.c.id == row_id).values(kasr_mean=kasr))


def downgrade() -> None:
    op.drop_index("ix_sessions_client_recorded", table_name="sessions")
    op.create_index("ix_sessions_client_id", "sessions", ["client_id"])
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("kasr_mean")
