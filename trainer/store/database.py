"""The store's database: the ORM models, the engine, transactions and the schema migrations.

* Storage is SQLAlchemy 2.x (typed ``Mapped[...]`` ORM). By default an embedded SQLite file
  ``<user data dir>/squatcheck.db`` (platformdirs); ``database_url`` / ``SQUATCHECK_DB_URL`` may name
  any SQLAlchemy URL (e.g. PostgreSQL) (:func:`default_database_url`, :func:`make_engine`).
* On SQLite a write takes the write lock up front (``BEGIN IMMEDIATE``, the ``squatcheck_write``
  execution option) so concurrent writers queue on ``busy_timeout``; WAL mode, ``synchronous=FULL``,
  ``foreign_keys=ON``, ``secure_delete=ON``. :class:`_Tx` is one transaction: commit on success,
  roll back on error, database errors turned into :class:`~trainer.store.errors.StoreError`.
* Schema: Alembic migrations in ``trainer/migrations/versions`` (revision "0003" = schema v3).
  :func:`migrate` applies the pending ones in ONE transaction, so a failed or killed upgrade leaves
  the old schema intact; files written by the pre-Alembic store (v1-v3) are stamped and upgraded in
  place. The schema the latest revision builds is the models' (``tests/test_store_schema.py``).
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
from sqlalchemy import (
    Boolean,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    create_engine,
    event,
    false,
    inspect,
    text,
)
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from trainer.store.errors import ClientNotFoundError, DuplicateClientError, StoreError
from trainer.store.media import _narrow, private_dir, private_file

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

__all__ = [
    "APP_NAME",
    "DB_FILENAME",
    "ENV_DB_URL",
    "LATEST_SCHEMA_VERSION",
    "MIGRATIONS_DIR",
    "Base",
    "ClientRow",
    "LoginThrottleRow",
    "ScreeningRow",
    "SessionRow",
    "UTCDateTime",
    "UserRow",
    "current_schema_version",
    "default_database_url",
    "latest_schema_version",
    "make_engine",
    "migrate",
]

log = logging.getLogger(__name__)

APP_NAME = "squatcheck"
ENV_DB_URL = "SQUATCHECK_DB_URL"
DB_FILENAME = "squatcheck.db"
_NAME_MAX = 200
_KEY_MAX = 240  # name keys: the folded name (casefolding may lengthen it) and its owner's id
_PG_MIGRATION_LOCK = 0x5C0A7  # arbitrary constant key for pg_advisory_xact_lock
_WRITE_OPT = "squatcheck_write"  # execution option: take the SQLite write lock at BEGIN


# --------------------------------------------------------------------------- ORM models


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC (portable across SQLite/PostgreSQL), returned timezone-aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    pass


class ClientRow(Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(_NAME_MAX))
    # v6: "<owner id>:<folded name>" (":<folded name>" without an owner): names are unique per
    # trainer ("Anna  Smith" == "anna smith"), never across trainers
    name_key: Mapped[str] = mapped_column(String(_KEY_MAX), unique=True)
    # v6: the casefolded, whitespace-collapsed name alone, for the views that see every client
    name_fold: Mapped[str | None] = mapped_column(String(_KEY_MAX), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    notes: Mapped[str] = mapped_column(Text, default="")
    # v5: the trainer (users.id); its index ix_clients_owner_id (v8: was ix_clients_owner)
    owner_id: Mapped[int | None] = mapped_column(Integer, index=True)


class UserRow(Base):
    __tablename__ = "users"  # v5

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(_NAME_MAX))
    name_key: Mapped[str] = mapped_column(String(_NAME_MAX), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginThrottleRow(Base):
    """v6: failed sign-ins in a row per account name (``trainer.accounts.LoginThrottle``)."""

    __tablename__ = "login_throttle"

    name_digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the name's key
    failures: Mapped[int] = mapped_column(Integer)
    next_try_at: Mapped[float] = mapped_column(Float)  # epoch seconds: the next try waits until then
    last_try_at: Mapped[float] = mapped_column(Float)


class SessionRow(Base):
    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_client_recorded", "client_id", "recorded_at"),)  # v2

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    notes: Mapped[str] = mapped_column(Text, default="")
    view: Mapped[str | None] = mapped_column(String(32))
    profile: Mapped[str | None] = mapped_column(String(64))
    rep_count: Mapped[int] = mapped_column(Integer)
    valgus_reps: Mapped[int] = mapped_column(Integer)
    shallow_reps: Mapped[int] = mapped_column(Integer)
    fppa_mean_deg: Mapped[float | None] = mapped_column(Float)
    fppa_worst_deg: Mapped[float | None] = mapped_column(Float)
    depth_mean: Mapped[float | None] = mapped_column(Float)
    asymmetry_mean_deg: Mapped[float | None] = mapped_column(Float)
    kasr_mean: Mapped[float | None] = mapped_column(Float)  # added in v2
    analysis_json: Mapped[str] = mapped_column(Text)
    video_path: Mapped[str | None] = mapped_column(Text)  # relative to the media dir
    worst_frame_jpeg: Mapped[bytes | None] = mapped_column(LargeBinary)  # added in v3


class ScreeningRow(Base):
    """v7: a guided screening of a client (issue 22); deleted with its client like a session."""

    __tablename__ = "screenings"
    __table_args__ = (Index("ix_screenings_client_screened", "client_id", "screened_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    screened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retest_on: Mapped[str | None] = mapped_column(String(10))
    branch: Mapped[str | None] = mapped_column(String(32))
    # the server defaults are migration 0007's, so rows written by other tools get them too
    referral: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    result_json: Mapped[str] = mapped_column(Text)


# --------------------------------------------------------------------------- migrations
# The schema is Alembic's (trainer/migrations/versions): revision ids are zero-padded schema
# numbers, "0003" = schema v3, so the store can still speak of "schema version N".

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
_LEGACY_VERSION_TABLE = "schema_version"  # the pre-Alembic store's own record (schema v1-v3)


def _alembic_config(script_location: Path, connection: Connection | None = None) -> "AlembicConfig":
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["connection"] = connection
    return cfg


def _script(script_location: Path) -> "ScriptDirectory":
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(script_location))


def latest_schema_version(script_location: Path = MIGRATIONS_DIR) -> int:
    return int(_script(script_location).get_current_head())


def _legacy_version(conn: Connection) -> int:
    """The version the pre-Alembic store recorded, 0 if it never did."""
    if not inspect(conn).has_table(_LEGACY_VERSION_TABLE):
        return 0
    return int(conn.execute(text(f"SELECT MAX(version) FROM {_LEGACY_VERSION_TABLE}")).scalar() or 0)


def current_schema_version(conn: Connection) -> int:
    """The database's schema number: 0 for an empty database."""
    from alembic.runtime.migration import MigrationContext

    revision = MigrationContext.configure(conn).get_current_revision()
    if revision is None:
        return _legacy_version(conn)
    try:
        return int(revision)
    except ValueError:
        raise StoreError(f"This client database has an unknown schema revision {revision!r}.") from None


