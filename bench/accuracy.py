"""Accuracy of the full engine on the labelled real clips.

    python bench/accuracy.py [--videos DIR] [--cache DIR] [--workers N] [--clips GLOB]
                             [--extraction fast|every-frame] [--compare OTHER.json]

Runs ``analyze_video`` (real MediaPipe, default settings) on every clip in ``labels.csv`` and compares
with the hand labels (see ``../shared/videos/README.md``). Prints a Markdown report (paste-ready for
BENCHMARKS.md) and writes ``bench/results/accuracy.md`` and ``accuracy.json``.

Scoring rules (the same for every clip; there are no per-clip special cases):

* reps: the count is right when it lies in ``[reps_min, reps_max]``; the error is the distance to that range.
* view: ``front``/``side``/``oblique`` must match; ``rear`` is a frontal-plane view, so engine ``front`` is
  right; ``mixed`` accepts front/side/oblique; ``none`` is not judged.
* a labelled time is matched to the rep whose ``start_s..end_s`` contains it (``-`` when no rep does).
  ``valgus_times`` and ``shallow_times`` must carry ``knee_valgus`` / ``shallow``: a missing rep counts as
  a miss. ``good_times`` / ``deep_times`` must NOT carry the flag: scored over the times where a rep was
  found (a missing rep is listed, not counted as correct).
* ``expect_problem`` must appear in ``problems``; other problem codes are listed.

``--cache DIR`` stores each clip's raw pose track keyed by the clip's SHA-256, the model file's SHA-256
and the extraction settings, so re-runs after analysis-only changes skip MediaPipe. It is off by
default: published numbers come from a full run.

``--extraction every-frame`` runs the reference path (pose on every frame) instead of the default one
(pose at a lower rate while standing still, ``vision.sampling``); ``--compare OTHER.json`` (the
``accuracy.json`` of another run) adds a per-clip table of where the two runs' rep counts and
per-rep flags differ.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import fnmatch
import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import code_fingerprint, git_state  # noqa: E402
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_VIDEOS = REPO.parent / "shared" / "videos"
RESULTS = REPO / "bench" / "results"
FRONTAL_VIEWS = {"front", "side", "oblique"}  # what "mixed" accepts



# --------------------------------------------------------------------------------------------------
# Pose-track cache (opt-in)
# --------------------------------------------------------------------------------------------------



def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _extraction_code() -> str:
    """Fingerprint of the code that decides which frames get pose and how (a change re-extracts)."""
    import inspect

    from vision import extraction, pose, sampling, video

    src = inspect.getsource(extraction.extract_track) + "".join(inspect.getsource(m) for m in (pose, sampling, video))
    return hashlib.sha256(src.encode()).hexdigest()[:16]


def install_cache(cache_dir: Path) -> dict:
    """Wrap the engine's track extraction so raw tracks are stored in / loaded from ``cache_dir``.

    ``analyze_video`` itself still runs unchanged (probe, rescale, analysis); only MediaPipe is skipped
    on a hit. Returns a dict counting hits and misses.
    """
    from vision import extraction, parallel
    from vision.pose import resolve_model
    from vision.track import PoseTrack

    cache_dir.mkdir(parents=True, exist_ok=True)
    stats = {"hits": 0, "misses": 0}
    model_sha: dict[str, str] = {}

    def key(path, model, max_side, extra: str, extraction=None) -> Path:
        m = str(model)
        if m not in model_sha:
            model_sha[m] = _sha256(resolve_model(m))
        from vision.analysis import EVERY_FRAME

        if extraction is not None and extraction != EVERY_FRAME:  # the reference keeps its old keys
            extra = f"{extra}|{extraction}|{_extraction_code()}"
        k = hashlib.sha256(f"{_sha256(Path(path))}|{model_sha[m]}|{max_side}|{extra}".encode()).hexdigest()[:32]
        return cache_dir / f"{Path(path).stem}.{k}.npz"

    def cached(fn, extra_of):
        def wrapper(path, **kw):
            from vision.analysis import FAST

            f = key(path, kw.get("model", "full"), kw.get("max_side"), extra_of(kw), kw.get("extraction") or FAST)
            if f.is_file():
                stats["hits"] += 1
                return PoseTrack.load(f)
            stats["misses"] += 1
            track = fn(path, **kw)
            tmp = f.with_suffix(".tmp.npz")
            track.save(tmp)
            os.replace(tmp, f)
            return track
        return wrapper

    seq = extraction.extract_track
    extraction.extract_track = cached(lambda p, **kw: seq(p, **kw),
                                      lambda kw: f"seq:{kw.get('start_s', 0.0)}:{kw.get('end_s')}")
    par = parallel.extract_track_parallel
    parallel.extract_track_parallel = cached(lambda p, **kw: par(p, **kw), lambda kw: f"par{kw.get('workers')}")
    return stats


# --------------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------------


def _times(cell: str) -> list[float]:
    return [float(x) for x in (cell or "").replace(",", ";").split(";") if x.strip()]


def _rep_at(reps: list[dict], t: float) -> dict | None:
    for rep in reps:
        if rep["start_s"] <= t <= rep["end_s"]:
            return rep
    return None


def view_ok(expected: str, found: str) -> bool | None:
    if expected == "none":
        return None
    if expected == "mixed":
        return found in FRONTAL_VIEWS
    if expected == "rear":
        return found in ("front", "rear")
    return found == expected


def score_clip(row: dict, result: dict) -> dict:
    reps = result["reps"]
    n = len(reps)
    lo, hi = int(row["reps_min"]), int(row["reps_max"])
    codes = [p["code"] for p in result["problems"]]
    expected_problem = (row.get("expect_problem") or "").strip()

    def marks(times, flag, want):
        out = []
        for t in times:
            rep = _rep_at(reps, t)
            if rep is None:
                out.append((t, "-"))
                continue
            has = flag in rep["flags"]
            # a knee verdict of "possible" is not a flag: marked apart (p), neither a hit nor a false alarm
            possible = flag == "knee_valgus" and not has and rep.get("valgus", {}).get("verdict") == "possible"
            if possible:
                out.append((t, "p"))
            else:
                out.append((t, "Y" if has else "n") if want else (t, "FP" if has else "ok"))
        return out

    return {
        "file": row["file"],
        "view_expected": row["view"],
        "view_found": result["view"],
        "view_ok": view_ok(row["view"], result["view"]),
        "reps_min": lo,
        "reps_max": hi,
        "reps_found": n,
        "count_ok": lo <= n <= hi,
        "count_error": max(0, lo - n, n - hi),
        "valgus": marks(_times(row["valgus_times"]), "knee_valgus", True),
        "good": marks(_times(row["good_times"]), "knee_valgus", False),
        "shallow": marks(_times(row["shallow_times"]), "shallow", True),
        "deep": marks(_times(row["deep_times"]), "shallow", False),
        "expected_problem": expected_problem or None,
        "expected_problem_found": (expected_problem in codes) if expected_problem else None,
        "problems": codes,
        "rep_flags": [[r["start_s"], r["bottom_s"], r["end_s"], r["flags"]] for r in reps],
    }


def totals(rows: list[dict]) -> dict:
    ok = [r for r in rows if "error" not in r]
    judged_view = [r for r in ok if r["view_ok"] is not None]

    def count(key, good):
        marks = [m for r in ok for _, m in r[key]]
        return sum(m in good for m in marks), len(marks), sum(m == "-" for m in marks)

    v_hit, v_tot, v_norep = count("valgus", {"Y"})
    g_ok, g_tot, g_norep = count("good", {"ok"})
    s_hit, s_tot, s_norep = count("shallow", {"Y"})
    d_ok, d_tot, d_norep = count("deep", {"ok"})
    prob = [r for r in ok if r["expected_problem"]]
    none_clips = [r for r in ok if r["view_expected"] == "none"]
    return {
        "clips": len(rows),
        "errors": len(rows) - len(ok),
        "count_exact": sum(r["count_ok"] for r in ok),
        "count_exact_rate": sum(r["count_ok"] for r in ok) / len(rows) if rows else 0.0,
        # issue 8's bar: squat clips (labelled with at least one rep); a clip that failed counts as a miss
        "squat_clips": sum(1 for r in rows if r.get("reps_max", 1) >= 1),
        "squat_count_ok": sum(r["count_ok"] for r in ok if r["reps_max"] >= 1),
        "rep_mae": sum(r["count_error"] for r in ok) / len(ok) if ok else 0.0,
        "valgus_sensitivity": [v_hit, v_tot, v_norep],
        "valgus_at_least_possible": [count("valgus", {"Y", "p"})[0], v_tot],
        "valgus_specificity": [g_ok, g_tot - g_norep, g_norep],
        "good_not_clear": [count("good", {"ok", "p"})[0], g_tot - g_norep],
        "good_possible": [count("good", {"p"})[0], g_tot - g_norep],
        "shallow_hits": [s_hit, s_tot, s_norep],
        "deep_no_false_shallow": [d_ok, d_tot - d_norep, d_norep],
        "depth_agreement": [s_hit + d_ok, s_tot + d_tot - d_norep],
        "false_reps_on_none": sum(r["reps_found"] for r in none_clips),
        "none_clips": len(none_clips),
        "none_clips_with_reps": sum(r["reps_found"] > 0 for r in none_clips),
        "view_correct": [sum(r["view_ok"] for r in judged_view), len(judged_view)],
        "problems_recall": [sum(bool(r["expected_problem_found"]) for r in prob), len(prob)],
    }


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def _pct(a: int, b: int) -> str:
    return f"{a}/{b} ({100.0 * a / b:.0f}%)" if b else "n/a"


def _marks(items) -> str:
    return " ".join(f"{t:g}:{m}" for t, m in items) or ""


def markdown(rows: list[dict], tot: dict, meta: dict) -> str:
    out = [f"### Accuracy on {tot['clips']} labelled clips",
           "",
           f"`{meta['command']}` — {meta['date']}, engine {meta['engine_version']} (git {meta['code']}), model `{meta['model']}` "
           f"(sha256 {meta['model_sha256'][:12]}…), {meta['machine']}; wall time {meta['wall_s']:.0f} s"
           + (f"; track cache: {meta['cache']}" if meta.get("cache") else "")
           + (f"; **partial run** (`--clips {meta['clips_filter']}`)" if meta.get("clips_filter") else "")
           + ("; **WARNING: vision/*.py changed during the run**" if meta.get("code_changed_during_run") else ""),
           "",
           ("| clip | view exp → found | reps exp | found | valgus (Y hit) | good (ok = not flagged) "
           "| shallow (Y hit) | deep (ok = not shallow) | expected problem | other problems | s |"),
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['file']} | ERROR | | | | | | | | {r['error']} | |")
            continue
        vmark = {True: "✓", False: "✗", None: ""}[r["view_ok"]]
        exp = f"{r['reps_min']}" if r["reps_min"] == r["reps_max"] else f"{r['reps_min']}–{r['reps_max']}"
        found = f"{r['reps_found']}" + ("" if r["count_ok"] else " ✗")
        prob = ""
        if r["expected_problem"]:
            prob = f"{r['expected_problem']} {'✓' if r['expected_problem_found'] else '✗'}"
        others = ", ".join(c for c in r["problems"] if c != r["expected_problem"])
        out.append(f"| {r['file']} | {r['view_expected']} → {r['view_found']} {vmark} | {exp} | {found} "
                   f"| {_marks(r['valgus'])} | {_marks(r['good'])} | {_marks(r['shallow'])} | {_marks(r['deep'])} "
                   f"| {prob} | {others} | {r['seconds']:.0f} |")
    vs, sp, sh, dp, da = (tot["valgus_sensitivity"], tot["valgus_specificity"], tot["shallow_hits"],
                          tot["deep_no_false_shallow"], tot["depth_agreement"])
    out += ["",
            "| total | value |",
            "|---|---|",
            f"| rep count inside the labelled range | {_pct(tot['count_exact'], tot['clips'])} |",
            f"| ... on the squat clips (labelled ≥ 1 rep) | {_pct(tot['squat_count_ok'], tot['squat_clips'])} |",
            f"| mean absolute rep error (distance to the range) | {tot['rep_mae']:.2f} |",
            f"| valgus sensitivity: labelled valgus bottoms `clear` (flagged; no rep = miss) | {_pct(vs[0], vs[1])}"
            + (f", {vs[2]} with no rep" if vs[2] else "") + " |",
            f"| ... `clear` or `possible` | {_pct(*tot['valgus_at_least_possible'])} |",
            f"| labelled good bottoms not `clear` (where a rep was found) | {_pct(*tot['good_not_clear'])}"
            + (f"; {sp[2]} with no rep" if sp[2] else "") + " |",
            f"| ... neither `clear` nor `possible` (valgus specificity, as before) | {_pct(sp[0], sp[1])} |",
            f"| labelled good bottoms `possible` | {_pct(*tot['good_possible'])} |",
            f"| shallow bottoms flagged `shallow` (no rep = miss) | {_pct(sh[0], sh[1])}"
            + (f", {sh[2]} with no rep" if sh[2] else "") + " |",
            f"| deep bottoms not flagged `shallow` (where a rep was found) | {_pct(dp[0], dp[1])}"
            + (f"; {dp[2]} with no rep" if dp[2] else "") + " |",
            f"| depth agreement (both of the above) | {_pct(da[0], da[1])} |",
            (f"| false reps on the {tot['none_clips']} no-squat clips | {tot['false_reps_on_none']} "
            f"(in {tot['none_clips_with_reps']} clips) |"),
            f"| view correct (excl. `none`; `rear` = front, `mixed` = any) | {_pct(*tot['view_correct'])} |",
            f"| expected problems reported | {_pct(*tot['problems_recall'])} |"]
    if tot["errors"]:
        out.append(f"| clips that raised an error | {tot['errors']} |")
    out += ["",
            ("Marks: `t:Y` flagged as labelled, `t:n` rep found but not flagged, `t:-` no rep contains t, "
            "`t:ok` correctly not flagged, `t:FP` flagged although labelled good/deep, `t:p` knee verdict "
            "`possible` (look at this rep: not a flag); ✗ = wrong."),
            ""]
    return "\n".join(out)


def comparison(rows: list[dict], other: list[dict], other_name: str) -> str:
    """Per clip: rep count and per-rep flags here vs in another run (reps matched by bottom time)."""
    by_file = {r["file"]: r for r in other if "error" not in r}
    out = [f"### Differences from `{other_name}`", "",
           "| clip | reps here | reps there | reps whose flags differ (bottom s: here / there) |", "|---|---|---|---|"]
    same = 0
    for r in rows:
        o = by_file.get(r["file"])
        if "error" in r or o is None:
            continue
        mine, theirs = r["rep_flags"], o["rep_flags"]
        diffs = []
        for rep in mine:
            match = min(theirs, key=lambda x: abs(x[1] - rep[1]), default=None)
            if match is None or abs(match[1] - rep[1]) > 0.5:
                diffs.append(f"{rep[1]:g}: {'+'.join(rep[3]) or 'ok'} / no rep")
            elif sorted(match[3]) != sorted(rep[3]):
                diffs.append(f"{rep[1]:g}: {'+'.join(rep[3]) or 'ok'} / {'+'.join(match[3]) or 'ok'}")
        for rep in theirs:
            if all(abs(m[1] - rep[1]) > 0.5 for m in mine):
                diffs.append(f"{rep[1]:g}: no rep / {'+'.join(rep[3]) or 'ok'}")
        if not diffs and len(mine) == len(theirs):
            same += 1
            continue
        out.append(f"| {r['file']} | {len(mine)} | {len(theirs)} | {'; '.join(diffs) or '–'} |")
    out += ["", f"{same} clips identical (same rep count, same flags on every rep).", ""]
    return "\n".join(out)


VALIDATION_SPLIT = Path(__file__).resolve().parent / "validation_split.txt"


def validation_clips() -> set[str]:
    """The frozen validation split (issue 21): clips only reported on, never developed on."""
    lines = VALIDATION_SPLIT.read_text().splitlines() if VALIDATION_SPLIT.is_file() else []
    return {ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")}


def split_table(splits: dict[str, dict]) -> str:
    """The headline totals of the dev clips and of the frozen validation split, side by side."""
    names = list(splits)
    rows = [("clips", lambda t: str(t["clips"])),
            ("rep count in range, squat clips", lambda t: _pct(t["squat_count_ok"], t["squat_clips"])),
            ("valgus bottoms `clear`", lambda t: _pct(*t["valgus_sensitivity"][:2])),
            ("valgus bottoms `clear` or `possible`", lambda t: _pct(*t["valgus_at_least_possible"])),
            ("good bottoms not `clear`", lambda t: _pct(*t["good_not_clear"])),
            ("good bottoms `possible`", lambda t: _pct(*t["good_possible"])),
            ("shallow / deep agreement", lambda t: _pct(*t["depth_agreement"])),
            ("false reps on no-squat clips", lambda t: f"{t['false_reps_on_none']} (of {t['none_clips']} clips)"),
            ("view correct", lambda t: _pct(*t["view_correct"]))]
    out = ["### Dev clips and the frozen validation split (`bench/validation_split.txt`)", "",
           "| total | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    out += [f"| {label} | " + " | ".join(f(splits[n]) for n in names) + " |" for label, f in rows]
    return "\n".join(out + [""])


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPU ({cpu}), Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--videos", type=Path, default=DEFAULT_VIDEOS, help="folder with labels.csv and the clips")
    ap.add_argument("--cache", type=Path, help="reuse extracted pose tracks from/to this folder (default: off)")
    ap.add_argument("--workers", type=int, default=None, help="analyze_video workers (default: the engine's own choice)")
    ap.add_argument("--extraction", choices=("fast", "every-frame"), default="fast",
                    help="landmark extraction: the default fast path or the every-frame reference")
    ap.add_argument("--compare", type=Path, help="accuracy.json of another run: list per-clip differences")
    ap.add_argument("--clips", help="only clips whose file name matches this glob (marked as a partial run)")
    ap.add_argument("--model", choices=("lite", "full", "heavy"), default="full", help="pose model (default full)")
    ap.add_argument("--out", type=Path, default=RESULTS, help="where accuracy.md/.json go")
    args = ap.parse_args(argv)

    labels = args.videos / "labels.csv"
    if not labels.is_file():
        print(f"error: labelled clips not found: {labels} does not exist.\n"
              f"Put the shared clips at {DEFAULT_VIDEOS} (../shared/videos beside the repo) or pass --videos DIR.",
              file=sys.stderr)
        return 2

    from vision import __version__
    from vision.analysis import EXTRACTIONS, AnalysisOptions, analyze_video
    from vision.errors import SquatCheckError
    from vision.pose import file_sha256, resolve_model

    options = AnalysisOptions(workers=args.workers, extraction=EXTRACTIONS[args.extraction], model=args.model)
    cache_stats = install_cache(args.cache) if args.cache else None
    with open(labels, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if not args.clips or fnmatch.fnmatch(r["file"], args.clips)]

    fingerprint = code_fingerprint()
    t0 = time.perf_counter()
    scored = []
    for i, row in enumerate(rows, 1):
        path = args.videos / row["file"]
        c0 = time.perf_counter()
        try:
            result = analyze_video(path, options).result
            rec = score_clip(row, result)
        except SquatCheckError as exc:
            rec = {"file": row["file"], "reps_max": int(row["reps_max"]), "error": f"{type(exc).__name__}: {exc}"}
        rec["seconds"] = time.perf_counter() - c0
        scored.append(rec)
        status = rec.get("error") or (f"view {rec['view_found']}, {rec['reps_found']} reps "
                                      f"(expected {rec['reps_min']}-{rec['reps_max']})")
        print(f"[{i}/{len(rows)}] {row['file']}: {status} ({rec['seconds']:.1f} s)", file=sys.stderr, flush=True)
    wall = time.perf_counter() - t0

    tot = totals(scored)
    command = "python bench/accuracy.py" + (f" --cache {args.cache}" if args.cache else "") + \
        (f" --workers {args.workers}" if args.workers is not None else "") + \
        (f" --extraction {args.extraction}" if args.extraction != "fast" else "") + \
        (f" --model {args.model}" if args.model != "full" else "") + \
        (f" --clips '{args.clips}'" if args.clips else "")
    meta = {"command": command, "date": dt.datetime.now().astimezone().isoformat(timespec="minutes"),
            "engine_version": __version__, "code": git_state(), "model": args.model, "model_sha256": file_sha256(resolve_model(args.model)),
            "machine": machine(), "wall_s": wall, "workers": args.workers,
            "cache": (f"{cache_stats['hits']} hits, {cache_stats['misses']} misses" if cache_stats else None),
            "clips_filter": args.clips, "load_avg_end": os.getloadavg(),
            "code_changed_during_run": code_fingerprint() != fingerprint}
    md = markdown(scored, tot, meta)
    validation = validation_clips()
    splits = {name: totals([r for r in scored if (r["file"] in validation) == is_val])
              for name, is_val in (("dev", False), ("validation", True))} | {"all": tot}
    md += "\n" + split_table(splits)
    tot["splits"] = {k: v for k, v in splits.items() if k != "all"}
    if args.compare:
        md += "\n" + comparison(scored, json.loads(args.compare.read_text())["clips"], args.compare.name)
    print(md)
    print(f"wall time: {wall:.1f} s")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "accuracy.md").write_text(md)
    (args.out / "accuracy.json").write_text(json.dumps({"meta": meta, "totals": tot, "clips": scored}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
