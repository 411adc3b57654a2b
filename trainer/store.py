"""Client history: who was screened, when, and what the analysis found.

Storage is SQLAlchemy 2.x (typed ``Mapped[...]`` ORM). By default an embedded SQLite file
``<user data dir>/squatcheck.db`` (platformdirs); a gym with several trainers can point
``database_url`` / ``SQUATCHECK_DB_URL`` at any SQLAlchemy URL (e.g. PostgreSQL).

Design notes
------------
* Callers only ever get plain frozen dataclasses (:class:`ClientRecord`,
  :class:`SessionRecord`) or JSON-able dicts - no live ORM objects escape a DB session.
* Every public write is exactly one transaction. On SQLite we take the write lock up front
  (``BEGIN IMMEDIATE``) so concurrent writers queue on ``busy_timeout`` instead of failing
  on a lock upgrade; the DB runs in WAL mode with ``synchronous=FULL`` and
  ``foreign_keys=ON`` so a committed save survives a crash / power cut and a killed
  half-written save leaves nothing behind.
* Schema: Alembic migrations in ``trainer/migrations/versions`` (revision "0003" = schema v3).
  :func:`migrate` applies the pending ones in ONE transaction (SQLite and PostgreSQL both have
  transactional DDL), so a failed or killed upgrade leaves the old schema intact. Files written
  by the pre-Alembic store (v1-v3) are stamped and upgraded in place. Revisions are written
  against explicit table snapshots, never the ORM models, so v1 stays v1 forever; the schema the
  latest revision builds is the models' (``tests/test_store_schema.py`` compares them with Alembic).
* A small JPEG thumbnail of the worst rep's bottom frame (schema v3, ``worst_frame_jpeg``,
  at most ~100 KB) can be stored with a session, so a saved session's PDF report has its
  picture even when the video itself was not kept.
* Guided screenings (schema v7, ``screenings``, issue 22) are stored beside the sessions: the whole
  ``trainer.screening.build_screening`` result as JSON plus its date, re-test date, branch and referral.
  They belong to their client, so the same ownership applies (a trainer's view finds only its own
  clients' screenings; any other id is "not found") and they are deleted with the client.
* Videos are copied into ``<media dir>/client_<id>/`` only when ``keep_video=True``; the DB
  stores the path relative to the media dir. The copy happens before the DB commit and is
  removed if the commit fails, so the DB never points at a missing file; a crash between
  the two can leave an unreferenced file, which :meth:`Store.cleanup_orphan_videos` removes.
* Deleting a client (the privacy "erase my data" right) removes its sessions (explicitly
  and via ``ON DELETE CASCADE``) and its whole ``client_<id>/`` folder (kept videos and any
  file left there by an interrupted copy). SQLite runs with
  ``secure_delete=ON`` and the WAL is checkpointed afterwards, so the deleted rows are not
  left readable in free pages.
* Owner only: the SQLite file (and its -wal/-shm), the media dir and its client folders are
  created 0600 / 0700 whatever the umask (:func:`private_dir`, :func:`private_file`), and an
  existing database file readable by others is narrowed to 0600 when it is opened.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import os
import shutil
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
import operator
from typing import TYPE_CHECKING, Any, Callable, Mapping

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
    delete,
    event,
    false,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from vision.errors import SquatCheckError
from vision.images import as_rgb
from trainer.session_compare import compare_sessions, summarise_analysis

if TYPE_CHECKING:
    import numpy as np
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

__all__ = [
    "APP_NAME",
    "ENV_DB_URL",
    "LATEST_SCHEMA_VERSION",
    "MIGRATIONS_DIR",
    "ClientNotFoundError",
    "ClientRecord",
    "DuplicateClientError",
    "DuplicateUserError",
    "ROLES",
    "ScreeningNotFoundError",
    "ScreeningRecord",
    "SessionNotFoundError",
    "SessionRecord",
    "Store",
    "StoreError",
    "UserNotFoundError",
    "UserRecord",
    "THUMBNAIL_MAX_BYTES",
    "compare_sessions",
    "decode_thumbnail",
    "default_database_url",
    "encode_thumbnail",
    "latest_schema_version",
    "make_engine",
    "migrate",
    "summarise_analysis",
]

log = logging.getLogger(__name__)

APP_NAME = "squatcheck"
ENV_DB_URL = "SQUATCHECK_DB_URL"
DB_FILENAME = "squatcheck.db"
EXPORT_FORMAT = "squatcheck-client-export"
EXPORT_VERSION = 1
_NAME_MAX = 200
_KEY_MAX = 240  # name keys: the folded name (casefolding may lengthen it) and its owner's id
THROTTLE_FORGET_S = 24 * 3600  # a name's failed sign-ins are forgotten after a day without tries
THUMBNAIL_MAX_SIDE = 640  # px, long side of the stored worst-frame thumbnail
THUMBNAIL_MAX_BYTES = 100_000  # the JPEG is shrunk until it fits
_THUMBNAIL_QUALITY = 85
_PG_MIGRATION_LOCK = 0x5C0A7  # arbitrary constant key for pg_advisory_xact_lock
_WRITE_OPT = "squatcheck_write"  # execution option: take the SQLite write lock at BEGIN


# --------------------------------------------------------------------------- errors


class StoreError(SquatCheckError):
    """The client history could not be read or written; the message says why."""


class ClientNotFoundError(StoreError):
    """No client with that id (it may have been deleted)."""


class SessionNotFoundError(StoreError):
    """No session with that id (it may have been deleted)."""


class ScreeningNotFoundError(StoreError):
    """No screening with that id (it may have been deleted)."""


class UserNotFoundError(StoreError):
    """No account with that name."""


class DuplicateUserError(StoreError):
    """An account with that name already exists."""


class DuplicateClientError(StoreError):
    """A client with that name already exists (names are compared ignoring case/spacing)."""


# --------------------------------------------------------------------------- records


def _valgus_rate(view: str | None, rep_count: int, valgus_reps: int,
                 fppa_mean: float | None, kasr_mean: float | None) -> float | None:
    # Same rule as trainer.session_compare.valgus_measurable, on the stored summary columns.
    if not rep_count or (view or "").lower() == "side":
        return None
    if valgus_reps == 0 and fppa_mean is None and kasr_mean is None:
        return None
    return valgus_reps / rep_count


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt is not None else None


@dataclass(frozen=True)
class ClientRecord:
    id: int
    name: str
    created_at: datetime  # timezone-aware, UTC
    notes: str
    session_count: int = 0
    last_recorded_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "created_at": _iso(self.created_at),
            "notes": self.notes,
            "session_count": self.session_count,
            "last_recorded_at": _iso(self.last_recorded_at),
        }


@dataclass(frozen=True)
class SessionRecord:
    id: int
    client_id: int
    recorded_at: datetime  # timezone-aware, UTC
    created_at: datetime  # timezone-aware, UTC (when it was saved)
    notes: str
    view: str | None
    profile: str | None
    rep_count: int
    valgus_reps: int
    shallow_reps: int
    fppa_mean_deg: float | None  # mean over reps of the worse side's FPPA
    fppa_worst_deg: float | None
    depth_mean: float | None
    kasr_mean: float | None
    asymmetry_mean_deg: float | None
    video_path: Path | None  # absolute path of the kept copy, or None
    analysis: dict[str, Any] = field(repr=False)
    # JPEG thumbnail of the worst rep's bottom frame (schema v3), or None
    worst_frame_jpeg: bytes | None = field(default=None, repr=False)

    @property
    def has_worst_frame(self) -> bool:
        return bool(self.worst_frame_jpeg)

    def worst_frame_rgb(self) -> "np.ndarray | None":
        """The stored worst-frame thumbnail decoded to an HxWx3 RGB uint8 array (ready for
        ``render_session_pdf(worst_frame_rgb=...)`` / ``st.image``); None if there is none
        or it cannot be decoded."""
        return decode_thumbnail(self.worst_frame_jpeg)

    @property
    def valgus_rate(self) -> float | None:
        """Share of reps with knee valgus; None with no reps or when the camera view
        could not judge valgus (side view / no frontal metrics)."""
        return _valgus_rate(self.view, self.rep_count, self.valgus_reps, self.fppa_mean_deg,
                            self.kasr_mean)

    def to_dict(self, *, include_analysis: bool = True) -> dict[str, Any]:
        out = {
            "id": self.id,
            "client_id": self.client_id,
            "recorded_at": _iso(self.recorded_at),
            "created_at": _iso(self.created_at),
            "notes": self.notes,
            "view": self.view,
            "profile": self.profile,
            "rep_count": self.rep_count,
            "valgus_reps": self.valgus_reps,
            "shallow_reps": self.shallow_reps,
            "valgus_rate": self.valgus_rate,
            "fppa_mean_deg": self.fppa_mean_deg,
            "fppa_worst_deg": self.fppa_worst_deg,
            "depth_mean": self.depth_mean,
            "kasr_mean": self.kasr_mean,
            "asymmetry_mean_deg": self.asymmetry_mean_deg,
            "video_path": str(self.video_path) if self.video_path else None,
            "has_worst_frame": self.has_worst_frame,
        }
        if include_analysis:
            out["analysis"] = json.loads(json.dumps(self.analysis))
        return out


@dataclass(frozen=True)
class ScreeningRecord:
    """A saved guided screening (schema v7): ``result`` is the dict ``trainer.screening.build_screening`` made."""

    id: int
    client_id: int
    screened_at: datetime  # timezone-aware, UTC
    created_at: datetime  # timezone-aware, UTC (when it was saved)
    retest_on: str | None  # ISO date
    branch: str | None  # the heels-raised branch: ankle, hip_control, no_clear_conclusion, ...
    referral: bool  # pain: see a clinician, no plan
    notes: str
    result: dict[str, Any] = field(repr=False)

    def to_dict(self, *, include_result: bool = True) -> dict[str, Any]:
        out = {"id": self.id, "client_id": self.client_id, "screened_at": _iso(self.screened_at),
               "created_at": _iso(self.created_at), "retest_on": self.retest_on, "branch": self.branch,
               "referral": self.referral, "notes": self.notes}
        if include_result:
            out["result"] = json.loads(json.dumps(self.result))
        return out


ROLES = ("admin", "trainer")


@dataclass(frozen=True)
class UserRecord:
    """An account. ``password_hash`` is an Argon2 hash (``trainer.accounts``), never a password."""

    id: int
    name: str
    role: str
    created_at: datetime
    password_hash: str = field(repr=False)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


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

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
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


# --------------------------------------------------------------------------- helpers


def _short(err: BaseException) -> str:
    orig = getattr(err, "orig", None)
    msg = str(orig if orig is not None else err).strip().splitlines()
    return msg[0] if msg else type(err).__name__


def _db_label(url: URL) -> str:
    """The URL without a password, for messages."""
    return url.render_as_string(hide_password=True)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _to_utc(dt: datetime | None) -> datetime:
    """Aware datetimes are converted to UTC; naive ones are taken as local wall-clock time."""
    if dt is None:
        return _now()
    if not isinstance(dt, datetime):
        raise StoreError(f"recorded_at must be a datetime, got {type(dt).__name__}")
    return dt.astimezone(timezone.utc)


def _clean_name(name: Any, what: str = "A client name") -> tuple[str, str]:
    if not isinstance(name, str):
        raise StoreError(f"{what} must be text.")
    clean = " ".join(unicodedata.normalize("NFC", name).split())
    if not clean:
        raise StoreError(f"{what} cannot be empty.")
    if len(clean) > _NAME_MAX:
        raise StoreError(f"{what} can be at most {_NAME_MAX} characters.")
    return clean, clean.casefold()


# Letters from other scripts that look like Latin ones (a small, common subset of Unicode's
# confusables), and digits that pass for letters: an account name's look-alike skeleton.
_CONFUSABLE = str.maketrans({
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
    "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j", "ԁ": "d", "ӏ": "l", "ү": "y", "һ": "h", "ԛ": "q",
    "ԝ": "w", "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ѵ": "v", "ɡ": "g", "ı": "i", "ȷ": "j",
    "0": "o", "1": "l", "|": "l", "5": "s", "$": "s", "@": "a",
})


def printable(text: str) -> str:
    """``text`` safe to print to a terminal or a log: control and invisible characters (escape
    codes, tabs, zero-width) written as ``\\x1b`` / ``\\u200b``."""
    return "".join(c if c.isprintable() else (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
                   for c in str(text))


def name_skeleton(name: str) -> str:
    """What an account name looks like: NFKC, casefolded, accents, invisible characters and spaces
    dropped, look-alike letters mapped to Latin ones ("rооt" with Cyrillic o's, "R00T", "r o o t"
    and "root" share one skeleton)."""
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    text = "".join(c for c in unicodedata.normalize("NFD", text)
                   if not unicodedata.category(c).startswith(("M", "C", "Z")) and not c.isspace())
    text = text.translate(_CONFUSABLE).replace("rn", "m").replace("vv", "w")
    return text.replace("l", "i")  # l, I and 1 look alike in many fonts


def _clean_account_name(name: Any, *, strict: bool = True) -> tuple[str, str]:
    """An account name: NFKC-normalised, spaces collapsed, printable characters only (no tabs,
    escape codes or zero-width characters). ``strict=False`` (sign-in, look-ups) checks only what
    the key needs; a name that cannot exist simply matches no account."""
    if not isinstance(name, str):
        raise StoreError("An account name must be text.")
    normal = unicodedata.normalize("NFKC", name)
    if strict:
        bad = [c for c in normal if not (c.isprintable() or c == " ")]
        if bad:
            raise StoreError("An account name can hold only printable characters (no tabs, control or "
                             f"invisible characters such as {printable(bad[0])!r}).")
    return _clean_name(normal, what="An account name")


def _client_key(owner_id: int | None, fold: str) -> str:
    """``clients.name_key``: the folded name within its owner (names are unique per trainer)."""
    return f"{owner_id if owner_id is not None else ''}:{fold}"


def _user_record(row: "UserRow") -> UserRecord:
    return UserRecord(id=row.id, name=row.name, role=row.role, created_at=row.created_at,
                      password_hash=row.password_hash)


def _jsonable(value: Any) -> Any:
    """Deep-convert to plain JSON types: numpy scalars/arrays, tuples, Paths, datetimes;
    NaN/inf become None (they are "no value", and strict JSON / PostgreSQL reject them)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays
    if callable(tolist):
        return _jsonable(tolist())
    raise TypeError(f"value of type {type(value).__name__} is not JSON-serialisable")


