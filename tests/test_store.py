"""Client-history store (trainer.store) and session comparison (trainer.session_compare).

Everything runs against a real SQLite file in tmp_path. The crash-safety tests SIGKILL a
child process in the middle of a transaction and check what survives.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text

from store_helpers import LEGACY_DIR, with_extra_revision

from vision.errors import SquatCheckError
from trainer.session_compare import (
    ANGLE_SDD_DEG,
    DEPTH_RATIO_THRESHOLD,
    IMPROVED,
    KASR_THRESHOLD,
    NOT_COMPARABLE_REPS,
    NOT_COMPARABLE_VIEW,
    NOT_MEANINGFUL,
    WORSE,
    compare_sessions,
    summarise_analysis,
)
from trainer.store import (
    ENV_DB_URL,
    LATEST_SCHEMA_VERSION,
    MIGRATIONS_DIR,
    Base,
    ClientNotFoundError,
    ClientRecord,
    DuplicateClientError,
    SessionNotFoundError,
    SessionRecord,
    Store,
    StoreError,
    default_database_url,
    make_engine,
    migrate,
)

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)


# --------------------------------------------------------------------------- helpers


def make_rep(index: int, flags=(), *, fppa_l=10.0, fppa_r=8.0, kasr=0.8, depth=0.05,
             asym=3.0, **extra_metrics):
    metrics = {
        "knee_flexion_deg": 115.0, "depth_ratio": depth, "kasr_min": kasr, "khr_min": 0.9,
        "fppa_left_deg": fppa_l, "fppa_right_deg": fppa_r, "valgus_left": 0.05,
        "valgus_right": 0.04, "trunk_lean_deg": None, "heel_rise": None,
        "lateral_shift": 0.02, "asymmetry_deg": asym, "descent_s": 0.8, "pause_s": 0.1,
        "ascent_s": 0.9,
    }
    metrics.update(extra_metrics)
    return {
        "index": index, "start_s": 2.0 * index, "bottom_s": 2.0 * index + 0.8,
        "end_s": 2.0 * index + 1.7, "flags": list(flags), "metrics": metrics,
        "confidence": 0.85, "cues": ["Push your knees out over your toes."] if flags else [],
    }


def make_analysis(reps=None, *, view="front", file="clip.mp4"):
    reps = [make_rep(1, ["knee_valgus", "shallow"], fppa_l=14.0, fppa_r=9.0, kasr=0.62,
                     depth=-0.1, asym=5.0)] if reps is None else reps
    return {
        "schema_version": "1.0",
        "source": {"file": file},
        "video": {"fps": 30.0, "frames": 300, "duration_s": 10.0, "width": 720, "height": 1280},
        "view": view,
        "profile": "bodyweight",
        "quality": {"score": 0.9, "notes": ["Whole body in frame."]},
        "reps": reps,
        "summary": {
            "rep_count": len(reps),
            "valgus_reps": sum("knee_valgus" in r["flags"] for r in reps),
            "shallow_reps": sum("shallow" in r["flags"] for r in reps),
            "worst_rep": reps[0]["index"] if reps else None,
            "main_cue": "Push your knees out.",
        },
        "problems": [],
        "disclaimer": "Screening aid, not a diagnosis.",
    }


def valgus_set(n_reps: int, n_valgus: int) -> dict:
    return make_analysis([make_rep(i + 1, ["knee_valgus"] if i < n_valgus else [])
                          for i in range(n_reps)])


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "squatcheck.db"


@pytest.fixture
def store(database_url: str, tmp_path: Path):
    """The store on each backend: a SQLite file, and a real PostgreSQL server (conftest)."""
    s = Store.open(database_url, media_dir=tmp_path / "media")
    yield s
    s.close()


@pytest.fixture
def sqlite_store(db_path: Path):
    """For the tests that look into the SQLite file itself."""
    s = Store.open(db_path)
    yield s
    s.close()


def raw(db_path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA foreign_keys=ON")
    return con


def make_video(path: Path, payload: bytes = b"\x00\x00\x00\x18ftypmp42 fake video") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload)
    return path


# --------------------------------------------------------------------------- opening & schema


def test_open_creates_file_schema_and_pragmas(sqlite_store: Store, db_path: Path):
    store = sqlite_store
    assert db_path.is_file()
    assert store.schema_version == LATEST_SCHEMA_VERSION == 8
    with raw(db_path) as con:
        assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [("0008",)]
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"clients", "sessions", "users", "login_throttle", "screenings", "alembic_version"}
    # the store's own connections have FKs on and synchronous=FULL (2)
    with store._engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1


def test_reopen_is_idempotent_and_keeps_data(db_path: Path):
    with Store.open(db_path) as s:
        c = s.create_client("Ann")
        s.save_session(c.id, make_analysis(), recorded_at=T0)
    for _ in range(2):
        with Store.open(db_path) as s:
            assert s.schema_version == LATEST_SCHEMA_VERSION
            assert [x.name for x in s.list_clients()] == ["Ann"]
            assert len(s.list_sessions(c.id)) == 1
    with raw(db_path) as con:
        assert con.execute("SELECT COUNT(*) FROM alembic_version").fetchone()[0] == 1


def test_alembic_is_the_only_migration_code():
    """The schema lives in Alembic revisions numbered 0001.. in one line of history."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(cfg)
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert revisions == [f"{n:04d}" for n in range(1, LATEST_SCHEMA_VERSION + 1)]
    for path in sorted((ROOT / "trainer" / "store").glob("*.py")):
        store_src = path.read_text()
        assert "ALTER TABLE" not in store_src and "create_all" not in store_src, path.name


def test_migrated_schema_matches_orm_models(store: Store):
    insp = inspect(store._engine)
    for table in Base.metadata.sorted_tables:
        db_cols = {c["name"] for c in insp.get_columns(table.name)}
        assert db_cols == set(table.columns.keys()), table.name
    idx = {i["name"] for i in insp.get_indexes("sessions")}
    assert "ix_sessions_client_recorded" in idx
    assert "ix_sessions_client_id" not in idx
    fks = insp.get_foreign_keys("sessions")
    assert fks[0]["referred_table"] == "clients"
    assert fks[0]["options"].get("ondelete") == "CASCADE"


