"""Do the verdicts on the labelled clips survive what a new camera does to them?

    python bench/robustness.py [--videos DIR] [--variants mirror,far,roll,fps15,lowres,pan,zoom] [--clips GLOB]
                               [--keep DIR] [--out DIR]

The shared clips are few, and a measure tuned on them can fail on clips it has never seen. This
re-films each selected clip the way another phone or another day would, writes it as an H.264 file
and runs the whole engine on it (``analyze_video``, real MediaPipe), scoring it against the same
hand labels as ``bench/accuracy.py``:

* ``mirror``: left and right swapped (a selfie camera; every knee verdict must follow its knee);
* ``far``: the picture shrunk to 60 % inside a grey border (the camera twice as far back);
* ``roll``: the camera tilted 5° about its axis (a phone not held level);
* ``fps15``: every other frame dropped (a 15 fps camera);
* ``lowres``: at most 320 px on the long side (a cheap webcam or a heavily compressed upload);
* ``pan``: a handheld phone panning to and fro, the person sliding a fifth of the picture's width
  every 2 s, during reps and between them (rules that read posture from the picture, not the
  body, throw such reps away);
* ``zoom``: a phone drifting closer and back (or zooming), the person up to 11 % larger and back
  every 6 s (lengths read against a standing length that changes under them).

Labelled times stay valid: every variant keeps each frame's time. By default it uses the clips
that test the valgus measures and the non-squat rejections (clips with ``valgus_times`` or
``good_times``, and the clips with no squats). Prints a Markdown table per variant (paste-ready for
BENCHMARKS.md) with the clips whose rep count or flags differ from the original clip's run, and
writes ``robustness.md`` / ``.json`` to ``--out`` (default ``bench/results``).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import fnmatch
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import DEFAULT_VIDEOS, REPO, RESULTS, _pct, comparison, machine, score_clip, totals  # noqa: E402
from _provenance import git_state  # noqa: E402

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _mirror(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgb[:, ::-1])


def _far(rgb: np.ndarray, scale: float = 0.6) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    small = cv2.resize(rgb, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
    out = np.full_like(rgb, 128)
    y, x = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
    out[y:y + small.shape[0], x:x + small.shape[1]] = small
    return out


def _roll(rgb: np.ndarray, degrees: float = 5.0) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def _lowres(rgb: np.ndarray, max_side: int = 320) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    s = max_side / max(h, w)
    return rgb if s >= 1 else cv2.resize(rgb, (int(w * s), int(h * s)), interpolation=cv2.INTER_AREA)


PAN_WIDTH = 0.8      # the panning camera's picture: 80 % of the original's width ...
PAN_SWING = 0.16     # ... swung across 0.16 of the original's width (a fifth of its own) ...
PAN_PERIOD_S = 4.0   # ... and back every 4 s, so every rep sees the picture move under it


def _pan(rgb: np.ndarray, t_s: float) -> np.ndarray:
    """A handheld phone panning to and fro: a window of ``PAN_WIDTH`` of the width whose left edge
    swings smoothly over ``PAN_SWING`` of it every ``PAN_PERIOD_S`` (the person moves a fifth of
    the picture's width in 2 s while standing still)."""
    h, w = rgb.shape[:2]
    crop = int(round(w * PAN_WIDTH)) // 2 * 2
    centre = (w - crop) / 2
    x0 = int(round(centre + 0.5 * PAN_SWING * w * np.sin(2 * np.pi * t_s / PAN_PERIOD_S)))
    return np.ascontiguousarray(rgb[:, max(0, min(x0, w - crop)):][:, :crop])


ZOOM_MIN = 0.90      # the zooming camera's view narrows to 90 % of the picture ...
ZOOM_PERIOD_S = 6.0  # ... and widens back every 6 s


def _zoom(rgb: np.ndarray, t_s: float) -> np.ndarray:
    """A phone drifting closer and back (or zooming): the centre ``ZOOM_MIN``-``1`` of the picture,
    smoothly in and out every ``ZOOM_PERIOD_S``, scaled back to the picture's size (the person
    grows by up to 11 % and shrinks again, during reps and between them: a hand-held phone drifting
    ~20 cm at 2 m)."""
    import cv2

    h, w = rgb.shape[:2]
    k = 1.0 - (1.0 - ZOOM_MIN) * (1.0 - np.cos(2 * np.pi * t_s / ZOOM_PERIOD_S)) / 2.0
    ch, cw = int(round(h * k)), int(round(w * k))
    y0, x0 = (h - ch) // 2, (w - cw) // 2
    return cv2.resize(rgb[y0:y0 + ch, x0:x0 + cw], (w, h), interpolation=cv2.INTER_LINEAR)


# name -> (frame transform, keep frame i?); a transform gets the frame and its time (s)
VARIANTS = {
    "mirror": (lambda rgb, t: _mirror(rgb), None),
    "far": (lambda rgb, t: _far(rgb), None),
    "roll": (lambda rgb, t: _roll(rgb), None),
    "fps15": (None, lambda i: i % 2 == 0),
    "lowres": (lambda rgb, t: _lowres(rgb), None),
    "pan": (_pan, None),
    "zoom": (_zoom, None),
}


def refilm(src: Path, dst: Path, variant: str) -> None:
    """Write ``src`` as ``dst`` (H.264) seen through ``variant``, each frame at its own time."""
    from vision.video import iter_frames, probe
    from vision.video_writer import H264Writer

    transform, keep = VARIANTS[variant]
    info = probe(src)
    writer = None
    try:
        for i, frame in enumerate(iter_frames(src, max_side=None)):
            if keep is not None and not keep(i):
                continue
            rgb = frame.rgb if transform is None else transform(frame.rgb, frame.t_s)
            if writer is None:
                writer = H264Writer(dst, rgb.shape[1], rgb.shape[0], info.fps, crf=20)
            writer.write(rgb, frame.t_s)
    finally:
        if writer is not None:
            writer.close()


def selected(rows: list[dict], pattern: str | None) -> list[dict]:
    if pattern:
        return [r for r in rows if fnmatch.fnmatch(r["file"], pattern)]
    return [r for r in rows if r["valgus_times"] or r["good_times"] or r["view"] == "none"]


def summary_rows(variant: str, tot: dict) -> str:
    vs = tot["valgus_sensitivity"]
    return (f"| {variant} | {_pct(tot['count_exact'], tot['clips'])} | {_pct(vs[0], vs[1])}"
            + (f" ({vs[2]} no rep)" if vs[2] else "") + f" | {_pct(*tot['valgus_at_least_possible'])}"
            + f" | {_pct(*tot['good_not_clear'])} | {_pct(*tot['good_possible'])}"
            + f" | {tot['false_reps_on_none']} in {tot['none_clips_with_reps']}/{tot['none_clips']} clips"
            + f" | {_pct(*tot['view_correct'])} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--videos", type=Path, default=DEFAULT_VIDEOS, help="folder with labels.csv and the clips")
    ap.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of: {', '.join(VARIANTS)}")
    ap.add_argument("--clips", help="only clips whose file name matches this glob (default: valgus/good/no-squat clips)")
    ap.add_argument("--keep", type=Path, help="keep the re-filmed clips in this folder (default: a temporary one)")
    ap.add_argument("--out", type=Path, default=RESULTS, help="where robustness.md/.json go")
    args = ap.parse_args(argv)

    labels = args.videos / "labels.csv"
    if not labels.is_file():
        print(f"error: labelled clips not found: {labels} does not exist (pass --videos DIR).", file=sys.stderr)
        return 2
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        print(f"error: unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}", file=sys.stderr)
        return 2

    from vision.analysis import analyze_video
    from vision.errors import SquatCheckError

    with open(labels, newline="") as fh:
        rows = selected(list(csv.DictReader(fh)), args.clips)
    work = args.keep or Path(tempfile.mkdtemp(prefix="squatcheck-robustness-"))
    work.mkdir(parents=True, exist_ok=True)

    def run(variant: str) -> list[dict]:
        scored = []
        for i, row in enumerate(rows, 1):
            c0 = time.perf_counter()
            path = args.videos / row["file"]
            try:
                if variant != "original":
                    dst = work / f"{Path(row['file']).stem}.{variant}.mp4"
                    if not dst.is_file():
                        refilm(path, dst, variant)
                    path = dst
                rec = score_clip(row, analyze_video(path).result)
            except SquatCheckError as exc:
                rec = {"file": row["file"], "reps_max": int(row["reps_max"]), "error": f"{type(exc).__name__}: {exc}"}
            rec["seconds"] = time.perf_counter() - c0
            scored.append(rec)
            print(f"[{variant} {i}/{len(rows)}] {row['file']}: "
                  f"{rec.get('error') or str(rec['reps_found']) + ' reps'} ({rec['seconds']:.1f} s)", file=sys.stderr,
                  flush=True)
        return scored

    t0 = time.perf_counter()
    results = {"original": run("original")}
    for variant in variants:
        results[variant] = run(variant)
    wall = time.perf_counter() - t0

    md = [f"### Robustness: the labelled clips re-filmed ({len(rows)} clips)", "",
          f"`python bench/robustness.py --variants {','.join(variants)}"
          + (f" --clips '{args.clips}'" if args.clips else "") + f"` — "
          f"{dt.datetime.now().astimezone().isoformat(timespec='minutes')}, git {git_state()}, {machine()}; "
          f"wall time {wall:.0f} s", "",
          "| variant | rep count in range | caving reps `clear` | caving reps `clear` or `possible` | good reps not "
          "`clear` | good reps `possible` | false reps on no-squat clips | view correct |", "|---|---|---|---|---|---|---|---|"]
    md += [summary_rows(name, totals(scored)) for name, scored in results.items()]
    md.append("")
    for variant in variants:
        md.append(comparison(results[variant], results["original"], f"original ({variant})"))
    text = "\n".join(md)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "robustness.md").write_text(text)
    (args.out / "robustness.json").write_text(json.dumps(
        {"variants": {k: {"totals": totals(v), "clips": v} for k, v in results.items()}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