def _as_id(value: Any) -> int | None:
    """Accept ints and int-likes (numpy/pandas ids); anything else matches no row."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def encode_thumbnail(frame_rgb: Any) -> bytes:
    """An RGB image (HxWx3 uint8; grey, RGBA and float 0..1 are accepted too) as JPEG bytes
    for ``sessions.worst_frame_jpeg``: long side at most :data:`THUMBNAIL_MAX_SIDE` px,
    quality ~85, shrunk further until it is at most :data:`THUMBNAIL_MAX_BYTES`.
    Raises :class:`StoreError` if ``frame_rgb`` is not an image."""
    import cv2
    import numpy as np

    try:
        arr = np.asarray(frame_rgb)
    except Exception as err:  # ragged lists and other oddities
        raise StoreError(f"The worst-frame picture is not an image: {err}") from err
    try:
        arr = as_rgb(arr)
    except ValueError:
        raise StoreError(f"The worst-frame picture must be an HxWx3 RGB image, got shape {arr.shape}.") from None
    if arr.dtype != np.uint8:
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
            raise StoreError(f"The worst-frame picture has unusable pixel type {arr.dtype}.")
        arr = np.nan_to_num(arr.astype(np.float64))
        if arr.max(initial=0) <= 1.0:
            arr = arr * 255.0
        arr = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
    bgr = cv2.cvtColor(np.ascontiguousarray(arr), cv2.COLOR_RGB2BGR)  # OpenCV wants BGR
    h, w = bgr.shape[:2]
    scale = min(1.0, THUMBNAIL_MAX_SIDE / max(h, w))
    quality = _THUMBNAIL_QUALITY
    for _ in range(40):
        img = bgr
        if scale < 1.0:
            size = (max(2, round(w * scale)), max(2, round(h * scale)))
            img = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise StoreError("Could not encode the worst-frame picture as JPEG.")
        data = buf.tobytes()
        if len(data) <= THUMBNAIL_MAX_BYTES:
            return data
        if quality > 60:
            quality -= 10
        else:
            scale *= 0.75
    raise StoreError("Could not make the worst-frame picture small enough to store.")


def decode_thumbnail(data: bytes | None) -> "np.ndarray | None":
    """JPEG bytes from :func:`encode_thumbnail` back to an HxWx3 RGB uint8 array; None for
    no data or undecodable data."""
    if not data:
        return None
    import cv2
    import numpy as np

    bgr = cv2.imdecode(np.frombuffer(bytes(data), dtype=np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        log.warning("stored worst-frame thumbnail could not be decoded")
        return None
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


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


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) readable by its owner only (0700, whatever the umask);
    narrow an existing folder of ours to 0700. Returns ``path``."""
    path = Path(path)
    missing = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=0o700)
        except FileExistsError:
            pass
        os.chmod(d, 0o700)  # mkdir's mode is filtered by the umask
    _narrow(path, 0o700)
    return path


