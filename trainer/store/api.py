"""The ``Store``: the client history's API (clients, sessions, screenings, accounts, sign-in throttle).

Every public write is exactly one transaction (:class:`trainer.store.database._Tx`). Videos are copied
into ``<media dir>/client_<id>/`` only when ``keep_video=True``; the DB stores the path relative to the
media dir. The copy happens before the DB commit and is removed if the commit fails, so the DB never
points at a missing file; a crash between the two can leave an unreferenced file, which
:meth:`Store.cleanup_orphan_videos` removes. The design notes are in :mod:`trainer.store`.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import operator
import os
import shutil
import time
import unicodedata
import uuid
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

import platformdirs
from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from trainer.session_compare import summarise_analysis
from trainer.store.database import (
    _NAME_MAX,
    _WRITE_OPT,
    APP_NAME,
    ClientRow,
    LoginThrottleRow,
    ScreeningRow,
    SessionRow,
    UserRow,
    UTCDateTime,
    _db_label,
    _resolve_url,
    _sqlite_file,
    _Tx,
    current_schema_version,
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
from trainer.store.media import _open_private, encode_thumbnail, private_dir
from trainer.store.records import ROLES, ClientRecord, ScreeningRecord, SessionRecord, UserRecord, _valgus_rate

if TYPE_CHECKING:
    import numpy as np

__all__ = ["EXPORT_FORMAT", "EXPORT_VERSION", "THROTTLE_FORGET_S", "Store", "name_skeleton", "printable"]

log = logging.getLogger(__name__)

EXPORT_FORMAT = "squatcheck-client-export"
EXPORT_VERSION = 1
THROTTLE_FORGET_S = 24 * 3600  # a name's failed sign-ins are forgotten after a day without tries


# --------------------------------------------------------------------------- helpers


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


# --------------------------------------------------------------------------- the store



def _row_before(s: Session, cur: Any, when: Any) -> Any:
    """The same client's row of ``cur``'s table just before it in (``when``, id) order, or None: what a
    session or a screening is compared with."""
    table = type(cur)
    at = getattr(cur, when.key)
    return s.scalars(
        select(table)
        .where(table.client_id == cur.client_id, (when < at) | ((when == at) & (table.id < cur.id)))
        .order_by(when.desc(), table.id.desc())
        .limit(1)
    ).first()

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
            row = _row_before(s, self._get_session_row(s, session_id), SessionRow.recorded_at)
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
            row = _row_before(s, self._get_screening_row(s, screening_id), ScreeningRow.screened_at)
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
