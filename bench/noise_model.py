"""Measure the pose model's noise on the labelled dev clips' cached tracks (no MediaPipe run).

    python bench/noise_model.py [--cache bench/results/track_cache] [--labels ../shared/videos/labels.csv]
                                [--out bench/noise_model.json]

Reads the raw pose tracks that ``bench/accuracy.py --cache`` stored (``<clip stem>.<key>.npz``) for
the clips of ``labels.csv`` that are NOT in ``bench/validation_split.txt`` (the frozen validation
clips are never used to build a model). A clip with several cache files (time segments, parallel
extraction) uses its most complete file: the one starting at 0 s with the most frames; so point
``--cache`` at a folder of one model's default extraction (the file names do not say which model or
extraction made a track: a cache shared with ``--model lite|heavy`` or ``--extraction every-frame``
runs can pick theirs). A clip with no cache file is skipped with a note. Prints Markdown tables and writes a small JSON that
``bench/montecarlo.py`` reads.

Measures (each defined in the docstring of its function):

* ``jitter``: per landmark group and per (visibility bin × legs' size bin), the robust SD of the
  raw track minus the engine-cleaned track, in the pose model's pixels;
* ``turn_out``: the two feet's turn-out disagreement while standing, front-facing frames, and the
  same read from each foot's heel to its toe (``heel_*``: is the heel an independent reading?);
* ``toe_drift``: how far the toe point moves sideways while the foot is planted (bent − standing);
* ``foot_wander``: how far a planted foot's ankle point wanders over a rep (front-facing clips).

Clips with ``view == none`` (non-squat movements, no person, several people) are not used: their
fast non-squat motion (jumping jacks, burpees, dance) would be read as jitter by the low-pass.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from vision.landmarks import (L_ANKLE, L_FOOT, L_HEEL, L_HIP, L_KNEE, R_ANKLE, R_FOOT,  # noqa: E402
                              R_HEEL, R_HIP, R_KNEE)
from vision.signals import clean_track, compute_signals  # noqa: E402
from vision.track import PoseTrack  # noqa: E402

GROUPS = {"hip": (L_HIP, R_HIP), "knee": (L_KNEE, R_KNEE), "ankle": (L_ANKLE, R_ANKLE),
          "heel": (L_HEEL, R_HEEL), "toe": (L_FOOT, R_FOOT)}
VIS_BINS = (("<0.5", 0.0, 0.5), ("0.5-0.8", 0.5, 0.8), (">=0.8", 0.8, 1.01))
LEG_BINS = (("<120", 0.0, 120.0), ("120-200", 120.0, 200.0), (">=200", 200.0, 1e9))
FOOT_VIEWS = ("front", "rear", "mixed")
TOE_TO_SHANK = 0.47          # foot (ankle → toe tip) / shank length: toe_lateral of a foot turned out 90°
HEEL_TO_TOE_SHANK = 0.62     # whole foot (heel → toe tip, 0.152 H) / shank (0.246 H), Drillis & Contini 1966
STANDING_DEPTH = 0.05
BENT_DEPTH = 0.25
FOOT_MIN_VIS = 0.5
MIN_FRAMES = 5               # frames per foot per clip for a per-clip median
DEFAULT_CACHE = REPO / "bench" / "results" / "track_cache"  # where `bench/accuracy.py --cache bench/results/track_cache` puts them
DEFAULT_LABELS = REPO.parent / "shared" / "videos" / "labels.csv"
DEFAULT_OUT = REPO / "bench" / "noise_model.json"


def robust_sd(x: np.ndarray) -> float:
    """1.4826 · MAD (the SD of a Gaussian), NaN when empty."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return float(1.4826 * np.median(np.abs(x - np.median(x)))) if len(x) else float("nan")


def dev_clips(labels: Path) -> list[dict]:
    """labels.csv rows not in the frozen validation split."""
    val = {line.strip() for line in (REPO / "bench" / "validation_split.txt").read_text().splitlines()
           if line.strip() and not line.startswith("#")}
    with open(labels, newline="") as f:
        return [r for r in csv.DictReader(f) if r["file"] not in val]


