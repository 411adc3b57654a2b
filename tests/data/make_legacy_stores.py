"""How the legacy store fixtures here were made (kept for the record; it needs the pre-Alembic store).

``store_v1.sqlite``, ``store_v2.sqlite``, ``store_v3.sqlite`` and ``store_v{1,2,3}.postgres.sql`` are
client databases written by the store as it was before Alembic (commit 063f002, ``trainer/store.py``
with its own ``migrate()``/``schema_version`` machinery), so the upgrade tests open files that the old
code really wrote. v1 and v2 were created with ``migrate(engine, target=N)`` and filled with the rows
that version could hold; v3 with the old ``Store`` API itself. PostgreSQL: the same, dumped with
``pg_dump --no-owner --no-privileges --inserts``.

    git show 063f002:trainer/store.py > /tmp/old_store.py   # then, from the repo root:
    python tests/data/make_legacy_stores.py OLD_STORE_MODULE_DIR [POSTGRES_URL_PREFIX]
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import text

HERE = Path(__file__).resolve().parent


def analysis(kasr: float, valgus: bool) -> dict:
    rep = {"index": 1, "start_s": 1.0, "bottom_s": 1.8, "end_s": 2.7,
           "flags": ["knee_valgus"] if valgus else [], "confidence": 0.9,
           "cues": ["Push your knees out over your toes."] if valgus else [],
           "metrics": {"knee_flexion_deg": 112.0, "depth_ratio": 0.02, "kasr_min": kasr,
                       "fppa_left_deg": 12.0, "fppa_right_deg": 7.5, "asymmetry_deg": 4.5}}
    return {"schema_version": "1.0", "source": {"file": "set.mp4"}, "view": "front",
            "profile": "bodyweight", "reps": [rep], "problems": [],
            "summary": {"rep_count": 1, "valgus_reps": int(valgus), "shallow_reps": 0, "worst_rep": 1,
                        "main_cue": "Push your knees out."}}


ROWS_V1 = "INSERT INTO clients (id, name, name_key, created_at, notes) VALUES (:id, :name, :key, :at, '')"
SESSION_V1 = ("INSERT INTO sessions (id, client_id, recorded_at, created_at, notes, view, profile, rep_count, "
              "valgus_reps, shallow_reps, fppa_mean_deg, fppa_worst_deg, depth_mean, asymmetry_mean_deg, "
              "analysis_json, video_path) VALUES (:id, :cid, :at, :at, 'legacy', 'front', 'bodyweight', 1, "
              ":valgus, 0, 9.75, 12.0, 0.02, 4.5, :js, NULL)")


def fill_old_version(store_mod, url: str, version: int) -> None:
    engine = store_mod.make_engine(url)
    assert store_mod.migrate(engine, target=version) == version
    with engine.begin() as conn:
        conn.execute(text(ROWS_V1), [{"id": 1, "name": "Ana Legacy", "key": "ana legacy", "at": "2024-03-01 09:00:00"},
                                     {"id": 2, "name": "Ben Legacy", "key": "ben legacy", "at": "2024-03-02 09:00:00"}])
        for sid, cid, kasr, valgus in ((1, 1, 0.62, True), (2, 1, 0.91, False), (3, 2, 0.85, False)):
            conn.execute(text(SESSION_V1), {"id": sid, "cid": cid, "at": f"2024-03-0{sid} 10:00:00",
                                            "valgus": int(valgus), "js": json.dumps(analysis(kasr, valgus))})
            if version >= 2:  # the v2 store wrote the summary column with each session
                conn.execute(text("UPDATE sessions SET kasr_mean = :k WHERE id = :id"), {"k": kasr, "id": sid})
        if conn.dialect.name == "postgresql":  # explicit ids: move the sequences on, as real use would
            conn.execute(text("SELECT setval('clients_id_seq', 2)"))
            conn.execute(text("SELECT setval('sessions_id_seq', 3)"))
    engine.dispose()


def fill_v3(store_mod, url: str) -> None:
    import numpy as np

    with store_mod.Store.open(url) as s:
        ana = s.create_client("Ana Legacy")
        ben = s.create_client("Ben Legacy")
        frame = np.full((48, 64, 3), 120, np.uint8)
        s.save_session(ana.id, analysis(0.62, True), recorded_at=datetime(2024, 3, 1, 10, tzinfo=timezone.utc),
                       notes="legacy", worst_frame_rgb=frame)
        s.save_session(ana.id, analysis(0.91, False), recorded_at=datetime(2024, 3, 2, 10, tzinfo=timezone.utc),
                       notes="legacy")
        s.save_session(ben.id, analysis(0.85, False), recorded_at=datetime(2024, 3, 3, 10, tzinfo=timezone.utc),
                       notes="legacy")


def main() -> None:
    sys.path.insert(0, sys.argv[1])
    import old_store as store_mod  # noqa: PLC0415 - the pre-Alembic module

    pg_prefix = sys.argv[2] if len(sys.argv) > 2 else None
    for version in (1, 2, 3):
        target = HERE / f"store_v{version}.sqlite"
        target.unlink(missing_ok=True)
        (fill_old_version(store_mod, str(target), version) if version < 3 else fill_v3(store_mod, str(target)))
        if pg_prefix:
            url = pg_prefix.format(db=f"legacy_v{version}")
            (fill_old_version(store_mod, url, version) if version < 3 else fill_v3(store_mod, url))


if __name__ == "__main__":
    main()