LATEST_SCHEMA_VERSION = latest_schema_version()


def migrate(engine: Engine, target: int | None = None, *, script_location: Path = MIGRATIONS_DIR) -> int:
    """Bring the database up to schema ``target`` (default: the latest) with Alembic, in ONE transaction.

    Safe on every open (no-op when up to date) and from several processes at once (SQLite:
    ``BEGIN IMMEDIATE`` write lock; PostgreSQL: a transaction-scoped advisory lock). A file written
    by the pre-Alembic store (its own ``schema_version`` table, v1-v3) is stamped with that version
    first and upgraded in place. Returns the schema version afterwards. Raises :class:`StoreError`
    if the database was written by a newer SquatCheck, or if a migration fails (nothing changes).
    """
    from alembic import command
    from alembic.util.exc import CommandError

    latest = latest_schema_version(script_location)
    target = latest if target is None else target
    if not 0 <= target <= latest:
        raise ValueError(f"target schema version must be 0..{latest}, got {target}")
    try:
        # Up to date (every open but the first): a plain read, so opening never waits for another
        # trainer's save to finish.
        with engine.connect() as conn:
            if inspect(conn).has_table("alembic_version") and current_schema_version(conn) == target:
                return target
        with engine.execution_options(**{_WRITE_OPT: True}).begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            current = current_schema_version(conn)
            if current > latest:
                raise StoreError(
                    f"This client database uses schema version {current}, but this version of "
                    f"SquatCheck only knows up to {latest}. Update SquatCheck to open it."
                )
            cfg = _alembic_config(script_location, conn)
            if current and not inspect(conn).has_table("alembic_version"):
                log.info("client database from the pre-Alembic store (schema v%d): stamping it", current)
                command.stamp(cfg, f"{current:04d}")
            if target > current:
                log.info("upgrading the client database from schema v%d to v%d", current, target)
                command.upgrade(cfg, f"{target:04d}")
            return current_schema_version(conn)
    except StoreError:
        raise
    except (SQLAlchemyError, CommandError) as err:
        raise StoreError(
            f"Could not prepare the client database ({_db_label(engine.url)}): "
            f"{_short(err)}. If this is not a SquatCheck database, choose another file."
        ) from err


# --------------------------------------------------------------------------- engine


def _short(err: BaseException) -> str:
    orig = getattr(err, "orig", None)
    msg = str(orig if orig is not None else err).strip().splitlines()
    return msg[0] if msg else type(err).__name__