@pytest.mark.parametrize("version", [1, 2, 3])
def test_file_written_by_the_pre_alembic_store_upgrades_in_place(tmp_path: Path, version: int):
    """store_vN.sqlite were written by the store before Alembic (tests/data/make_legacy_stores.py)."""
    db = tmp_path / "old.db"
    db.write_bytes((LEGACY_DIR / f"store_v{version}.sqlite").read_bytes())
    with Store.open(db) as s:
        assert s.schema_version == LATEST_SCHEMA_VERSION
        ana, ben = s.list_clients()
        assert (ana.name, ben.name) == ("Ana Legacy", "Ben Legacy")
        sessions = s.list_sessions(ana.id)
        assert [x.notes for x in sessions] == ["legacy", "legacy"]
        assert [x.kasr_mean for x in sessions] == [pytest.approx(0.62), pytest.approx(0.91)]  # v1: backfilled
        assert sessions[0].valgus_reps == 1 and sessions[0].recorded_at == datetime(2024, 3, 1, 10, tzinfo=timezone.utc)
        assert sessions[0].has_worst_frame == (version == 3)
        new = s.save_session(ben.id, make_analysis(), recorded_at=T0,
                             worst_frame_rgb=np.full((40, 30, 3), 128, np.uint8))
        assert s.get_session(new.id).has_worst_frame
        assert len(s.list_sessions(ben.id)) == 2
    with raw(db) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"clients", "sessions", "users", "login_throttle", "screenings", "alembic_version"}  # the old version table is retired
        idx = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert "ix_sessions_client_recorded" in idx and "ix_sessions_client_id" not in idx
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_v1_rows_the_backfill_cannot_read_keep_an_empty_kasr(db_path: Path):
    engine = make_engine(db_path)
    assert migrate(engine, target=1) == 1
    with engine.begin() as conn:
        assert "kasr_mean" not in {c["name"] for c in inspect(conn).get_columns("sessions")}
        conn.execute(text(
            "INSERT INTO clients (id, name, name_key, created_at, notes) "
            "VALUES (1, 'Old Client', 'old client', '2023-01-01 10:00:00', '')"))
        for sid, analysis in ((1, make_analysis()), (2, make_analysis([])), (3, None)):
            conn.execute(
                text("INSERT INTO sessions (id, client_id, recorded_at, created_at, notes, view, "
                     "rep_count, valgus_reps, shallow_reps, analysis_json) VALUES "
                     "(:id, 1, :rec, '2023-01-01 10:00:00', '', 'front', 1, 1, 1, :js)"),
                {"id": sid, "rec": f"2023-01-0{sid} 10:00:00",
                 "js": json.dumps(analysis) if analysis is not None else "{not json"},
            )
    engine.dispose()
    with Store.open(db_path) as s:
        sessions = s.list_sessions(1)
        assert sessions[0].kasr_mean == pytest.approx(0.62)
        assert sessions[1].kasr_mean is None  # no reps
        assert sessions[2].kasr_mean is None and sessions[2].analysis == {}  # unreadable row


def test_each_revision_downgrades_and_upgrades_again(db_path: Path):
    from alembic import command
    from trainer.store.database import _alembic_config

    Store.open(db_path).close()
    engine = make_engine(db_path)
    with engine.begin() as conn:
        command.downgrade(_alembic_config(MIGRATIONS_DIR, conn), "base")
        assert set(inspect(conn).get_table_names()) == {"alembic_version"}
    assert migrate(engine) == LATEST_SCHEMA_VERSION
    engine.dispose()


def test_failed_migration_changes_nothing(db_path: Path, tmp_path: Path):
    Store.open(db_path).close()
    broken = with_extra_revision(tmp_path, """
        op.execute("CREATE TABLE half_done (x INTEGER)")
        op.execute("ALTER TABLE sessions ADD COLUMN half INTEGER")
        raise RuntimeError("simulated failure in the next migration")
    """)
    engine = make_engine(db_path)
    with pytest.raises(RuntimeError, match="simulated"):
        migrate(engine, script_location=broken)
    engine.dispose()
    with raw(db_path) as con:
        assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == f"{LATEST_SCHEMA_VERSION:04d}"
        assert con.execute("SELECT name FROM sqlite_master WHERE name='half_done'").fetchone() is None
        cols = {r[1] for r in con.execute("PRAGMA table_info(sessions)")}
        assert "half" not in cols  # DDL rolled back too (transactional DDL)


