"""Retire the pre-Alembic ``schema_version`` table (schema v4): Alembic's ``alembic_version`` is the
only record of the schema now. A database that came from the old store was stamped with its old
version number before the upgrade (``trainer.store.migrate``); an old copy of SquatCheck then
refuses the database loudly instead of writing to a schema it does not know.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("schema_version"):
        op.drop_table("schema_version")


def downgrade() -> None:
    pass  # nothing to restore: the old table only duplicated the version number