def _db_label(url: URL) -> str:
    """The URL without a password, for messages."""
    return url.render_as_string(hide_password=True)


def default_database_url() -> str:
    """``SQUATCHECK_DB_URL`` if set, else the SQLite file in the user's data directory."""
    env = os.environ.get(ENV_DB_URL, "").strip()
    if env:
        return env
    path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / DB_FILENAME
    return URL.create("sqlite", database=str(path)).render_as_string(hide_password=False)


def _resolve_url(database_url: str | os.PathLike[str] | URL | None) -> URL:
    if database_url is None:
        database_url = default_database_url()
    if isinstance(database_url, URL):
        return database_url
    raw = os.fspath(database_url)
    if "://" not in raw:  # convenience: a plain file path means a SQLite file
        return URL.create("sqlite", database=str(Path(raw).expanduser()))
    try:
        return make_url(raw)
    except Exception as err:  # ArgumentError, ValueError
        raise StoreError(f"Not a valid database URL: {raw!r} ({err}).") from err


def _sqlite_file(url: URL) -> Path | None:
    if url.get_backend_name() != "sqlite":
        return None
    db = url.database or ""
    if db in ("", ":memory:") or db.startswith("file:") or url.query.get("mode") == "memory":
        return None
    return Path(db).expanduser()


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # SQLAlchemy, not the sqlite3 module, decides where transactions begin (so DDL is
        # transactional and we can choose BEGIN IMMEDIATE for writes).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            mode = cur.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() not in ("wal", "memory"):
                log.warning("SQLite WAL mode unavailable (journal_mode=%s)", mode)
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.execute("PRAGMA secure_delete=ON")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE_OPT, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(
    database_url: str | os.PathLike[str] | URL | None = None, *, echo: bool = False
) -> Engine:
    """A SQLAlchemy engine configured the way the store needs it (SQLite: WAL,
    synchronous=FULL, foreign keys, busy timeout, transactional DDL, BEGIN IMMEDIATE for
    writes; servers: pre-ping). Creates the folder (0700) and the file (0600) of a SQLite
    database, and narrows an existing one to 0600 (SQLite gives its -wal and -shm files the
    database file's mode). Does not migrate."""
    url = _resolve_url(database_url)
    db_file = _sqlite_file(url)
    if db_file is not None:
        try:
            fresh = not db_file.parent.exists()
            private_dir(db_file.parent) if fresh else db_file.parent.mkdir(parents=True, exist_ok=True)
            private_file(db_file)
            for extra in ("-wal", "-shm"):
                if Path(str(db_file) + extra).exists():
                    _narrow(Path(str(db_file) + extra), 0o600)
        except OSError as err:
            raise StoreError(
                f"Cannot create the folder for the client database {db_file}: {err}"
            ) from err
    kwargs: dict[str, Any] = {"echo": echo}
    if url.get_backend_name() != "sqlite":
        kwargs["pool_pre_ping"] = True  # server DBs: survive dropped connections
    try:
        engine = create_engine(url, **kwargs)
    except Exception as err:  # unknown dialect, missing driver (e.g. psycopg)
        raise StoreError(f"Cannot use database {_db_label(url)}: {err}") from err
    if engine.dialect.name == "sqlite":
        _install_sqlite_hooks(engine)
    return engine


# --------------------------------------------------------------------------- transactions


class _Tx:
    """``with store._tx(...) as session``: commit on success, roll back on error, and turn
    database errors into :class:`StoreError` (domain errors pass through unchanged)."""

    def __init__(self, factory: sessionmaker[Session], action: str) -> None:
        self._factory = factory
        self._action = action
        self._session: Session | None = None

    def __enter__(self) -> Session:
        self._session = self._factory()
        try:
            self._session.begin()
        except SQLAlchemyError as err:
            self._session.close()
            raise StoreError(f"Could not {self._action}: {_short(err)}") from err
        return self._session

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        s = self._session
        assert s is not None
        try:
            if exc is None:
                s.commit()
            else:
                s.rollback()
        except SQLAlchemyError as err:
            s.rollback()
            raise self._translate(err) from err
        finally:
            s.close()
        if isinstance(exc, SQLAlchemyError):
            raise self._translate(exc) from exc
        return False

    def _translate(self, err: SQLAlchemyError) -> StoreError:
        if isinstance(err, IntegrityError) and "name_key" in str(err.orig):
            # lost a race with another trainer adding the same name
            return DuplicateClientError("That name is already used by another client.")
        if isinstance(err, IntegrityError) and "foreign key" in str(err.orig).lower():
            # lost a race with another trainer deleting the client
            return ClientNotFoundError("That client no longer exists (it may have just been deleted).")
        return StoreError(f"Could not {self._action}: {_short(err)}")
