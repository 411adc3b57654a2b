"""The schema the migrations build is the schema the ORM models declare, by Alembic's own comparison.

An empty database (SQLite, and a real PostgreSQL server: the ``database_url`` fixture) is migrated to
the latest revision and compared with ``trainer.store.Base.metadata`` by
``alembic.autogenerate.compare_metadata``: tables, columns, types, nullability, server defaults,
indexes (names included), unique constraints and foreign keys. Any difference fails with the list.
So does a database upgraded from every earlier revision, and from the files the pre-Alembic store wrote.

The comparison is shown to fail (``test_the_comparison_sees_a_migration_that_breaks_the_schema``):
the real migrations plus one revision that breaks the schema as a careless migration could (drops
``users.name_key``'s uniqueness, names an index differently, lets a column be NULL, changes a
type); each must be reported.
"""

from __future__ import annotations

import pprint
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import String, Text

from store_helpers import load_legacy, with_extra_revision
from trainer.store import LATEST_SCHEMA_VERSION, MIGRATIONS_DIR, Base, make_engine, migrate


def _compare_type(context: MigrationContext, inspected_column: Any, metadata_column: Any,
                  inspected_type: Any, metadata_type: Any) -> bool | None:
    """SQLite neither enforces nor lets a migration change a VARCHAR's length without rebuilding the
    table (migration 0006 widens ``clients.name_key`` to 240 on PostgreSQL only), so two strings that
    differ only in length are the same there. Everything else: Alembic's own comparison."""
    if (context.dialect.name == "sqlite" and isinstance(inspected_type, String)
            and isinstance(metadata_type, String)
            and isinstance(inspected_type, Text) == isinstance(metadata_type, Text)):
        return False
    return None


def _compare_server_default(context: MigrationContext, inspected_column: Any, metadata_column: Any,
                            inspected_default: str | None, metadata_default: Any,
                            rendered_metadata_default: str | None) -> bool | None:
    """Alembic's SQLite comparison strips the quotes of a non-empty string default only, so an empty
    string default reads ``''`` in the database against ``""`` in the models. Everything else:
    Alembic's own comparison."""
    if context.dialect.name == "sqlite" and rendered_metadata_default == "" and inspected_default is not None:
        return inspected_default.strip("()") != "''"
    return None


def schema_differences(url: str, script_location: Path = MIGRATIONS_DIR) -> list:
    """Migrate the database at ``url`` to the latest revision and list how it differs from the models."""
    engine = make_engine(url)
    try:
        migrate(engine, script_location=script_location)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": _compare_type, "compare_server_default": _compare_server_default})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def flatten(diffs: list) -> list[tuple]:
    """Each difference as (operation, table, what): ``modify_*`` come grouped per column in lists."""
    out = []
    for diff in diffs:
        for d in diff if isinstance(diff, list) else [diff]:
            op = d[0]
            if op.startswith("modify_"):
                out.append((op, d[2], d[3]))
            elif op.endswith("_index") or op.endswith("_constraint"):
                out.append((op, d[1].table.name, tuple(c.name for c in d[1].columns)))
            elif op.endswith("_column"):
                out.append((op, d[2], d[3].name))
            else:
                out.append((op, str(d[1])))
    return out


def test_migrated_schema_is_the_models(database_url: str):
    diffs = schema_differences(database_url)
    assert diffs == [], "the migrated schema differs from the ORM models:\n" + pprint.pformat(diffs)


_USERS_WITHOUT_UNIQUE = """
    import sqlalchemy as sa
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("users_name_key_key", "users", type_="unique")
    else:  # SQLite drops an unnamed UNIQUE only by rebuilding the table
        users = sa.Table(
            "users", sa.MetaData(),
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(200), nullable=False),
            sa.Column("name_key", sa.String(200), nullable=False),
            sa.Column("role", sa.String(16), nullable=False),
            sa.Column("password_hash", sa.Text, nullable=False),
            sa.Column("created_at", sa.DateTime, nullable=False))
        with op.batch_alter_table("users", copy_from=users, recreate="always"):
            pass
"""

_BREAKAGES = {
    "users.name_key loses its uniqueness": (
        _USERS_WITHOUT_UNIQUE,
        {("add_constraint", "users", ("name_key",))}),
    "an index named unlike the models": (
        """
        op.drop_index("ix_clients_owner_id", table_name="clients")
        op.create_index("ix_clients_owner", "clients", ["owner_id"])
        """,
        {("remove_index", "clients", ("owner_id",)), ("add_index", "clients", ("owner_id",))}),
    "a required column made nullable": (
        """
        import sqlalchemy as sa
        with op.batch_alter_table("users") as batch:
            batch.alter_column("role", existing_type=sa.String(16), nullable=True)
        """,
        {("modify_nullable", "users", "role")}),
    "a column's type changed": (
        """
        import sqlalchemy as sa
        with op.batch_alter_table("sessions") as batch:
            batch.alter_column("fppa_mean_deg", existing_type=sa.Float, type_=sa.Text)
        """,
        {("modify_type", "sessions", "fppa_mean_deg")}),
}


@pytest.mark.parametrize("breakage", list(_BREAKAGES))
def test_the_comparison_sees_a_migration_that_breaks_the_schema(database_url: str, tmp_path: Path, breakage: str):
    body, expected = _BREAKAGES[breakage]
    diffs = schema_differences(database_url, with_extra_revision(tmp_path, body))
    assert set(flatten(diffs)) == expected, pprint.pformat(diffs)



@pytest.mark.parametrize("start", [f"v{n}" for n in range(1, LATEST_SCHEMA_VERSION)] + ["legacy_v1", "legacy_v2", "legacy_v3"])
def test_an_existing_database_upgrades_to_the_models(database_url: str, start: str, tmp_path: Path, request):
    """A database at every earlier revision, and the files the pre-Alembic store wrote, end as the
    models say (what migration 0008 is for: databases that have ``ix_clients_owner``)."""
    if start.startswith("legacy"):
        server = request.getfixturevalue("postgres_server") if database_url.startswith("postgresql") else None
        load_legacy(database_url, int(start[-1]), tmp_path, server)
    else:
        engine = make_engine(database_url)
        try:
            assert migrate(engine, target=int(start[1:])) == int(start[1:])
        finally:
            engine.dispose()
    diffs = schema_differences(database_url)
    assert diffs == [], f"upgraded from {start}, the schema differs from the ORM models:\n" + pprint.pformat(diffs)