def load_clip(cache: Path, stem: str) -> tuple[PoseTrack | None, str]:
    """The clip's most complete cached track (starts at 0 s, most frames), or None and why."""
    files = sorted(cache.glob(f"{stem}.*.npz"))
    files = [f for f in files if f.name.split(".")[0] == stem and ".tmp." not in f.name]
    if not files:
        return None, "no cache file"
    tracks = [(PoseTrack.load(f), f) for f in files]
    whole = [(tr, f) for tr, f in tracks if len(tr) and float(tr.t[0]) < 0.05]
    if not whole:
        return None, "no cache file starting at 0 s"
    tr, f = max(whole, key=lambda p: len(p[0]))
    return tr, f"{f.name} ({len(files)} file(s), {len(tr)} frames)"


def jitter_samples(track: PoseTrack) -> dict:
    """Jitter: raw track minus the engine-cleaned track (``clean_track``: Hampel + zero-phase
    low-pass), per coordinate (x and y pooled), in the pose model's pixels (track px × pose_scale),
    with each sample's landmark visibility and the frame's legs' size (mean hip–ankle length of
    the two legs in the cleaned track × pose_scale). Only frames where the landmark and both legs'
    hip and ankle are finite. Returns {group: (residual, visibility, leg_px)} arrays."""
    cleaned = clean_track(track)
    s = track.pose_scale
    leg = np.mean([np.linalg.norm(cleaned.xy[:, h] - cleaned.xy[:, a], axis=1)
                   for h, a in ((L_HIP, L_ANKLE), (R_HIP, R_ANKLE))], axis=0) * s
    out = {}
    for name, idx in GROUPS.items():
        res, vis, legs = [], [], []
        for j in idx:
            d = (track.xy[:, j] - cleaned.xy[:, j]) * s          # (T, 2)
            ok = np.isfinite(d).all(axis=1) & np.isfinite(leg)
            for c in (0, 1):
                res.append(d[ok, c])
                vis.append(track.visibility[ok, j])
                legs.append(leg[ok])
        out[name] = tuple(np.concatenate(a) for a in (res, vis, legs))
    return out


def _angle(toe_lateral: np.ndarray) -> np.ndarray:
    """Turn-out φ (deg) from the toe's sideways offset: arcsin(toe_lateral / 0.47), clipped to [-10, 45]."""
    return np.clip(np.degrees(np.arcsin(np.clip(toe_lateral / TOE_TO_SHANK, -1, 1))), -10.0, 45.0)


def foot_frames(sig) -> np.ndarray:
    """Frames where the feet are seen from the front: person facing the camera (left hip on the
    image's right), shoulders square (width ≥ 0.5 torso), ankles apart (≥ 0.3 torso), both feet'
    ankle and foot index visible ≥ 0.5."""
    with np.errstate(invalid="ignore"):
        return (sig.valid & sig.facing_camera & (sig.shoulder_ratio >= 0.5) & (sig.ankle_ratio >= 0.3)
                & (sig.foot_visibility >= FOOT_MIN_VIS).all(axis=1) & np.isfinite(sig.toe_lateral).all(axis=1))


def turn_out_disagreement(sig) -> dict | None:
    """Turn-out disagreement: on standing front-facing frames (depth ≤ 0.05, both feet seen), each
    foot's turn-out φ = arcsin(toe_lateral / 0.47) clipped to [-10°, 45°]; per clip the median φ of
    each foot; the disagreement is half their difference (left − right, degrees; its absolute value
    is the per-foot error if the person really stands symmetric). None with < 5 frames."""
    sel = foot_frames(sig) & (sig.depth <= STANDING_DEPTH)
    if sel.sum() < MIN_FRAMES:
        return None
    phi = _angle(sig.toe_lateral[sel])
    left, right = float(np.median(phi[:, 0])), float(np.median(phi[:, 1]))
    return {"frames": int(sel.sum()), "left_deg": left, "right_deg": right, "half_diff_deg": (left - right) / 2}


