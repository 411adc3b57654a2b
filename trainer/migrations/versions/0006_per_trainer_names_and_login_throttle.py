"""Client names unique per trainer, and the sign-in throttle in the store (schema v6).

* ``clients.name_key`` becomes the name's key *within its owner* (``"<owner id>:<folded name>"``,
  ``":<folded name>"`` for a client without a trainer), so two trainers may each have an
  "Anna Smith" and adding one never tells a trainer about another trainer's clients; the existing
  unique index on it now enforces "unique per trainer". ``clients.name_fold`` is the folded name
  alone (indexed, not unique) for the views that see every client (admins, the command line).
  Rewriting the key keeps the table (SQLite cannot drop its unnamed unique index without
  rebuilding the table, and rebuilding it would cascade-delete the sessions).
* ``login_throttle``: per account name (a digest of its key), the failed sign-ins in a row and the
  time before which the next try is not answered, so the throttle holds across browser sessions,
  server processes and restarts.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

KEY_MAX = 240

clients = sa.table("clients", sa.column("id", sa.Integer), sa.column("name_key", sa.String),
                   sa.column("name_fold", sa.String), sa.column("owner_id", sa.Integer))


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("clients", sa.Column("name_fold", sa.String(KEY_MAX)))
    if bind.dialect.name != "sqlite":  # SQLite does not enforce VARCHAR lengths
        op.alter_column("clients", "name_key", type_=sa.String(KEY_MAX))
    rows = bind.execute(sa.select(clients.c.id, clients.c.name_key, clients.c.owner_id)).all()
    for cid, key, owner in rows:
        bind.execute(clients.update().where(clients.c.id == cid).values(
            name_fold=key, name_key=f"{owner if owner is not None else ''}:{key}"))
    op.create_index("ix_clients_name_fold", "clients", ["name_fold"])
    op.create_table(
        "login_throttle",
        sa.Column("name_digest", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("next_try_at", sa.Float, nullable=False),   # epoch seconds
        sa.Column("last_try_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    op.drop_index("ix_clients_name_fold", table_name="clients")
    bind = op.get_bind()
    rows = bind.execute(sa.select(clients.c.id, clients.c.name_fold)).all()
    for cid, fold in rows:  # fails loudly if two trainers now share a name: nothing changes then
        bind.execute(clients.update().where(clients.c.id == cid).values(name_key=fold))
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("name_fold")
