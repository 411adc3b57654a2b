"""Writing results: the JSON contract and a per-rep CSV."""

from __future__ import annotations

import csv
import errno
import io
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from vision.errors import OutputPathError

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


def _quoted(path: str | os.PathLike) -> str:
    return "'" + " ".join(os.fspath(path).splitlines()) + "'"


def _reason(exc: OSError) -> str:
    """``OSError`` -> a short lower-case reason without paths, e.g. 'permission denied'."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    if getattr(exc, "errno", None) == errno.EROFS:
        return "the disk is read-only"
    text = getattr(exc, "strerror", None) or exc.__class__.__name__
    return text[:1].lower() + text[1:]


def folder_problem(folder: str | os.PathLike) -> str | None:
    """Why files cannot be written in ``folder`` (created if missing), or None when they can.

    Nothing is left behind: a missing folder is judged by its nearest existing parent, which must
    be a folder; writing is tried for real with a temp file that is removed at once (permission
    bits alone do not say it: root, read-only disks, network shares).
    """
    existing = Path(folder)
    try:
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            return f"{_quoted(existing)} is a file, not a folder"
        fd, probe = tempfile.mkstemp(dir=existing, prefix=".squatcheck-write-test.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"folder {_quoted(existing)} is not writable ({_reason(exc)})"
    return None


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write via a temp file and rename, so a crash never leaves a half-written output.

    Missing parent folders are created. Raises :class:`~vision.errors.OutputPathError` (one line,
    no traceback) when the file cannot be written.
    """
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise OutputPathError(f"Could not write {_quoted(path)}: {_reason(exc)}. Check that the folder exists, "
                              "is writable and has free space, then try again.") from exc
    return path
