"""Client history: who was screened, when, and what the analysis found.

One concept per module, bottom to top (each imports only the ones before it):

* :mod:`trainer.store.errors`: ``StoreError`` and its kinds (client / session / screening / account
  not found, duplicate name);
* :mod:`trainer.store.media`: the worst-frame JPEG thumbnail, owner-only folders and files;
* :mod:`trainer.store.records`: the frozen dataclasses callers get (``ClientRecord``, ...);
* :mod:`trainer.store.database`: the ORM models, the engine, transactions, the Alembic migrations runner;
* :mod:`trainer.store.api`: :class:`Store`, the API every caller uses.

Every public name is re-exported here, so ``from trainer.store import Store, StoreError, ...`` is
how callers import it.

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

from trainer.session_compare import compare_sessions, summarise_analysis
from trainer.store.api import EXPORT_FORMAT, EXPORT_VERSION, THROTTLE_FORGET_S, Store, name_skeleton, printable
from trainer.store.database import (
    APP_NAME,
    DB_FILENAME,
    ENV_DB_URL,
    LATEST_SCHEMA_VERSION,
    MIGRATIONS_DIR,
    Base,
    ClientRow,
    LoginThrottleRow,
    ScreeningRow,
    SessionRow,
    UserRow,
    UTCDateTime,
    current_schema_version,
    default_database_url,
    latest_schema_version,
    make_engine,
    migrate,
)
from trainer.store.errors import (
    ClientNotFoundError,
    DuplicateClientError,
    DuplicateUserError,
    ScreeningNotFoundError,
    SessionNotFoundError,
    StoreError,
    UserNotFoundError,
)
from trainer.store.media import (
    THUMBNAIL_MAX_BYTES,
    THUMBNAIL_MAX_SIDE,
    decode_thumbnail,
    encode_thumbnail,
    private_dir,
    private_file,
)
from trainer.store.records import ROLES, ClientRecord, ScreeningRecord, SessionRecord, UserRecord

__all__ = [
    "APP_NAME",
    "DB_FILENAME",
    "ENV_DB_URL",
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "LATEST_SCHEMA_VERSION",
    "MIGRATIONS_DIR",
    "ROLES",
    "THROTTLE_FORGET_S",
    "THUMBNAIL_MAX_BYTES",
    "THUMBNAIL_MAX_SIDE",
    "Base",
    "ClientNotFoundError",
    "ClientRecord",
    "ClientRow",
    "DuplicateClientError",
    "DuplicateUserError",
    "LoginThrottleRow",
    "ScreeningNotFoundError",
    "ScreeningRecord",
    "ScreeningRow",
    "SessionNotFoundError",
    "SessionRecord",
    "SessionRow",
    "Store",
    "StoreError",
    "UTCDateTime",
    "UserNotFoundError",
    "UserRecord",
    "UserRow",
    "compare_sessions",
    "current_schema_version",
    "decode_thumbnail",
    "default_database_url",
    "encode_thumbnail",
    "latest_schema_version",
    "make_engine",
    "migrate",
    "name_skeleton",
    "printable",
    "private_dir",
    "private_file",
    "summarise_analysis",
]
