"""Alembic environment for the trainer store.

Two ways in:
* from the app: ``trainer.store.migrate`` hands over a connection that is already inside its
  transaction (write-locked on SQLite, advisory-locked on PostgreSQL) in
  ``config.attributes["connection"]``; every pending migration then runs in that one transaction,
  so a failed or killed upgrade leaves the old schema intact;
* from the ``alembic`` command (``alembic.ini`` at the repo root): the URL comes from
  ``-x url=...``, else ``$SQUATCHECK_DB_URL``, else the default SQLite file.
"""

from __future__ import annotations

from alembic import context

config = context.config


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=None, transactional_ddl=True,
                      transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from trainer.store import make_engine

    engine = make_engine(context.get_x_argument(as_dictionary=True).get("url"))
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()