def heel_turn_out(track: PoseTrack, sig) -> tuple[float, float] | None:
    """Each foot's turn-out read a second way, from its heel to its toe (degrees, left and right):
    arcsin(heel → toe sideways offset / 0.62 standing shank lengths), on the frames
    :func:`turn_out_disagreement` uses, medians per foot. If its left–right disagreement tracks the
    toe point's clip by clip, the heel adds no independent reading of the foot. None with < 5 frames."""
    from vision import geometry as g

    sel = foot_frames(sig) & (sig.depth <= STANDING_DEPTH)
    if sel.sum() < MIN_FRAMES:
        return None
    xy = track.xy
    outwards = -np.stack([g.medial_sign(xy[:, L_HIP], xy[:, R_HIP]), g.medial_sign(xy[:, R_HIP], xy[:, L_HIP])], axis=1)
    out = []
    for i, (knee, ankle, heel, toe) in enumerate(((L_KNEE, L_ANKLE, L_HEEL, L_FOOT), (R_KNEE, R_ANKLE, R_HEEL, R_FOOT))):
        shank = np.nanmedian(np.linalg.norm(xy[sel, knee] - xy[sel, ankle], axis=1))
        lateral = (g.medial_offset(xy[:, toe], xy[:, ankle], outwards[:, i])
                   - g.medial_offset(xy[:, heel], xy[:, ankle], outwards[:, i])) / shank
        out.append(float(np.median(np.clip(np.degrees(np.arcsin(np.clip(lateral[sel] / HEEL_TO_TOE_SHANK, -1, 1))),
                                           -10.0, 45.0))))
    return out[0], out[1]


def toe_drift(sig) -> dict | None:
    """Toe drift while planted: per foot, median toe_lateral over bent front-facing frames
    (depth ≥ 0.25) minus its median over standing ones (depth ≤ 0.05), in standing shank lengths
    (+ = the toe reads more turned out at the bottom). None with < 5 frames of either."""
    ok = foot_frames(sig)
    stand, bent = ok & (sig.depth <= STANDING_DEPTH), ok & (sig.depth >= BENT_DEPTH)
    if stand.sum() < MIN_FRAMES or bent.sum() < MIN_FRAMES:
        return None
    d = np.median(sig.toe_lateral[bent], axis=0) - np.median(sig.toe_lateral[stand], axis=0)
    return {"standing_frames": int(stand.sum()), "bent_frames": int(bent.sum()),
            "left": float(d[0]), "right": float(d[1])}


def foot_wander(sig) -> list[float]:
    """How far a planted foot's ankle point wanders over a rep, leg lengths: for every rep the
    engine's counter finds on this clip (``vision.reps.segment_reps`` on its depth signal), per foot,
    ``RepFrames.foot_travel`` (twice the 75th percentile distance of the clearly seen ankle from its
    median spot; feet seen on too few frames to tell are left out). A squat's feet stay put, so this
    is the landmark's slow wander plus any real shuffle of the feet: the noise floor a free foot must
    stand out from."""
    from vision.rep_frames import RepFrames
    from vision.reps import segment_reps
    from vision.thresholds import Thresholds

    th = Thresholds()
    reps, _ = segment_reps(sig.t, sig.depth, th)
    travels = [RepFrames.of(sig, w, th).foot_travel() for w in reps]
    return [float(v) for per_rep in travels for v in per_rep if v > 0]   # 0: not seen enough to tell