def private_file(path: Path) -> None:
    """Create ``path`` empty if missing, 0600 (owner only); narrow an existing file of ours to 0600."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    _narrow(path, 0o600)


def _narrow(path: Path, mode: int) -> None:
    """chmod ``path`` to ``mode`` if it is ours and others may read it (a shared folder that is not
    ours, e.g. /tmp, is left alone)."""
    try:
        st_ = os.stat(path)
        if st_.st_uid == os.getuid() and (st_.st_mode & 0o777) != mode:
            os.chmod(path, mode)
    except (OSError, AttributeError):  # AttributeError: no os.getuid (Windows)
        pass


def _open_private(path: Path):
    """A new file for writing, 0600 from its first byte (whatever the umask)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")


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


# --------------------------------------------------------------------------- the store


class Store:
    """Client history. Thread-safe (one engine / connection pool, a DB session per call).

    Open with :meth:`Store.open`; use as a context manager or call :meth:`close`.

    Access: a store opened with :meth:`open` sees every client (the command line, admins, and the
    app while no account exists). :meth:`for_user` gives a view for one signed-in account: a
    trainer's view holds only the clients that trainer created; any other client id is answered
    "not found", exactly as for a deleted one, so nothing tells that it exists.
    """

    def __init__(self, engine: Engine, media_dir: Path, *, owner_id: int | None = None) -> None:
        self._engine = engine
        self._media_dir = media_dir
        self._owner_id = owner_id  # None: every client; else only this trainer's
        # A read on a server sees one snapshot for its whole transaction, so a client deleted by
        # another trainer mid-read is either wholly there or not found (never a client without
        # its sessions). SQLite reads are snapshots already.
        reader = engine if engine.dialect.name == "sqlite" else engine.execution_options(
            isolation_level="REPEATABLE READ")
        self._read = sessionmaker(bind=reader, expire_on_commit=False)
        self._write = sessionmaker(
            bind=engine.execution_options(**{_WRITE_OPT: True}), expire_on_commit=False
        )
        self._is_sqlite = engine.dialect.name == "sqlite"

    # ---- lifecycle ---------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        database_url: str | os.PathLike[str] | URL | None = None,
        *,
        media_dir: str | os.PathLike[str] | None = None,
        echo: bool = False,
    ) -> "Store":
        """Open (creating and/or upgrading as needed) the client database.

        ``database_url``: any SQLAlchemy URL or a plain SQLite file path; default
        ``$SQUATCHECK_DB_URL`` or ``<user data dir>/squatcheck.db``.
        ``media_dir``: where kept videos go; default ``videos/`` next to a SQLite file,
        else ``<user data dir>/videos``.
        """
        url = _resolve_url(database_url)
        db_file = _sqlite_file(url)
        if media_dir is not None:
            media = Path(media_dir).expanduser()
        elif db_file is not None:
            media = db_file.parent / "videos"
        else:
            media = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "videos"
        engine = make_engine(url, echo=echo)
        try:
            migrate(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, media)

    def close(self) -> None:
        self._engine.dispose()

    def for_user(self, user: UserRecord | None) -> "Store":
        """The view of this store that ``user`` may see (shares this store's connections; do not
        close it). Admins and ``None`` (no accounts: a single-user computer) see every client."""
        if user is None or user.is_admin:
            return self if self._owner_id is None else Store(self._engine, self._media_dir)
        return Store(self._engine, self._media_dir, owner_id=user.id)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        return _db_label(self._engine.url)

    @property
    def media_dir(self) -> Path:
        return self._media_dir

    @property
    def schema_version(self) -> int:
        with self._engine.connect() as conn:
            return current_schema_version(conn)

    # ---- transactions ------------------------------------------------------------------

    def _tx(self, *, write: bool, action: str) -> "_Tx":
        return _Tx(self._write if write else self._read, action)

    # ---- clients -----------------------------------------------------------------------

    def create_client(self, name: str, notes: str = "") -> ClientRecord:
        clean, fold = _clean_name(name)
        with self._tx(write=True, action="add the client") as s:
            if self._visible_named(s, fold):
                raise DuplicateClientError(f"A client called {clean!r} already exists.")
            row = ClientRow(name=clean, name_key=_client_key(self._owner_id, fold), name_fold=fold,
                            created_at=_now(), notes=str(notes or ""), owner_id=self._owner_id)
            s.add(row)
            s.flush()
            return self._client_record(row)

    def rename_client(self, client_id: int, name: str) -> ClientRecord:
        clean, fold = _clean_name(name)
        with self._tx(write=True, action="rename the client") as s:
            row = self._get_client_row(s, client_id)
            if any(other.id != row.id for other in self._visible_named(s, fold)):
                raise DuplicateClientError(f"A client called {clean!r} already exists.")
            row.name, row.name_key, row.name_fold = clean, _client_key(row.owner_id, fold), fold
            s.flush()
            return self._client_record(row, s)

    def set_client_notes(self, client_id: int, notes: str) -> ClientRecord:
        with self._tx(write=True, action="update the client notes") as s:
            row = self._get_client_row(s, client_id)
            row.notes = str(notes or "")
            s.flush()
            return self._client_record(row, s)

    def get_client(self, client_id: int) -> ClientRecord:
        with self._tx(write=False, action="read the client") as s:
            return self._client_record(self._get_client_row(s, client_id), s)

    def find_client(self, name: str) -> ClientRecord | None:
        """The visible client with this name (compared as names are: case and spacing ignored), or None.
        A trainer's view finds only that trainer's client. The whole store (admins, the command
        line) prefers the client without a trainer when trainers have one by that name too, and
        refuses to guess between several trainers' clients."""
        clean, fold = _clean_name(name)
        with self._tx(write=False, action="find the client") as s:
            rows = self._visible_named(s, fold)
            if len(rows) > 1:
                rows = [r for r in rows if r.owner_id is None] or rows
            if len(rows) > 1:
                raise StoreError(f"Several trainers have a client called {clean!r}; "
                                 "choose one by its id or give it another name.")
            return self._client_record(rows[0], s) if rows and self._visible(rows[0]) else None

    def list_clients(self) -> list[ClientRecord]:
        """All clients, sorted by name, with their session count and last session date."""
        stmt = (
            select(ClientRow, func.count(SessionRow.id), func.max(SessionRow.recorded_at))
            .outerjoin(SessionRow, SessionRow.client_id == ClientRow.id)
            .group_by(ClientRow.id)
            .order_by(ClientRow.name_fold, ClientRow.id)
        )
        if self._owner_id is not None:
            stmt = stmt.where(ClientRow.owner_id == self._owner_id)
        with self._tx(write=False, action="list the clients") as s:
            out = []
            for row, n, last in s.execute(stmt).all():
                out.append(
                    ClientRecord(
                        id=row.id,
                        name=row.name,
                        created_at=row.created_at,
                        notes=row.notes,
                        session_count=int(n),
                        last_recorded_at=UTCDateTime().process_result_value(last, None)
                        if isinstance(last, datetime)
                        else None,
                    )
                )
            return out

    def delete_client(self, client_id: int) -> None:
        """Erase a client, all their sessions and every file of theirs: the kept videos and the
        rest of their ``client_<id>/`` folder (e.g. a copy interrupted by a crash)."""
        with self._tx(write=True, action="delete the client") as s:
            self._get_client_row(s, client_id)
            videos = s.scalars(
                select(SessionRow.video_path).where(
                    SessionRow.client_id == client_id, SessionRow.video_path.is_not(None)
                )
            ).all()
            # explicit, so erasure does not depend on the FK pragma of whoever opened the DB;
            # the schema's ON DELETE CASCADE covers other tools deleting clients.
            s.execute(delete(SessionRow).where(SessionRow.client_id == client_id))
            s.execute(delete(ScreeningRow).where(ScreeningRow.client_id == client_id))
            s.execute(delete(ClientRow).where(ClientRow.id == client_id))
        for rel in videos:
            self._unlink_video(rel)
        folder = self._media_dir / f"client_{client_id}"
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, onerror=lambda _f, path, err: log.warning(
                "could not delete %s of a deleted client: %s", path, err[1]))
        self._checkpoint()

    # ---- sessions ----------------------------------------------------------------------

    def save_session(
        self,
        client_id: int,
        analysis: dict[str, Any],
        *,
        recorded_at: datetime | None = None,
        notes: str = "",
        video_path: str | os.PathLike[str] | None = None,
        keep_video: bool = False,
        worst_frame_rgb: "np.ndarray | None" = None,
    ) -> SessionRecord:
        """Save one analysed video for a client, in one transaction.

        ``recorded_at``: when the set was filmed (default now); naive = local time.
        The video is copied into the media dir only if ``keep_video`` is True; otherwise
        nothing about the video file (not even its path) is stored.
        ``worst_frame_rgb``: the worst rep's bottom frame (RGB); stored as a small JPEG
        thumbnail (see :func:`encode_thumbnail`) for the session's PDF report.
        """
        if not isinstance(analysis, Mapping):
            raise StoreError("The analysis to save must be a dict.")
        try:
            clean = _jsonable(analysis)
            analysis_json = json.dumps(clean, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise StoreError(f"The analysis cannot be saved: {err}.") from err
        summ = summarise_analysis(clean)
        when = _to_utc(recorded_at)
        thumb = encode_thumbnail(worst_frame_rgb) if worst_frame_rgb is not None else None
        view = clean.get("view")
        profile = clean.get("profile")

        if keep_video and video_path is None:
            raise StoreError("keep_video=True needs the video_path of the clip to keep.")
        if keep_video:
            src = Path(video_path)  # type: ignore[arg-type]
            if not src.is_file():
                raise StoreError(f"The video to keep was not found: {src}")
            # Make sure the client exists before copying a possibly large file.
            self.get_client(client_id)

        kept: Path | None = None
        try:
            if keep_video:
                kept = self._copy_video(client_id, src)
            with self._tx(write=True, action="save the session") as s:
                self._get_client_row(s, client_id)
                row = SessionRow(
                    client_id=client_id,
                    recorded_at=when,
                    created_at=_now(),
                    notes=str(notes or ""),
                    view=str(view) if view is not None else None,
                    profile=str(profile) if profile is not None else None,
                    rep_count=summ["rep_count"],
                    valgus_reps=summ["valgus_reps"],
                    shallow_reps=summ["shallow_reps"],
                    fppa_mean_deg=summ["fppa_mean_deg"],
                    fppa_worst_deg=summ["fppa_worst_deg"],
                    depth_mean=summ["depth_mean"],
                    asymmetry_mean_deg=summ["asymmetry_mean_deg"],
                    kasr_mean=summ["kasr_mean"],
                    analysis_json=analysis_json,
                    video_path=kept.relative_to(self._media_dir).as_posix() if kept else None,
                    worst_frame_jpeg=thumb,
                )
                s.add(row)
                s.flush()
                return self._session_record(row)
        except BaseException:
            if kept is not None:
                kept.unlink(missing_ok=True)
            raise

    def list_sessions(self, client_id: int) -> list[SessionRecord]:
        """A client's sessions, oldest to newest (by recorded_at)."""
        with self._tx(write=False, action="list the sessions") as s:
            self._get_client_row(s, client_id)
            rows = s.scalars(
                select(SessionRow)
                .where(SessionRow.client_id == client_id)
                .order_by(SessionRow.recorded_at, SessionRow.id)
            ).all()
            return [self._session_record(r) for r in rows]

    def get_session(self, session_id: int) -> SessionRecord:
        with self._tx(write=False, action="read the session") as s:
            return self._session_record(self._get_session_row(s, session_id))

    def previous_session(self, session_id: int) -> SessionRecord | None:
        """The same client's session recorded just before this one, or None."""
        with self._tx(write=False, action="read the previous session") as s:
            cur = self._get_session_row(s, session_id)
            row = s.scalars(
                select(SessionRow)
                .where(
                    SessionRow.client_id == cur.client_id,
                    (SessionRow.recorded_at < cur.recorded_at)
                    | ((SessionRow.recorded_at == cur.recorded_at) & (SessionRow.id < cur.id)),
                )
                .order_by(SessionRow.recorded_at.desc(), SessionRow.id.desc())
                .limit(1)
            ).first()
            return self._session_record(row) if row is not None else None

    def update_session_notes(self, session_id: int, notes: str) -> SessionRecord:
        with self._tx(write=True, action="update the session notes") as s:
            row = self._get_session_row(s, session_id)
            row.notes = str(notes or "")
            s.flush()
            return self._session_record(row)

    def delete_session(self, session_id: int) -> None:
        with self._tx(write=True, action="delete the session") as s:
            row = self._get_session_row(s, session_id)
            rel, client_id = row.video_path, row.client_id
            s.delete(row)
        if rel:
            self._unlink_video(rel)
            self._remove_empty_dir(self._media_dir / f"client_{client_id}")
        self._checkpoint()

    # ---- screenings (issue 22) -----------------------------------------------------------

    def save_screening(self, client_id: int, result: Mapping[str, Any], *, screened_at: datetime | None = None,
                       notes: str = "") -> ScreeningRecord:
        """Save a guided screening (the dict ``trainer.screening.build_screening`` returned) for a client, in
        one transaction. ``screened_at``: when it was filmed (default now; naive = local time). The client must
        be visible to this store's view (a trainer's own client), as for :meth:`save_session`."""
        if not isinstance(result, Mapping):
            raise StoreError("The screening to save must be a dict.")
        try:
            result_json = json.dumps(_jsonable(result), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise StoreError(f"The screening cannot be saved: {err}.") from err
        branch = (result.get("branch") or {}).get("branch") if isinstance(result.get("branch"), Mapping) else None
        refer = bool((result.get("referral") or {}).get("refer")) if isinstance(result.get("referral"), Mapping) else False
        retest = result.get("retest_on")
        with self._tx(write=True, action="save the screening") as s:
            self._get_client_row(s, client_id)
            row = ScreeningRow(client_id=client_id, screened_at=_to_utc(screened_at), created_at=_now(),
                               retest_on=str(retest)[:10] if retest else None,
                               branch=str(branch)[:32] if branch else None, referral=refer,
                               notes=str(notes or ""), result_json=result_json)
            s.add(row)
            s.flush()
            return self._screening_record(row)

    def list_screenings(self, client_id: int) -> list[ScreeningRecord]:
        """A client's screenings, oldest to newest (by screened_at)."""
        with self._tx(write=False, action="list the screenings") as s:
            self._get_client_row(s, client_id)
            rows = s.scalars(select(ScreeningRow).where(ScreeningRow.client_id == client_id)
                             .order_by(ScreeningRow.screened_at, ScreeningRow.id)).all()
            return [self._screening_record(r) for r in rows]

    def get_screening(self, screening_id: int) -> ScreeningRecord:
        with self._tx(write=False, action="read the screening") as s:
            return self._screening_record(self._get_screening_row(s, screening_id))

    def previous_screening(self, screening_id: int) -> ScreeningRecord | None:
        """The same client's screening just before this one (what a re-screen is compared with), or None."""
        with self._tx(write=False, action="read the previous screening") as s:
            cur = self._get_screening_row(s, screening_id)
            row = s.scalars(
                select(ScreeningRow)
                .where(ScreeningRow.client_id == cur.client_id,
                       (ScreeningRow.screened_at < cur.screened_at)
                       | ((ScreeningRow.screened_at == cur.screened_at) & (ScreeningRow.id < cur.id)))
                .order_by(ScreeningRow.screened_at.desc(), ScreeningRow.id.desc())
                .limit(1)
            ).first()
            return self._screening_record(row) if row is not None else None

    def update_screening_notes(self, screening_id: int, notes: str) -> ScreeningRecord:
        with self._tx(write=True, action="update the screening notes") as s:
            row = self._get_screening_row(s, screening_id)
            row.notes = str(notes or "")
            s.flush()
            return self._screening_record(row)

    def delete_screening(self, screening_id: int) -> None:
        with self._tx(write=True, action="delete the screening") as s:
            s.delete(self._get_screening_row(s, screening_id))
        self._checkpoint()

    # ---- reporting ---------------------------------------------------------------------

    def trend(self, client_id: int) -> list[dict[str, Any]]:
        """One JSON-able dict per session, oldest first, for a progress chart.

        Keys: session_id, recorded_at (ISO 8601 UTC), date (local calendar date, ISO),
        view, rep_count, valgus_reps, valgus_rate (0..1; None = no reps, or valgus not
        measurable from that camera view), kasr_mean, depth_mean,
        asymmetry_mean_deg, fppa_mean_deg, fppa_worst_deg. None = not measurable / no reps.
        """
        stmt = (
            select(
                SessionRow.id,
                SessionRow.recorded_at,
                SessionRow.view,
                SessionRow.rep_count,
                SessionRow.valgus_reps,
                SessionRow.kasr_mean,
                SessionRow.depth_mean,
                SessionRow.asymmetry_mean_deg,
                SessionRow.fppa_mean_deg,
                SessionRow.fppa_worst_deg,
            )
            .where(SessionRow.client_id == client_id)
            .order_by(SessionRow.recorded_at, SessionRow.id)
        )
        with self._tx(write=False, action="read the progress data") as s:
            self._get_client_row(s, client_id)
            rows = s.execute(stmt).all()
        out = []
        for r in rows:
            rec = r.recorded_at
            out.append(
                {
                    "session_id": r.id,
                    "recorded_at": rec.isoformat(),
                    "date": rec.astimezone().date().isoformat(),
                    "view": r.view,
                    "rep_count": r.rep_count,
                    "valgus_reps": r.valgus_reps,
                    "valgus_rate": _valgus_rate(r.view, r.rep_count, r.valgus_reps,
                                                r.fppa_mean_deg, r.kasr_mean),
                    "kasr_mean": r.kasr_mean,
                    "depth_mean": r.depth_mean,
                    "asymmetry_mean_deg": r.asymmetry_mean_deg,
                    "fppa_mean_deg": r.fppa_mean_deg,
                    "fppa_worst_deg": r.fppa_worst_deg,
                }
            )
        return out

    def export_client(self, client_id: int) -> dict[str, Any]:
        """Everything stored about a client as one JSON-able dict ("export my data").

        Kept videos are referenced by path and file name, not embedded; copy those files
        alongside the JSON if the client wants them too. A stored worst-frame thumbnail is
        included as base64 JPEG (``worst_frame_jpeg_base64``), since it shows the client.
        """
        with self._tx(write=False, action="export the client") as s:
            client = self._client_record(self._get_client_row(s, client_id), s)
            rows = s.scalars(
                select(SessionRow)
                .where(SessionRow.client_id == client_id)
                .order_by(SessionRow.recorded_at, SessionRow.id)
            ).all()
            sessions = [self._session_record(r) for r in rows]
            screenings = [self._screening_record(r) for r in s.scalars(
                select(ScreeningRow).where(ScreeningRow.client_id == client_id)
                .order_by(ScreeningRow.screened_at, ScreeningRow.id)).all()]
            version = current_schema_version(s.connection())
        return {
            "format": EXPORT_FORMAT,
            "format_version": EXPORT_VERSION,
            "exported_at": _now().isoformat(),
            "store_schema_version": version,
            "client": client.to_dict(),
            "sessions": [
                {
                    **rec.to_dict(),
                    "video_file": rec.video_path.name if rec.video_path else None,
                    "worst_frame_jpeg_base64": base64.b64encode(rec.worst_frame_jpeg).decode("ascii")
                    if rec.worst_frame_jpeg
                    else None,
                }
                for rec in sessions
            ],
            "trend": self.trend(client_id),
            "screenings": [rec.to_dict() for rec in screenings],
        }

    # ---- maintenance -------------------------------------------------------------------

    def cleanup_orphan_videos(self, *, min_age_s: float = 3600.0) -> list[Path]:
        """Delete files in the media dir that no session references (left by a crash
        between copying a video and committing its session). Files younger than
        ``min_age_s`` are skipped, since another process may be about to commit them.
        Returns the deleted paths."""
        if not self._media_dir.is_dir():
            return []
        with self._tx(write=False, action="list kept videos") as s:
            referenced = set(
                s.scalars(select(SessionRow.video_path).where(SessionRow.video_path.is_not(None)))
            )
        removed = []
        cutoff = time.time() - min_age_s
        for path in self._media_dir.glob("client_*/*"):
            if not path.is_file():
                continue
            rel = path.relative_to(self._media_dir).as_posix()
            if rel in referenced:
                continue
            try:
                if path.stat().st_mtime <= cutoff:
                    path.unlink()
                    removed.append(path)
            except OSError as err:
                log.warning("could not remove orphan video %s: %s", path, err)
        return removed

    # ---- accounts (hashing and sign-in rules live in trainer.accounts) ------------------

    def count_users(self) -> int:
        with self._tx(write=False, action="read the accounts") as s:
            return int(s.scalar(select(func.count(UserRow.id))) or 0)

    def list_users(self) -> list[UserRecord]:
        with self._tx(write=False, action="list the accounts") as s:
            return [_user_record(r) for r in s.scalars(select(UserRow).order_by(UserRow.name_key))]

    def find_user(self, name: str) -> UserRecord | None:
        _, key = _clean_account_name(name, strict=False)
        with self._tx(write=False, action="read the account") as s:
            row = s.scalar(select(UserRow).where(UserRow.name_key == key))
            return _user_record(row) if row is not None else None

    def get_user(self, user_id: int) -> UserRecord | None:
        with self._tx(write=False, action="read the account") as s:
            row = s.get(UserRow, _as_id(user_id)) if _as_id(user_id) is not None else None
            return _user_record(row) if row is not None else None

    def create_user(self, name: str, role: str, password_hash: str) -> UserRecord:
        clean, key = _clean_account_name(name)
        if role not in ROLES:
            raise StoreError(f"Unknown role {role!r}: choose {' or '.join(ROLES)}.")
        with self._tx(write=True, action="add the account") as s:
            if s.scalar(select(UserRow.id).where(UserRow.name_key == key)) is not None:
                raise DuplicateUserError(f"An account called {clean!r} already exists.")
            skeleton = name_skeleton(clean)
            for other in s.scalars(select(UserRow.name)):
                if name_skeleton(other) == skeleton:
                    raise DuplicateUserError(f"{clean!r} looks too much like the existing account "
                                             f"{printable(other)!r}; choose a name that reads differently.")
            row = UserRow(name=clean, name_key=key, role=role, password_hash=password_hash, created_at=_now())
            s.add(row)
            s.flush()
            return _user_record(row)

    def set_password_hash(self, name: str, password_hash: str) -> UserRecord:
        with self._tx(write=True, action="change the password") as s:
            row = self._get_user_row(s, name)
            row.password_hash = password_hash
            s.flush()
            return _user_record(row)

    def delete_user(self, name: str) -> int:
        """Remove an account; its clients stay (seen by admins). Returns how many clients it had.
        A client whose name an admin's client already has gets the trainer's name added."""
        with self._tx(write=True, action="remove the account") as s:
            row = self._get_user_row(s, name)
            owned = list(s.scalars(select(ClientRow).where(ClientRow.owner_id == row.id)))
            for client in owned:
                new_name, fold = client.name, client.name_fold or _clean_name(client.name)[1]
                n = 1
                while s.scalar(select(ClientRow.id).where(ClientRow.name_key == _client_key(None, fold))) is not None:
                    n += 1
                    suffix = f" ({row.name})" if n == 2 else f" ({row.name} {n - 1})"
                    new_name, fold = _clean_name(client.name[:_NAME_MAX - len(suffix)] + suffix)
                client.name, client.name_fold = new_name, fold
                client.name_key, client.owner_id = _client_key(None, fold), None
                s.flush()
            s.delete(row)
            return len(owned)

    # ---- the sign-in throttle's state (its rules live in trainer.accounts.LoginThrottle) ----

    def reserve_login_try(self, name_digest: str, now: float, delay_after: "Callable[[int], float]") -> float:
        """Count a sign-in try for a name as failed *before* it is checked, and return the time
        (epoch seconds) before which it must not be answered: ``delay_after(failures so far)``
        after the later of ``now`` and the previous try's own time, so tries sent at once wait one
        after another. One write transaction per try (SQLite's write lock; on PostgreSQL an advisory
        lock per name), so concurrent tries from any session or server process never read the same
        count. A success clears the count (:meth:`clear_login_failures`)."""
        with self._tx(write=True, action="check the sign-in") as s:
            if not self._is_sqlite:
                s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": name_digest})
            row = s.get(LoginThrottleRow, name_digest)
            if row is None:
                s.execute(delete(LoginThrottleRow).where(LoginThrottleRow.last_try_at < now - THROTTLE_FORGET_S))
                row = LoginThrottleRow(name_digest=name_digest, failures=0, next_try_at=now, last_try_at=now)
                s.add(row)
            not_before = max(now, row.next_try_at) + float(delay_after(row.failures))
            row.failures, row.next_try_at, row.last_try_at = row.failures + 1, not_before, now
            return not_before

    def login_failures(self, name_digest: str) -> int:
        with self._tx(write=False, action="read the sign-in throttle") as s:
            row = s.get(LoginThrottleRow, name_digest)
            return int(row.failures) if row is not None else 0

    def clear_login_failures(self, name_digest: str) -> None:
        with self._tx(write=True, action="record the sign-in") as s:
            s.execute(delete(LoginThrottleRow).where(LoginThrottleRow.name_digest == name_digest))

    @staticmethod
    def _get_user_row(s: Session, name: str) -> UserRow:
        clean, key = _clean_account_name(name, strict=False)
        row = s.scalar(select(UserRow).where(UserRow.name_key == key))
        if row is None:
            raise UserNotFoundError(f"No account called {clean!r}.")
        return row

    # ---- internals ---------------------------------------------------------------------

    def _visible(self, row: ClientRow | None) -> bool:
        return row is not None and (self._owner_id is None or row.owner_id == self._owner_id)

    def _visible_named(self, s: Session, fold: str) -> list[ClientRow]:
        """The clients this view sees that are called ``fold`` (a folded name). Names are unique
        per trainer, so a trainer's view looks only among their own clients: whether another
        trainer has a client by that name is never read, let alone told."""
        if self._owner_id is not None:
            row = s.scalar(select(ClientRow).where(ClientRow.name_key == _client_key(self._owner_id, fold)))
            return [row] if row is not None else []
        return list(s.scalars(select(ClientRow).where(ClientRow.name_fold == fold).order_by(ClientRow.id)))

    def _get_client_row(self, s: Session, client_id: int) -> ClientRow:
        key = _as_id(client_id)
        row = s.get(ClientRow, key) if key is not None else None
        if not self._visible(row):
            raise ClientNotFoundError(f"No client with id {client_id!r} (it may have been deleted).")
        return row

    def _get_session_row(self, s: Session, session_id: int) -> SessionRow:
        key = _as_id(session_id)
        row = s.get(SessionRow, key) if key is not None else None
        if row is None or not self._visible(s.get(ClientRow, row.client_id)):
            raise SessionNotFoundError(f"No session with id {session_id!r} (it may have been deleted).")
        return row

    def _get_screening_row(self, s: Session, screening_id: int) -> ScreeningRow:
        key = _as_id(screening_id)
        row = s.get(ScreeningRow, key) if key is not None else None
        if row is None or not self._visible(s.get(ClientRow, row.client_id)):
            raise ScreeningNotFoundError(f"No screening with id {screening_id!r} (it may have been deleted).")
        return row

    @staticmethod
    def _screening_record(row: ScreeningRow) -> ScreeningRecord:
        try:
            result = json.loads(row.result_json)
        except ValueError:
            result = {}
            log.warning("screening %s has unreadable JSON", row.id)
        return ScreeningRecord(id=row.id, client_id=row.client_id, screened_at=row.screened_at,
                               created_at=row.created_at, retest_on=row.retest_on, branch=row.branch,
                               referral=bool(row.referral), notes=row.notes, result=result)

    @staticmethod
    def _client_record(row: ClientRow, s: Session | None = None) -> ClientRecord:
        count, last = 0, None
        if s is not None:
            count, last = s.execute(
                select(func.count(SessionRow.id), func.max(SessionRow.recorded_at)).where(
                    SessionRow.client_id == row.id
                )
            ).one()
            if isinstance(last, datetime):
                last = UTCDateTime().process_result_value(last, None)
            else:
                last = None
        return ClientRecord(
            id=row.id,
            name=row.name,
            created_at=row.created_at,
            notes=row.notes,
            session_count=int(count),
            last_recorded_at=last,
        )

    def _session_record(self, row: SessionRow) -> SessionRecord:
        try:
            analysis = json.loads(row.analysis_json)
        except ValueError:
            analysis = {}
            log.warning("session %s has unreadable analysis JSON", row.id)
        return SessionRecord(
            id=row.id,
            client_id=row.client_id,
            recorded_at=row.recorded_at,
            created_at=row.created_at,
            notes=row.notes,
            view=row.view,
            profile=row.profile,
            rep_count=row.rep_count,
            valgus_reps=row.valgus_reps,
            shallow_reps=row.shallow_reps,
            fppa_mean_deg=row.fppa_mean_deg,
            fppa_worst_deg=row.fppa_worst_deg,
            depth_mean=row.depth_mean,
            kasr_mean=row.kasr_mean,
            asymmetry_mean_deg=row.asymmetry_mean_deg,
            video_path=(self._media_dir / row.video_path) if row.video_path else None,
            analysis=analysis,
            worst_frame_jpeg=bytes(row.worst_frame_jpeg) if row.worst_frame_jpeg else None,
        )

    def _copy_video(self, client_id: int, src: Path) -> Path:
        dest_dir = self._media_dir / f"client_{client_id}"
        suffix = src.suffix.lower() if len(src.suffix) <= 8 else ""
        dest = dest_dir / f"{uuid.uuid4().hex}{suffix}"
        tmp = dest.with_name(dest.name + ".part")
        try:
            private_dir(self._media_dir)
            private_dir(dest_dir)
            with open(src, "rb") as fin, _open_private(tmp) as fout:
                shutil.copyfileobj(fin, fout, 1024 * 1024)
                fout.flush()
                os.fsync(fout.fileno())
            os.replace(tmp, dest)
        except OSError as err:
            tmp.unlink(missing_ok=True)
            raise StoreError(f"Could not keep a copy of the video in {dest_dir}: {err}") from err
        return dest

    def _unlink_video(self, rel: str) -> None:
        path = self._media_dir / rel
        try:
            path.unlink(missing_ok=True)
        except OSError as err:
            log.warning("could not delete kept video %s: %s", path, err)

    @staticmethod
    def _remove_empty_dir(path: Path) -> None:
        try:
            path.rmdir()
        except OSError:
            pass  # not empty or not there

    def _checkpoint(self) -> None:
        """After a delete, fold the WAL back into the main file so erased rows do not
        linger in the -wal file (best effort; readers may keep part of it alive)."""
        if not self._is_sqlite:
            return
        try:
            with self._engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except SQLAlchemyError as err:
            log.debug("wal checkpoint skipped: %s", err)


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
