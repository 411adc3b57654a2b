"""The schema as the ORM models say (schema v8): the index on ``clients.owner_id`` gets the name the
models give it, ``ix_clients_owner_id`` (migration 0005 named it ``ix_clients_owner``).

Found by ``tests/test_store_schema.py``, which compares a database migrated to the latest revision
with the models by Alembic's own comparison. Dropped and created again (SQLite has no
``ALTER INDEX ... RENAME``); same column, same rows, inside the upgrade's one transaction.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_clients_owner", table_name="clients")
    op.create_index("ix_clients_owner_id", "clients", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_clients_owner_id", table_name="clients")
    op.create_index("ix_clients_owner", "clients", ["owner_id"])