def test_newer_schema_is_refused(db_path: Path):
    Store.open(db_path).close()
    with raw(db_path) as con:
        con.execute("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(StoreError, match="only knows"):
        Store.open(db_path)


def test_not_a_database_gives_clear_error(tmp_path: Path):
    bad = tmp_path / "notes.db"
    bad.write_bytes(b"this is a text file, not SQLite " * 200)
    with pytest.raises(StoreError) as err:
        Store.open(bad)
    assert isinstance(err.value, SquatCheckError)


def test_foreign_tables_are_not_silently_adopted(tmp_path: Path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE clients (id INTEGER PRIMARY KEY, whatever TEXT)")
    with pytest.raises(StoreError, match="SquatCheck database"):
        Store.open(other)


def test_database_url_from_env_and_plain_path(tmp_path: Path, monkeypatch):
    target = tmp_path / "env" / "from_env.db"
    monkeypatch.setenv(ENV_DB_URL, f"sqlite:///{target}")
    assert default_database_url() == f"sqlite:///{target}"
    with Store.open() as s:
        s.create_client("Env Client")
    assert target.is_file()
    # explicit argument beats the env var
    explicit = tmp_path / "explicit.db"
    with Store.open(f"sqlite:///{explicit}") as s:
        assert s.list_clients() == []
    assert explicit.is_file()


def test_default_location_is_user_data_dir(monkeypatch, tmp_path: Path):
    monkeypatch.delenv(ENV_DB_URL, raising=False)
    import platformdirs

    expected = Path(platformdirs.user_data_dir("squatcheck", appauthor=False)) / "squatcheck.db"
    assert default_database_url() == f"sqlite:///{expected}"


def test_bad_url_is_a_store_error():
    with pytest.raises(StoreError):
        Store.open("nosuchdialect://x/y")


def _two_colour_frame(h: int = 240, w: int = 320) -> np.ndarray:
    """RGB: left half pure red, right half pure blue (catches an RGB/BGR mix-up)."""
    frame = np.zeros((h, w, 3), np.uint8)
    frame[:, : w // 2] = (255, 0, 0)
    frame[:, w // 2:] = (0, 0, 255)
    return frame


def test_worst_frame_thumbnail_round_trip(sqlite_store: Store, db_path: Path):
    store = sqlite_store
    c = store.create_client("Ann")
    frame = _two_colour_frame()
    saved = store.save_session(c.id, make_analysis(), recorded_at=T0, worst_frame_rgb=frame)
    assert saved.has_worst_frame and saved.worst_frame_jpeg[:2] == b"\xff\xd8"  # JPEG SOI
    got = store.get_session(saved.id)
    assert got.worst_frame_jpeg == saved.worst_frame_jpeg
    rgb = got.worst_frame_rgb()
    assert rgb.shape == frame.shape and rgb.dtype == np.uint8  # small frames are not resized
    left, right = rgb[120, 40].astype(int), rgb[120, 280].astype(int)
    assert left[0] > 230 and left[2] < 25  # still red: RGB order preserved through cv2
    assert right[2] > 230 and right[0] < 25
    assert np.abs(rgb.astype(int) - frame.astype(int)).mean() < 6  # quality ~85
    assert store.list_sessions(c.id)[0].worst_frame_jpeg == saved.worst_frame_jpeg
    assert "worst_frame_jpeg" not in repr(got)  # bytes stay out of logs
    # no frame -> nothing stored
    plain = store.save_session(c.id, make_analysis(), recorded_at=T0)
    assert store.get_session(plain.id).worst_frame_jpeg is None
    with raw(db_path) as con:
        blob = con.execute("SELECT worst_frame_jpeg FROM sessions WHERE id=?", (saved.id,)).fetchone()[0]
        assert blob == saved.worst_frame_jpeg


def test_worst_frame_thumbnail_is_small(store: Store):
    c = store.create_client("Ann")
    rng = np.random.default_rng(0)
    noisy = rng.integers(0, 256, size=(1920, 1080, 3), dtype=np.uint8)  # worst case for JPEG
    rec = store.save_session(c.id, make_analysis(), recorded_at=T0, worst_frame_rgb=noisy)
    assert len(rec.worst_frame_jpeg) <= 100_000
    thumb = rec.worst_frame_rgb()
    assert max(thumb.shape[:2]) <= 640
    assert thumb.shape[0] > thumb.shape[1]  # portrait stays portrait
    assert abs(thumb.shape[0] / thumb.shape[1] - 1920 / 1080) < 0.02


def test_worst_frame_other_pixel_formats_and_bad_input(store: Store, tmp_path: Path):
    c = store.create_client("Ann")
    grey = np.full((50, 60), 200, np.uint8)
    rgba = np.zeros((50, 60, 4), np.uint8)
    as_float = np.full((50, 60, 3), 0.5)
    for frame in (grey, rgba, as_float):
        rec = store.save_session(c.id, make_analysis(), recorded_at=T0, worst_frame_rgb=frame)
        assert rec.worst_frame_rgb().shape == (50, 60, 3)
    assert abs(int(store.get_session(rec.id).worst_frame_rgb()[25, 30, 0]) - 128) <= 3
    n = len(store.list_sessions(c.id))
    video = make_video(tmp_path / "v.mp4")
    for bad in (np.zeros((10,)), np.zeros((1, 1, 3), np.uint8), np.array(["a", "b"]), "not an image"):
        with pytest.raises(StoreError, match="worst-frame"):
            store.save_session(c.id, make_analysis(), recorded_at=T0, worst_frame_rgb=bad,
                               video_path=video, keep_video=True)
    assert len(store.list_sessions(c.id)) == n  # nothing saved...
    media = store.media_dir
    assert not media.exists() or not any(media.rglob("*.mp4"))  # ...and no video copied


def test_export_includes_worst_frame_thumbnail(store: Store):
    import base64

    c = store.create_client("Ann")
    rec = store.save_session(c.id, make_analysis(), recorded_at=T0, worst_frame_rgb=_two_colour_frame())
    store.save_session(c.id, make_analysis(), recorded_at=T0 + timedelta(days=1))
    export = store.export_client(c.id)
    json.dumps(export)
    first, second = export["sessions"]
    assert base64.b64decode(first["worst_frame_jpeg_base64"]) == rec.worst_frame_jpeg
    assert first["has_worst_frame"] is True
    assert second["worst_frame_jpeg_base64"] is None and second["has_worst_frame"] is False


# --------------------------------------------------------------------------- clients


def test_client_crud(store: Store):
    a = store.create_client("  Anna   Smith ", notes="left knee")
    assert isinstance(a, ClientRecord)
    assert a.name == "Anna Smith" and a.notes == "left knee" and a.session_count == 0
    assert a.created_at.tzinfo is not None
    b = store.create_client("bob")
    assert [c.name for c in store.list_clients()] == ["Anna Smith", "bob"]

    with pytest.raises(DuplicateClientError):
        store.create_client("anna smith")
    with pytest.raises(DuplicateClientError):
        store.rename_client(b.id, "ANNA  SMITH")
    with pytest.raises(StoreError, match="empty"):
        store.create_client("   ")

    renamed = store.rename_client(b.id, "Bob Jones")
    assert renamed.name == "Bob Jones" and renamed.id == b.id
    assert store.rename_client(a.id, "anna smith").name == "anna smith"  # own name, new case
    assert store.set_client_notes(a.id, "both knees").notes == "both knees"
    assert store.get_client(a.id).name == "anna smith"

    store.delete_client(b.id)
    assert [c.id for c in store.list_clients()] == [a.id]
    for call in (lambda: store.get_client(b.id), lambda: store.rename_client(b.id, "x"),
                 lambda: store.delete_client(b.id), lambda: store.list_sessions(b.id),
                 lambda: store.trend(b.id), lambda: store.export_client(b.id),
                 lambda: store.save_session(b.id, make_analysis())):
        with pytest.raises(ClientNotFoundError):
            call()
    assert issubclass(ClientNotFoundError, StoreError) and issubclass(StoreError, SquatCheckError)


def test_numpy_ids_are_accepted(store: Store):
    c = store.create_client("Numpy")
    assert store.get_client(np.int64(c.id)).id == c.id
    with pytest.raises(ClientNotFoundError):
        store.get_client("1")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- sessions


def test_session_crud_ordering_and_summary(store: Store):
    c = store.create_client("Ann")
    s2 = store.save_session(c.id, make_analysis(), recorded_at=T0 + timedelta(days=7), notes="week 2")
    s1 = store.save_session(c.id, make_analysis([]), recorded_at=T0, notes="week 1")
    s3 = store.save_session(
        c.id,
        make_analysis([make_rep(1, ["knee_valgus"], fppa_l=20, fppa_r=4),
                       make_rep(2, [], fppa_l=None, fppa_r=6, kasr=None)]),
        recorded_at=T0 + timedelta(days=14),
    )
    assert isinstance(s2, SessionRecord)
    assert [s.id for s in store.list_sessions(c.id)] == [s1.id, s2.id, s3.id]  # oldest first

    got = store.get_session(s2.id)
    assert got.analysis == make_analysis()
    assert got.notes == "week 2" and got.view == "front" and got.profile == "bodyweight"
    assert got.recorded_at == T0 + timedelta(days=7)
    assert (got.rep_count, got.valgus_reps, got.shallow_reps) == (1, 1, 1)
    assert got.fppa_mean_deg == 14.0 and got.fppa_worst_deg == 14.0
    assert got.kasr_mean == 0.62 and got.depth_mean == -0.1 and got.asymmetry_mean_deg == 5.0
    assert got.video_path is None and got.valgus_rate == 1.0

    g3 = store.get_session(s3.id)
    assert g3.fppa_mean_deg == pytest.approx(13.0)  # worse side per rep: 20, 6
    assert g3.fppa_worst_deg == 20.0
    assert g3.kasr_mean == pytest.approx(0.8)  # None skipped
    assert store.get_session(s1.id).rep_count == 0 and store.get_session(s1.id).valgus_rate is None

    assert store.previous_session(s3.id).id == s2.id
    assert store.previous_session(s1.id) is None

    clients = store.list_clients()
    assert clients[0].session_count == 3
    assert clients[0].last_recorded_at == T0 + timedelta(days=14)

    store.update_session_notes(s3.id, "checked")
    assert store.get_session(s3.id).notes == "checked"
    store.delete_session(s2.id)
    with pytest.raises(SessionNotFoundError):
        store.get_session(s2.id)
    with pytest.raises(SessionNotFoundError):
        store.delete_session(s2.id)
    assert [s.id for s in store.list_sessions(c.id)] == [s1.id, s3.id]


def test_records_are_detached_copies(sqlite_store: Store, db_path: Path):
    store = sqlite_store
    c = store.create_client("Ann")
    s = store.save_session(c.id, make_analysis(), recorded_at=T0)
    s.analysis["reps"].clear()  # mutating what we got back...
    assert store.get_session(s.id).analysis["reps"]  # ...does not touch the store
    store.close()
    assert s.client_id == c.id and s.recorded_at == T0  # usable after close: plain data
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.notes = "x"  # type: ignore[misc]  # frozen


def test_naive_recorded_at_is_local_time(store: Store):
    c = store.create_client("Ann")
    naive = datetime(2024, 6, 1, 12, 30)
    s = store.save_session(c.id, make_analysis(), recorded_at=naive)
    assert s.recorded_at == naive.astimezone(timezone.utc)


def test_numpy_and_nan_values_are_stored_as_json(store: Store):
    c = store.create_client("Ann")
    rep = make_rep(1, ("knee_valgus",), fppa_l=np.float64(12.5), fppa_r=float("nan"),
                   kasr=np.float32(0.5))
    analysis = make_analysis([rep])
    analysis["video"]["frames"] = np.int64(300)
    analysis["extra"] = {"array": np.arange(3), "tuple": (1, 2)}
    s = store.save_session(c.id, analysis, recorded_at=T0)
    got = store.get_session(s.id).analysis
    assert got["reps"][0]["metrics"]["fppa_right_deg"] is None
    assert got["reps"][0]["metrics"]["fppa_left_deg"] == 12.5
    assert got["video"]["frames"] == 300
    assert got["extra"] == {"array": [0, 1, 2], "tuple": [1, 2]}
    assert s.fppa_mean_deg == 12.5
    with pytest.raises(StoreError):
        store.save_session(c.id, {"bad": object()})
    with pytest.raises(StoreError):
        store.save_session(c.id, ["not", "a", "dict"])  # type: ignore[arg-type]


def test_keep_video_false_stores_no_video(sqlite_store: Store, db_path: Path, tmp_path: Path):
    store = sqlite_store
    c = store.create_client("Ann")
    video = make_video(tmp_path / "in" / "PRIVATE_anna_smith_2024.mp4")
    s = store.save_session(c.id, make_analysis(), recorded_at=T0, video_path=video)
    assert s.video_path is None and store.get_session(s.id).video_path is None
    assert video.is_file()  # the caller's file is untouched
    media = store.media_dir
    assert not media.exists() or not any(media.rglob("*"))
    store.close()
    for f in db_path.parent.glob("squatcheck.db*"):  # db, -wal, -shm
        assert b"PRIVATE_anna_smith" not in f.read_bytes()


def test_keep_video_true_copies_into_media_dir(store: Store, tmp_path: Path):
    c = store.create_client("Ann")
    video = make_video(tmp_path / "in" / "Clip.MOV", b"abc" * 1000)
    s = store.save_session(c.id, make_analysis(), recorded_at=T0, video_path=video, keep_video=True)
    assert s.video_path is not None and s.video_path.is_file()
    assert s.video_path.read_bytes() == video.read_bytes()
    assert s.video_path.parent.parent == store.media_dir
    assert s.video_path.suffix == ".mov"
    assert video.is_file()
    assert store.get_session(s.id).video_path == s.video_path
    assert not list(store.media_dir.rglob("*.part"))
    store.delete_session(s.id)
    assert not s.video_path.exists()


def test_keep_video_errors_leave_nothing_behind(store: Store, tmp_path: Path):
    c = store.create_client("Ann")
    with pytest.raises(StoreError, match="not found"):
        store.save_session(c.id, make_analysis(), video_path=tmp_path / "missing.mp4", keep_video=True)
    with pytest.raises(StoreError, match="video_path"):
        store.save_session(c.id, make_analysis(), keep_video=True)
    video = make_video(tmp_path / "v.mp4")
    with pytest.raises(ClientNotFoundError):
        store.save_session(c.id + 100, make_analysis(), video_path=video, keep_video=True)
    assert not store.media_dir.exists() or not any(p.is_file() for p in store.media_dir.rglob("*"))
    assert store.list_sessions(c.id) == []


def test_copied_video_removed_if_commit_fails(sqlite_store: Store, tmp_path: Path, monkeypatch):
    store = sqlite_store
    c = store.create_client("Ann")
    video = make_video(tmp_path / "v.mp4")
    # The client disappears between the pre-check and the transaction (another trainer).
    real_copy = store._copy_video

    def copy_then_delete_client(client_id, src):
        out = real_copy(client_id, src)
        with sqlite3.connect(store._engine.url.database) as con:
            con.execute("PRAGMA foreign_keys=ON")
            con.execute("DELETE FROM clients WHERE id=?", (client_id,))
        return out

    monkeypatch.setattr(store, "_copy_video", copy_then_delete_client)
    with pytest.raises(ClientNotFoundError):
        store.save_session(c.id, make_analysis(), video_path=video, keep_video=True)
    assert not any(p.is_file() for p in store.media_dir.rglob("*"))


def test_delete_client_cascades_sessions_and_videos(sqlite_store: Store, db_path: Path, tmp_path: Path):
    store = sqlite_store
    ann, bob = store.create_client("Ann"), store.create_client("Bob")
    video = make_video(tmp_path / "v.mp4")
    ann_sessions = [
        store.save_session(ann.id, make_analysis(), recorded_at=T0 + timedelta(days=i),
                           video_path=video, keep_video=(i < 2))
        for i in range(3)
    ]
    bob_s = store.save_session(bob.id, make_analysis(), recorded_at=T0, video_path=video,
                               keep_video=True)
    ann_videos = [s.video_path for s in ann_sessions if s.video_path]
    assert len(ann_videos) == 2 and all(p.is_file() for p in ann_videos)

    store.delete_client(ann.id)

    for s in ann_sessions:
        with pytest.raises(SessionNotFoundError):
            store.get_session(s.id)
    assert not any(p.exists() for p in ann_videos)
    assert not (store.media_dir / f"client_{ann.id}").exists()
    assert bob_s.video_path.is_file() and store.get_session(bob_s.id).client_id == bob.id
    with raw(db_path) as con:
        assert con.execute("SELECT COUNT(*) FROM sessions WHERE client_id=?", (ann.id,)).fetchone()[0] == 0
        assert con.execute("SELECT COUNT(*) FROM clients WHERE id=?", (ann.id,)).fetchone()[0] == 0


def test_deleting_a_client_deletes_every_file_of_theirs(store: Store, tmp_path: Path):
    """Issue 23 #8: not only the kept videos the database points at, but anything in the client's folder
    (a copy interrupted by a crash, a file an older version left there)."""
    ann, bob = store.create_client("Ann"), store.create_client("Bob")
    video = make_video(tmp_path / "v.mp4")
    kept = store.save_session(ann.id, make_analysis(), video_path=video, keep_video=True).video_path
    bob_kept = store.save_session(bob.id, make_analysis(), video_path=video, keep_video=True).video_path
    folder = kept.parent
    (folder / "0123abcd.mp4.part").write_bytes(b"half a copy")
    (folder / "older.mov").write_bytes(b"a video no session points at")

    store.delete_client(ann.id)

    assert not folder.exists(), sorted(p.name for p in folder.iterdir())
    assert bob_kept.is_file()


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX file modes")
def test_database_media_and_kept_videos_are_owner_only(tmp_path: Path):
    """Issue 23 #8: the SQLite file (and its WAL), its folder, the media folders and the kept videos are
    0600 / 0700 whatever the umask; an existing database readable by others is narrowed."""
    old = os.umask(0o022)
    try:
        db = tmp_path / "new" / "squatcheck.db"
        with Store.open(db) as store:
            c = store.create_client("Ann")
            kept = store.save_session(c.id, make_analysis(), video_path=make_video(tmp_path / "v.mp4"),
                                      keep_video=True).video_path
            modes = {p.name: p.stat().st_mode & 0o777
                     for p in (db, db.parent, store.media_dir, kept.parent, kept,
                               Path(str(db) + "-wal"), Path(str(db) + "-shm")) if p.exists()}
        assert modes == {"squatcheck.db": 0o600, "new": 0o700, "videos": 0o700, f"client_{c.id}": 0o700,
                         kept.name: 0o600, "squatcheck.db-wal": 0o600, "squatcheck.db-shm": 0o600}

        old_db = tmp_path / "old.db"  # written 0644 by an older version
        Store.open(old_db).close()
        os.chmod(old_db, 0o644)
        Store.open(old_db).close()
        assert old_db.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)


def test_schema_cascade_deletes_sessions_for_other_tools(sqlite_store: Store, db_path: Path):
    store = sqlite_store
    """ON DELETE CASCADE is in the schema itself, not only in the Store's code."""
    c = store.create_client("Ann")
    store.save_session(c.id, make_analysis(), recorded_at=T0)
    with raw(db_path) as con:  # foreign_keys=ON, as any well-behaved tool would set
        con.execute("DELETE FROM clients WHERE id=?", (c.id,))
        assert con.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0


def test_export_client(store: Store, tmp_path: Path):
    c = store.create_client("Ann", notes="runner")
    other = store.create_client("Bob")
    store.save_session(other.id, make_analysis(file="bob.mp4"), recorded_at=T0)
    video = make_video(tmp_path / "v.mp4")
    s1 = store.save_session(c.id, make_analysis([]), recorded_at=T0, notes="first")
    s2 = store.save_session(c.id, make_analysis(), recorded_at=T0 + timedelta(days=7),
                            video_path=video, keep_video=True)
    export = store.export_client(c.id)
    round_trip = json.loads(json.dumps(export))  # JSON-able
    assert round_trip == export
    assert export["format"] == "squatcheck-client-export"
    assert export["store_schema_version"] == LATEST_SCHEMA_VERSION
    assert export["client"]["name"] == "Ann" and export["client"]["notes"] == "runner"
    assert [s["id"] for s in export["sessions"]] == [s1.id, s2.id]
    assert export["sessions"][0]["notes"] == "first"
    assert export["sessions"][1]["analysis"] == make_analysis()
    assert export["sessions"][1]["video_file"] == s2.video_path.name
    assert export["sessions"][0]["video_file"] is None
    assert len(export["trend"]) == 2
    assert "bob.mp4" not in json.dumps(export)  # nothing about other clients


def test_trend(store: Store):
    c = store.create_client("Ann")
    store.save_session(c.id, valgus_set(4, 3), recorded_at=T0 + timedelta(days=7))
    store.save_session(c.id, make_analysis(), recorded_at=T0)
    store.save_session(c.id, make_analysis([]), recorded_at=T0 + timedelta(days=14))
    tr = store.trend(c.id)
    assert [t["rep_count"] for t in tr] == [1, 4, 0]
    assert tr[0]["valgus_rate"] == 1.0 and tr[1]["valgus_rate"] == 0.75 and tr[2]["valgus_rate"] is None
    assert tr[0]["kasr_mean"] == 0.62 and tr[0]["depth_mean"] == -0.1
    assert tr[0]["asymmetry_mean_deg"] == 5.0 and tr[0]["fppa_mean_deg"] == 14.0
    assert tr[2]["kasr_mean"] is None
    assert tr[0]["recorded_at"] == T0.isoformat()
    assert tr[0]["date"] == T0.astimezone().date().isoformat()
    json.dumps(tr)


def test_cleanup_orphan_videos(store: Store, tmp_path: Path):
    c = store.create_client("Ann")
    s = store.save_session(c.id, make_analysis(), video_path=make_video(tmp_path / "v.mp4"),
                           keep_video=True)
    orphan = store.media_dir / f"client_{c.id}" / "deadbeef.mp4"
    orphan.write_bytes(b"left by a crash")
    assert store.cleanup_orphan_videos() == []  # too young: may be mid-save elsewhere
    assert store.cleanup_orphan_videos(min_age_s=0) == [orphan]
    assert not orphan.exists() and s.video_path.is_file()


def test_concurrent_writers_from_two_stores(db_path: Path):
    """Two Store objects (think: two Streamlit sessions) writing at once never hit
    'database is locked': writes take the lock at BEGIN and wait on busy_timeout."""
    Store.open(db_path).close()
    stores = [Store.open(db_path), Store.open(db_path)]
    client = stores[0].create_client("Shared")
    errors: list[BaseException] = []

    def worker(k: int):
        try:
            s = stores[k % 2]
            for i in range(10):
                s.save_session(client.id, make_analysis(), notes=f"{k}-{i}")
                s.list_sessions(client.id)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(stores[1].list_sessions(client.id)) == 40
    for s in stores:
        s.close()


# --------------------------------------------------------------------------- crash safety

_CHILD = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, {root!r})
    from sqlalchemy import event, text
    from sqlalchemy.orm import Session
    from trainer.store import Store

    db, marker, video, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

    def analysis(i):
        return {{"view": "front", "source": {{"file": f"set{{i}}.mp4"}},
                 "reps": [{{"index": 1, "flags": ["knee_valgus"],
                           "metrics": {{"fppa_left_deg": 10.0 + i, "kasr_min": 0.7}}}}]}}

    store = Store.open(db)
    client = store.create_client("Crash Test")
    for i in range(n):
        store.save_session(client.id, analysis(i), notes=f"committed-{{i}}")

    @event.listens_for(Session, "after_flush")
    def pause_inside_transaction(session, flush_context):
        # The INSERT has been executed inside the still-open transaction: prove it,
        # tell the parent, then wait to be killed.
        visible = session.execute(text("SELECT COUNT(*) FROM sessions")).scalar()
        with open(marker + ".tmp", "w") as f:
            f.write(str(visible))
        os.replace(marker + ".tmp", marker)
        time.sleep(120)
        os._exit(3)  # never reached when the parent kills us

    store.save_session(client.id, analysis(99), notes="half-written",
                       video_path=video, keep_video=True)
    os._exit(4)
    """
)


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return path.read_text()
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"child exited early ({proc.returncode}): {err.decode()[-2000:]}")
        time.sleep(0.02)
    proc.kill()
    pytest.fail("child never reached the pause point")


def test_kill_mid_transaction_keeps_committed_sessions(tmp_path: Path):
    db = tmp_path / "crash" / "squatcheck.db"
    marker = tmp_path / "inside_tx"
    video = make_video(tmp_path / "v.mp4")
    n = 5
    script = tmp_path / "child.py"
    script.write_text(_CHILD.format(root=str(ROOT)))
    proc = subprocess.Popen([sys.executable, str(script), str(db), str(marker), str(video), str(n)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert _wait_for(marker, proc) == str(n + 1)  # the half-written row existed in the tx
        # committed data is still in the WAL (not yet checkpointed): recovery must use it
        assert Path(str(db) + "-wal").stat().st_size > 0
        proc.kill()  # SIGKILL on POSIX: no cleanup, no rollback, no atexit
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if os.name == "posix":
        assert proc.returncode == -9

    with Store.open(db) as s:
        (client,) = s.list_clients()
        sessions = s.list_sessions(client.id)
        assert [x.notes for x in sessions] == [f"committed-{i}" for i in range(n)]
        assert [x.analysis["reps"][0]["metrics"]["fppa_left_deg"] for x in sessions] == [
            10.0 + i for i in range(n)
        ]
        assert all(x.video_path is None for x in sessions)
        # the copied video of the killed save is an unreferenced orphan, cleaned up here
        orphans = s.cleanup_orphan_videos(min_age_s=0)
        assert len(orphans) == 1 and not orphans[0].exists()
        # and the DB keeps working
        s.save_session(client.id, {"reps": []}, notes="after crash")
        assert len(s.list_sessions(client.id)) == n + 1
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        assert con.execute("SELECT COUNT(*) FROM sessions WHERE notes='half-written'").fetchone()[0] == 0


_MIGRATION_CHILD = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from trainer.store import make_engine, migrate

    db, scripts = sys.argv[1], Path(sys.argv[2])
    migrate(make_engine(db), script_location=scripts)
    os._exit(4)
    """
)


def test_kill_during_first_migration_leaves_clean_db(tmp_path: Path):
    """All migrations (plus a slow extra one) run in one transaction; killing it mid-way
    leaves an empty DB that the next open migrates from scratch."""
    db = tmp_path / "mig" / "squatcheck.db"
    db.parent.mkdir()
    marker = tmp_path / "in_migration"
    slow = with_extra_revision(tmp_path, f"""
        import time
        with open({str(marker)!r}, "w") as f:
            f.write("in the extra migration")
        time.sleep(120)
    """)
    script = tmp_path / "mchild.py"
    script.write_text(_MIGRATION_CHILD.format(root=str(ROOT)))
    proc = subprocess.Popen([sys.executable, str(script), str(db), str(slow)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(marker, proc)
        proc.kill()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with sqlite3.connect(db) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == set()  # nothing half-created
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Store.open(db) as s:
        assert s.schema_version == LATEST_SCHEMA_VERSION
        s.create_client("Works")


# --------------------------------------------------------------------------- compare_sessions


def _by_metric(result):
    return {e["metric"]: e for e in result}


def test_compare_known_answers():
    prev = make_analysis([make_rep(1, ["knee_valgus"], fppa_l=20.0, fppa_r=10.0, kasr=0.60,
                                   depth=-0.10, asym=12.0),
                          make_rep(2, ["knee_valgus"], fppa_l=18.0, fppa_r=12.0, kasr=0.64,
                                   depth=-0.06, asym=10.0)])
    curr = make_analysis([make_rep(1, [], fppa_l=8.0, fppa_r=9.0, kasr=0.72, depth=0.10,
                                   asym=1.0),
                          make_rep(2, [], fppa_l=10.0, fppa_r=7.0, kasr=0.70, depth=0.12,
                                   asym=3.0)])
    r = _by_metric(compare_sessions(prev, curr))
    assert list(r) == ["valgus_rate", "fppa_left_mean_deg", "fppa_right_mean_deg", "kasr_mean",
                       "depth_mean", "asymmetry_mean_deg"]

    v = r["valgus_rate"]
    assert (v["previous"], v["current"], v["change"], v["count_change"]) == (1.0, 0.0, -1.0, -2)
    assert v["meaningful"] and v["verdict"] == IMPROVED

    left = r["fppa_left_mean_deg"]  # 19 -> 9: -10 deg > 9 deg SDD
    assert (left["previous"], left["current"], left["change"]) == (19.0, 9.0, -10.0)
    assert left["meaningful"] and left["verdict"] == IMPROVED and left["threshold"] == 9.0

    right = r["fppa_right_mean_deg"]  # 11 -> 8: -3 deg, within error
    assert right["change"] == pytest.approx(-3.0) and not right["meaningful"]
    assert right["verdict"] == NOT_MEANINGFUL == "not meaningful (within measurement error)"

    k = r["kasr_mean"]  # 0.62 -> 0.71: +0.09 < 0.10
    assert k["change"] == pytest.approx(0.09) and not k["meaningful"]

    d = r["depth_mean"]  # -0.08 -> 0.11: +0.19 > 0.15, deeper = better
    assert d["change"] == pytest.approx(0.19) and d["meaningful"] and d["verdict"] == IMPROVED

    a = r["asymmetry_mean_deg"]  # 11 -> 2: -9.0 exactly: NOT more than the SDD
    assert a["change"] == pytest.approx(-9.0) and not a["meaningful"]

    # reversed direction -> worse
    back = _by_metric(compare_sessions(curr, prev))
    assert back["fppa_left_mean_deg"]["verdict"] == WORSE
    assert back["valgus_rate"]["verdict"] == WORSE
    assert back["depth_mean"]["verdict"] == WORSE


def test_compare_threshold_edges_are_float_safe():
    # 0.72 - 0.62 is 0.09999999999999998 in floats, and exactly 0.10 is "not more than"
    p = make_analysis([make_rep(1, kasr=0.62, depth=0.0)])
    c = make_analysis([make_rep(1, kasr=0.72, depth=0.15)])
    r = _by_metric(compare_sessions(p, c))
    assert not r["kasr_mean"]["meaningful"] and not r["depth_mean"]["meaningful"]
    c2 = make_analysis([make_rep(1, kasr=0.7201, depth=0.1501)])
    r2 = _by_metric(compare_sessions(p, c2))
    assert r2["kasr_mean"]["meaningful"] and r2["depth_mean"]["meaningful"]


@pytest.mark.parametrize(
    "prev_set, curr_set, meaningful",
    [
        ((10, 3), (10, 4), False),  # +1 rep, +10 points
        ((10, 3), (10, 5), True),  # +2 reps
        ((4, 1), (4, 2), True),  # +1 rep but +25 points
        ((5, 1), (5, 2), False),  # +1 rep, +20 points
        ((5, 2), (10, 4), False),  # +2 reps but the same rate: a longer set, not more valgus
        ((10, 0), (10, 0), False),
    ],
)
def test_compare_valgus_rate_rule(prev_set, curr_set, meaningful):
    (entry,) = [e for e in compare_sessions(valgus_set(*prev_set), valgus_set(*curr_set))
                if e["metric"] == "valgus_rate"]
    assert entry["meaningful"] is meaningful
    assert entry["verdict"] in ((IMPROVED, WORSE) if meaningful else (NOT_MEANINGFUL,))


def test_compare_missing_values():
    front = make_analysis()
    side = make_analysis([make_rep(1, ["shallow"], fppa_l=None, fppa_r=None, kasr=None,
                                   asym=None, depth=-0.1)], view="side")
    r = _by_metric(compare_sessions(front, side))
    for key in ("fppa_left_mean_deg", "fppa_right_mean_deg", "kasr_mean", "asymmetry_mean_deg"):
        assert r[key]["change"] is None and not r[key]["meaningful"]
        assert r[key]["verdict"] == NOT_COMPARABLE_VIEW
    assert r["depth_mean"]["change"] == 0.0  # depth is visible from the side
    # 0 valgus reps seen from the side is "not measurable", never "improved"
    assert r["valgus_rate"]["current"] is None and not r["valgus_rate"]["meaningful"]
    assert r["valgus_rate"]["verdict"] == NOT_COMPARABLE_VIEW
    empty = _by_metric(compare_sessions(front, make_analysis([])))
    assert all(not e["meaningful"] for e in empty.values())
    assert empty["valgus_rate"]["verdict"] == NOT_COMPARABLE_REPS
    assert empty["kasr_mean"]["verdict"] == NOT_COMPARABLE_REPS
    # a bare dict (no reps key at all) falls back to the summary and never crashes
    assert all(not e["meaningful"] for e in compare_sessions({}, {}))


def test_valgus_rate_is_none_when_view_cannot_judge_it(store: Store):
    side = make_analysis([make_rep(1, fppa_l=None, fppa_r=None, kasr=None, asym=None,
                                   valgus_left=None, valgus_right=None)], view="side")
    assert summarise_analysis(side)["valgus_rate"] is None
    unknown_no_metrics = make_analysis([make_rep(1, fppa_l=None, fppa_r=None, kasr=None,
                                                 valgus_left=None, valgus_right=None)],
                                       view="unknown")
    assert summarise_analysis(unknown_no_metrics)["valgus_rate"] is None
    assert summarise_analysis(make_analysis([make_rep(1)]))["valgus_rate"] == 0.0
    c = store.create_client("Ann")
    s_side = store.save_session(c.id, side, recorded_at=T0)
    s_front = store.save_session(c.id, valgus_set(4, 1), recorded_at=T0 + timedelta(days=1))
    assert s_side.valgus_rate is None and s_front.valgus_rate == 0.25
    assert [t["valgus_rate"] for t in store.trend(c.id)] == [None, 0.25]


def test_summarise_analysis_uses_summary_when_reps_absent():
    s = summarise_analysis({"summary": {"rep_count": 5, "valgus_reps": 2, "shallow_reps": 1}})
    assert (s["rep_count"], s["valgus_reps"], s["shallow_reps"], s["valgus_rate"]) == (5, 2, 1, 0.4)
    assert s["fppa_mean_deg"] is None


finite = st.floats(min_value=-60, max_value=60, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fppa_l=finite, fppa_r=finite, asym=st.floats(0, 40), kasr=st.floats(0.2, 1.6),
    depth=st.floats(-0.5, 0.5),
    d_angle=st.floats(-ANGLE_SDD_DEG, ANGLE_SDD_DEG),
    d_kasr=st.floats(-KASR_THRESHOLD, KASR_THRESHOLD),
    d_depth=st.floats(-DEPTH_RATIO_THRESHOLD, DEPTH_RATIO_THRESHOLD),
)
def test_changes_within_error_are_never_meaningful(fppa_l, fppa_r, asym, kasr, depth, d_angle,
                                                   d_kasr, d_depth):
    prev = make_analysis([make_rep(1, fppa_l=fppa_l, fppa_r=fppa_r, kasr=kasr, depth=depth,
                                   asym=asym)])
    curr = make_analysis([make_rep(1, fppa_l=fppa_l + d_angle, fppa_r=fppa_r - d_angle,
                                   kasr=kasr + d_kasr, depth=depth + d_depth,
                                   asym=asym + d_angle)])
    for e in compare_sessions(prev, curr):
        assert not e["meaningful"], e
        assert e["verdict"] == NOT_MEANINGFUL


@settings(max_examples=200, deadline=None)
@given(base=finite, delta=st.floats(ANGLE_SDD_DEG + 0.01, 60), sign=st.sampled_from([-1, 1]))
def test_angle_changes_beyond_sdd_are_meaningful(base, delta, sign):
    prev = make_analysis([make_rep(1, fppa_l=base, fppa_r=base)])
    curr = make_analysis([make_rep(1, fppa_l=base + sign * delta, fppa_r=base)])
    e = _by_metric(compare_sessions(prev, curr))["fppa_left_mean_deg"]
    assert e["meaningful"]
    assert e["verdict"] == (IMPROVED if sign < 0 else WORSE)


rep_strategy = st.builds(
    lambda valgus, left, right, k, d, a: make_rep(1, ["knee_valgus"] if valgus else [], fppa_l=left,
                                                     fppa_r=right, kasr=k, depth=d, asym=a),
    st.booleans(), st.one_of(st.none(), finite), st.one_of(st.none(), finite),
    st.one_of(st.none(), st.floats(0.2, 1.6)), st.one_of(st.none(), st.floats(-0.5, 0.5)),
    st.one_of(st.none(), st.floats(0, 40)),
)


@settings(max_examples=150, deadline=None)
@given(a=st.lists(rep_strategy, max_size=8), b=st.lists(rep_strategy, max_size=8))
def test_compare_is_antisymmetric_and_self_comparison_is_quiet(a, b):
    pa, pb = make_analysis(a), make_analysis(b)
    fwd, back = compare_sessions(pa, pb), compare_sessions(pb, pa)
    for f, r in zip(fwd, back):
        assert f["metric"] == r["metric"]
        assert f["meaningful"] == r["meaningful"]
        if f["change"] is None:
            assert r["change"] is None
        else:
            assert math.isclose(f["change"], -r["change"], abs_tol=1e-8)
        if f["meaningful"]:
            assert {f["verdict"], r["verdict"]} == {IMPROVED, WORSE}
    assert not any(e["meaningful"] for e in compare_sessions(pa, pa))
    json.dumps(fwd)
