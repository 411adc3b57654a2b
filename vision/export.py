"""Writing results: the JSON contract and a per-rep CSV."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

CSV_COLUMNS = ("index", "start_s", "bottom_s", "end_s", "view", "severity", "confidence", "flags",
               "valgus_left_flag", "valgus_right_flag", "valgus_phase")


def _jsonable(obj):
    """NaN/inf → None and NumPy scalars → Python, so the JSON is strict (no NaN tokens)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return None if not math.isfinite(float(obj)) else float(obj)
    return obj


def to_json(result: dict) -> str:
    return json.dumps(_jsonable(result), indent=2, ensure_ascii=False, allow_nan=False)


def rep_rows(result: dict) -> list[dict]:
    """One flat dict per rep: the fixed columns, then every metric."""
    metric_keys: list[str] = []
    for rep in result.get("reps", []):
        metric_keys += [k for k in rep["metrics"] if k not in metric_keys]
    rows = []
    for rep in result.get("reps", []):
        v = rep.get("valgus") or {}
        row = {"index": rep["index"], "start_s": rep["start_s"], "bottom_s": rep["bottom_s"], "end_s": rep["end_s"],
               "view": rep.get("view"), "severity": rep.get("severity"), "confidence": rep["confidence"],
               "flags": ";".join(rep["flags"]), "valgus_left_flag": v.get("left"), "valgus_right_flag": v.get("right"),
               "valgus_phase": v.get("phase")}
        row |= {k: rep["metrics"].get(k) for k in metric_keys}
        row["cue"] = rep["cues"][0] if rep["cues"] else ""
        rows.append(_jsonable(row))
    return rows


def to_csv(result: dict) -> str:
    rows = rep_rows(result)
    buf = io.StringIO()
    fields = list(rows[0]) if rows else list(CSV_COLUMNS) + ["cue"]
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write via a temp file and rename, so a crash never leaves a half-written output."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
    os.replace(tmp, path)
    return path