def measure(cache: Path, labels: Path) -> dict:
    notes, used = [], []
    pooled = {g: [[], [], []] for g in GROUPS}
    turn, drift, wander = {}, {}, {}
    for row in dev_clips(labels):
        view = row["view"]
        if view == "none":
            notes.append(f"{row['file']}: view none (not a squat), not used")
            continue
        stem = Path(row["file"]).stem
        track, why = load_clip(cache, stem)
        if track is None:
            notes.append(f"{row['file']}: skipped ({why})")
            continue
        used.append(f"{row['file']} [{view}]: {why}")
        for g, arrs in jitter_samples(track).items():
            for k in range(3):
                pooled[g][k].append(arrs[k])
        if view in FOOT_VIEWS:
            cleaned = clean_track(track)
            sig = compute_signals(cleaned)
            t, d = turn_out_disagreement(sig), toe_drift(sig)
            if t:
                heel = heel_turn_out(cleaned, sig)
                if heel:
                    t |= {"heel_left_deg": heel[0], "heel_right_deg": heel[1], "heel_half_diff_deg": (heel[0] - heel[1]) / 2}
                turn[row["file"]] = t
            else:
                notes.append(f"{row['file']}: < {MIN_FRAMES} standing front-facing frames with both feet seen")
            if d:
                drift[row["file"]] = d
            if row["view"] != "none" and (w := foot_wander(sig)):
                wander[row["file"]] = w
    jitter = {}
    for g, (res, vis, leg) in pooled.items():
        res, vis, leg = (np.concatenate(a) if a else np.zeros(0) for a in (res, vis, leg))
        cells = {}
        for vname, vlo, vhi in VIS_BINS:
            for lname, llo, lhi in LEG_BINS:
                m = (vis >= vlo) & (vis < vhi) & (leg >= llo) & (leg < lhi)
                cells[f"{vname}|{lname}"] = {"sd_px": robust_sd(res[m]), "n": int(m.sum())}
        for lname, llo, lhi in LEG_BINS:   # any visibility, per leg size
            m = (leg >= llo) & (leg < lhi)
            cells[f"all|{lname}"] = {"sd_px": robust_sd(res[m]), "n": int(m.sum())}
        for vname, vlo, vhi in VIS_BINS:
            m = (vis >= vlo) & (vis < vhi)
            cells[f"{vname}|all"] = {"sd_px": robust_sd(res[m]), "n": int(m.sum())}
        cells["all|all"] = {"sd_px": robust_sd(res), "n": int(len(res))}
        # jitter relative to the legs' size: lets a bench scale it to any size
        cells["relative_to_leg"] = robust_sd(res / np.maximum(leg, 1.0))
        jitter[g] = cells
    half = np.array([v["half_diff_deg"] for v in turn.values()])
    ad = np.abs(half)
    both = [(v["half_diff_deg"], v["heel_half_diff_deg"]) for v in turn.values() if "heel_half_diff_deg" in v]
    toe_half, heel_half = (np.array(x) for x in zip(*both)) if both else (np.zeros(0), np.zeros(0))
    dr = np.array([[v["left"], v["right"]] for v in drift.values()]).ravel()
    return {
        "description": "bench/noise_model.py: pose-model noise measured on the dev clips' cached tracks",
        "vis_bins": [b[0] for b in VIS_BINS], "leg_bins": [b[0] for b in LEG_BINS],
        "leg_bin_edges_px": [120.0, 200.0],
        "jitter": jitter,
        "turn_out": {
            "per_clip": turn,
            "n_clips": len(turn),
            "abs_half_diff_median_deg": float(np.median(ad)) if len(ad) else float("nan"),
            "abs_half_diff_p90_deg": float(np.percentile(ad, 90)) if len(ad) else float("nan"),
            # if each foot's error is independent N(0, σ) and the stance symmetric, (eL − eR)/2 ~ N(0, σ/√2):
            # σ = √2 · 1.4826 · median|half diff|. An upper bound (real stance asymmetry is included).
            "per_foot_sd_deg": float(np.sqrt(2) * 1.4826 * np.median(ad)) if len(ad) else float("nan"),
            # the same read from heel → toe, and how closely its disagreement follows the toe point's
            "heel_per_foot_sd_deg": float(np.sqrt(2) * 1.4826 * np.median(np.abs(heel_half))) if len(heel_half) else float("nan"),
            "heel_toe_half_diff_correlation": float(np.corrcoef(toe_half, heel_half)[0, 1]) if len(heel_half) > 2 else float("nan"),
        },
        "toe_drift": {
            "per_clip": drift,
            "n_feet": int(len(dr)),
            "median_shank": float(np.median(dr)) if len(dr) else float("nan"),
            "abs_median_shank": float(np.median(np.abs(dr))) if len(dr) else float("nan"),
            "abs_p90_shank": float(np.percentile(np.abs(dr), 90)) if len(dr) else float("nan"),
            "sd_shank": robust_sd(dr),
        },
        "foot_wander": {
            "per_clip": wander,
            "n_feet_reps": int(sum(len(v) for v in wander.values())),
            "median_leg": float(np.median(np.concatenate(list(wander.values())))) if wander else float("nan"),
            "p90_leg": float(np.percentile(np.concatenate(list(wander.values())), 90)) if wander else float("nan"),
        },
        "clips_used": used,
        "notes": notes,
    }


