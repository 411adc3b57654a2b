"""The client store on both of its databases: a SQLite file and a real PostgreSQL server.

Every test runs twice (``database_url`` fixture): on SQLite, and on a throwaway PostgreSQL cluster
started for the test run (marked ``postgres``; on CI a missing server is a failure, not a skip).
Several processes work on the same database here, as several trainers' app sessions would.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import inspect

from store_helpers import load_legacy
from trainer.store import LATEST_SCHEMA_VERSION, Base, ClientNotFoundError, Store, make_engine, migrate

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2025, 5, 1, 9, 30, tzinfo=timezone.utc)


def analysis(i: int = 0, valgus: bool = True) -> dict:
    return {"schema_version": "1.0", "view": "front", "source": {"file": f"set{i}.mp4"},
            "reps": [{"index": 1, "flags": ["knee_valgus"] if valgus else [],
                      "metrics": {"fppa_left_deg": 10.0 + i, "kasr_min": 0.7}}],
            "summary": {"rep_count": 1, "valgus_reps": int(valgus), "shallow_reps": 0}}


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- schema


def test_schema_from_empty(database_url: str):
    with Store.open(database_url) as s:
        assert s.schema_version == LATEST_SCHEMA_VERSION
        engine = s._engine
        insp = inspect(engine)
        assert set(insp.get_table_names()) == {"clients", "sessions", "users", "login_throttle", "screenings", "alembic_version"}
        for table in Base.metadata.sorted_tables:
            assert {c["name"] for c in insp.get_columns(table.name)} == set(table.columns.keys())
        fk = insp.get_foreign_keys("sessions")[0]
        assert fk["referred_table"] == "clients" and fk["options"].get("ondelete") == "CASCADE"
        c = s.create_client("Zoë Ærø")
        rec = s.save_session(c.id, analysis(), recorded_at=T0, notes="first",
                             worst_frame_rgb=np.full((30, 40, 3), 200, np.uint8))
        got = s.get_session(rec.id)
        assert got.recorded_at == T0 and got.analysis == analysis() and got.has_worst_frame
        assert [x.name for x in s.list_clients()] == ["Zoë Ærø"]
    with Store.open(database_url) as s:  # a second open changes nothing
        assert s.schema_version == LATEST_SCHEMA_VERSION
        assert len(s.list_sessions(c.id)) == 1


@pytest.mark.parametrize("version", [1, 2, 3])
def test_upgrade_from_a_database_the_old_store_wrote(database_url: str, version: int, tmp_path: Path, request):
    server = request.getfixturevalue("postgres_server") if database_url.startswith("postgresql") else None
    load_legacy(database_url, version, tmp_path, server)
    assert "schema_version" in tables(database_url)
    with Store.open(database_url) as s:
        assert s.schema_version == LATEST_SCHEMA_VERSION
        ana, ben = s.list_clients()
        assert (ana.name, ben.name) == ("Ana Legacy", "Ben Legacy")
        old = s.list_sessions(ana.id)
        assert [x.kasr_mean for x in old] == [pytest.approx(0.62), pytest.approx(0.91)]
        assert old[0].has_worst_frame == (version == 3)
        new = s.save_session(ben.id, analysis(), recorded_at=T0)  # ids continue after the old rows
        assert new.id not in {x.id for x in old} and len(s.list_sessions(ben.id)) == 2
        assert s.trend(ana.id)[0]["kasr_mean"] == pytest.approx(0.62)
    assert tables(database_url) == {"clients", "sessions", "users", "login_throttle", "screenings", "alembic_version"}


@pytest.mark.parametrize("start", [1, 2, 3])
def test_upgrade_from_every_alembic_revision(database_url: str, start: int):
    engine = make_engine(database_url)
    try:
        assert migrate(engine, target=start) == start
        assert migrate(engine) == LATEST_SCHEMA_VERSION
    finally:
        engine.dispose()
    with Store.open(database_url) as s:
        s.save_session(s.create_client("After upgrade").id, analysis(), worst_frame_rgb=np.zeros((8, 8, 3), np.uint8))


# --------------------------------------------------------------------------- several processes

_PRELUDE = f"import json, os, sys, time\nsys.path.insert(0, {str(ROOT)!r})\nfrom trainer.store import Store, StoreError, ClientNotFoundError\n"


def _child(tmp_path: Path, name: str, body: str) -> Path:
    script = tmp_path / f"{name}.py"
    script.write_text(_PRELUDE + textwrap.dedent(body))
    return script


def _wait_for(path: Path, procs, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return path.read_text()
        for p in procs:
            if p.poll() is not None and not path.exists():
                pytest.fail(f"child exited early ({p.returncode}): {p.communicate()[1][-2000:]}")
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {path.name}")


def test_two_processes_save_sessions_at_the_same_time(database_url: str, tmp_path: Path):
    with Store.open(database_url) as s:
        client = s.create_client("Shared Client")
    go = tmp_path / "go"
    writer = _child(tmp_path, "writer", """
        url, client_id, tag, go = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
        store = Store.open(url)
        while not os.path.exists(go):
            time.sleep(0.005)
        ids = [store.save_session(client_id, {"reps": [], "view": "front"}, notes=f"{tag}-{i}").id
               for i in range(15)]
        print(json.dumps(ids))
    """)
    procs = [subprocess.Popen([sys.executable, str(writer), database_url, str(client.id), tag, str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for tag in "ab"]
    time.sleep(1.0)  # both have opened the store and wait at the same line
    go.write_text("go")
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (_out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    ids = [i for out, _ in outs for i in json.loads(out)]
    assert len(set(ids)) == 30
    with Store.open(database_url) as s:
        notes = sorted(x.notes for x in s.list_sessions(client.id))
    assert notes == sorted(f"{t}-{i}" for t in "ab" for i in range(15))


def test_writer_killed_mid_save_loses_nothing_committed_and_shows_no_half_session(database_url: str,
                                                                                  tmp_path: Path):
    marker = tmp_path / "inside_tx"
    video = tmp_path / "set.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    child = _child(tmp_path, "killed_writer", f"""
        from sqlalchemy import event, text
        from sqlalchemy.orm import Session
        url, n = sys.argv[1], 5
        store = Store.open(url, media_dir={str(tmp_path / 'media')!r})
        client = store.create_client("Crash Test")
        for i in range(n):
            store.save_session(client.id, {{"reps": [], "view": "front"}}, notes=f"committed-{{i}}")

        @event.listens_for(Session, "after_flush")
        def pause_inside_transaction(session, flush_context):
            seen = session.execute(text("SELECT COUNT(*) FROM sessions")).scalar()
            with open({str(marker)!r} + ".tmp", "w") as f:
                f.write(str(seen))
            os.replace({str(marker)!r} + ".tmp", {str(marker)!r})
            time.sleep(120)
            os._exit(3)

        store.save_session(client.id, {{"reps": [], "view": "front"}}, notes="half-written",
                           video_path={str(video)!r}, keep_video=True)
        os._exit(4)
    """)
    proc = subprocess.Popen([sys.executable, str(child), database_url], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(marker, [proc]) == "6"  # the half-written row exists inside its transaction
        with Store.open(database_url, media_dir=tmp_path / "media") as s:  # another process looks meanwhile
            (client,) = s.list_clients()
            assert [x.notes for x in s.list_sessions(client.id)] == [f"committed-{i}" for i in range(5)]
        proc.kill()  # SIGKILL: no rollback, no cleanup, no atexit
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -9
    with Store.open(database_url, media_dir=tmp_path / "media") as s:
        (client,) = s.list_clients()
        assert [x.notes for x in s.list_sessions(client.id)] == [f"committed-{i}" for i in range(5)]
        orphans = s.cleanup_orphan_videos(min_age_s=0)  # the killed save's video copy
        assert len(orphans) == 1 and not orphans[0].exists()
        s.save_session(client.id, analysis(), notes="after the crash")
        assert len(s.list_sessions(client.id)) == 6


def test_client_deleted_while_another_process_reads_it(database_url: str, tmp_path: Path):
    with Store.open(database_url) as s:
        client = s.create_client("To Be Erased")
        for i in range(20):
            s.save_session(client.id, analysis(i), notes=f"s{i}")
    started = tmp_path / "reading"
    reader = _child(tmp_path, "reader", """
        url, client_id, started = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        store = Store.open(url)
        seen, not_found, errors = [], 0, []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not_found < 5:
            try:
                seen.append(len(store.list_sessions(client_id)))
                export = store.export_client(client_id)
                seen.append(len(export["sessions"]))
            except ClientNotFoundError:
                not_found += 1
            except Exception as err:
                errors.append(f"{type(err).__name__}: {err}")
            if len(seen) == 10:
                open(started, "w").write("1")
        print(json.dumps({"seen": sorted(set(seen)), "reads": len(seen), "not_found": not_found,
                          "errors": errors}))
    """)
    proc = subprocess.Popen([sys.executable, str(reader), database_url, str(client.id), str(started)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(started, [proc])
    with Store.open(database_url) as s:
        s.delete_client(client.id)
        with pytest.raises(ClientNotFoundError):
            s.get_client(client.id)
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err
    report = json.loads(out)
    assert report["errors"] == []
    assert report["seen"] == [20]  # every read saw the whole client, never a part of it
    assert report["reads"] >= 10 and report["not_found"] == 5


def test_saving_for_a_client_deleted_meanwhile_says_so(database_url: str):
    with Store.open(database_url) as a, Store.open(database_url) as b:
        client = a.create_client("Gone Soon")
        b.delete_client(client.id)
        with pytest.raises(ClientNotFoundError):
            a.save_session(client.id, analysis())
