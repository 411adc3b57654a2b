"""Accounts (schema v5): ``users`` (name, role, an Argon2 password hash; never a password) and
``clients.owner_id``, the trainer whose client it is (NULL: made before accounts existed, or its
trainer was removed; such clients are seen by admins, and by everyone while no account exists).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NAME_MAX = 200


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(NAME_MAX), nullable=False),
        sa.Column("name_key", sa.String(NAME_MAX), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    # A plain indexed column (no FK): SQLite cannot add a foreign key to an existing table without
    # rebuilding it; removing a user clears its clients' owner in the same transaction instead.
    op.add_column("clients", sa.Column("owner_id", sa.Integer))
    op.create_index("ix_clients_owner", "clients", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_clients_owner", table_name="clients")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("owner_id")
    op.drop_table("users")