def tables(m: dict) -> str:
    lines = ["## Jitter (raw − clean_track), robust SD per coordinate, pose-model px (n samples)", ""]
    head = "| group | visibility | " + " | ".join(f"legs {b}px" for b in m["leg_bins"]) + " | legs any |"
    lines += [head, "|" + "---|" * (len(m["leg_bins"]) + 3)]
    for g, cells in m["jitter"].items():
        for v in m["vis_bins"] + ["all"]:
            row = [cells[f"{v}|{lb}"] for lb in m["leg_bins"] + ["all"]]
            lines.append(f"| {g} | {v} | " + " | ".join(
                f"{c['sd_px']:.2f} ({c['n']})" if c["n"] else "– (0)" for c in row) + " |")
    lines += ["", "Relative to the legs' size (SD / hip–ankle length): " + ", ".join(
        f"{g} {c['relative_to_leg']:.4f}" for g, c in m["jitter"].items()), ""]
    t = m["turn_out"]
    lines += ["## Turn-out disagreement of the two feet (standing, front-facing frames)", "",
              "| clip | frames | left φ° | right φ° | half diff° |", "|---|---|---|---|---|"]
    for clip, v in t["per_clip"].items():
        lines.append(f"| {clip} | {v['frames']} | {v['left_deg']:.1f} | {v['right_deg']:.1f} | {v['half_diff_deg']:+.1f} |")
    lines += ["", f"|half diff| over {t['n_clips']} clips: median {t['abs_half_diff_median_deg']:.1f}°, "
              f"p90 {t['abs_half_diff_p90_deg']:.1f}° → per-foot SD (√2·1.4826·median) {t['per_foot_sd_deg']:.1f}° "
              "(the engine takes this as one toe point's turn-out error: vision/thresholds.py turn_out_error_one_foot)", "",
              f"Read from heel → toe instead: per-foot SD {t.get('heel_per_foot_sd_deg', float('nan')):.1f}°; its per-clip "
              f"half differences correlate {t.get('heel_toe_half_diff_correlation', float('nan')):.2f} with the toe "
              "point's (near 1: the heel is no independent reading of the foot's direction)", ""]
    d = m["toe_drift"]
    lines += ["## Toe drift while planted (toe_lateral bent − standing, standing shank lengths)", "",
              "| clip | standing fr | bent fr | left | right |", "|---|---|---|---|---|"]
    for clip, v in d["per_clip"].items():
        lines.append(f"| {clip} | {v['standing_frames']} | {v['bent_frames']} | {v['left']:+.3f} | {v['right']:+.3f} |")
    lines += ["", f"{d['n_feet']} feet: signed median {d['median_shank']:+.3f}, |drift| median "
              f"{d['abs_median_shank']:.3f}, p90 {d['abs_p90_shank']:.3f}, robust SD {d['sd_shank']:.3f} shank lengths", ""]
    w = m.get("foot_wander") or {}
    if w.get("per_clip"):
        lines += ["## Planted feet's wander over a rep (ankle, leg lengths, front-facing clips)", "",
                  f"{w['n_feet_reps']} feet × reps on {len(w['per_clip'])} clips: median {w['median_leg']:.3f}, "
                  f"p90 {w['p90_leg']:.3f} (a free foot must stand out from this; `bench/montecarlo.py --foot-wander`)", ""]
    lines += ["## Clips", ""] + [f"- {u}" for u in m["clips_used"]] + [f"- note: {n}" for n in m["notes"]]
    return "\n".join(lines)


def _finite(x):
    """NaN → null, so the JSON is standard."""
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    if isinstance(x, float) and not np.isfinite(x):
        return None
    return x


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    m = measure(args.cache, args.labels)
    print(tables(m))
    args.out.write_text(json.dumps(_finite(m), indent=1, allow_nan=False) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
