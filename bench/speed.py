"""Speed and memory of the engine against the naive OpenCV + MediaPipe loop, in the same run.

    python bench/speed.py [--videos DIR] [--clips A,B] [--no-long] [--no-memory] [--no-investigate]

Clips: three shared clips (720p landscape, 1080x1920 portrait, the 83 s one) and one long clip (>= 2 min)
made at run time by decoding shared clips, letterboxing them to 720x1280 and re-encoding them with
``vision.video.H264Writer`` into a temp folder (deleted afterwards; never committed).

Every measurement runs in a fresh subprocess so its peak RSS (``VmHWM``) is its own:

* ``naive``: ``cv2.VideoCapture`` -> ``cvtColor(BGR2RGB)`` -> ``mp.Image`` -> ``PoseLandmarker.detect_for_video``
  (VIDEO mode, MediaPipe's default options, i.e. ``num_poses=1``, same model file), one frame after another
  at full resolution, then the engine's ``analyze_track`` on its landmarks (small adapter to ``PoseTrack``).
* ``engine w1``: ``analyze_video(path)``; ``engine w2``: ``analyze_video(path, workers=2)`` for clips of at
  least ``PARALLEL_MIN_S``.

Wall time runs from before the pose model is created to the end of the analysis (Python imports are done
before the clock starts, in both). Investigation (``--no-investigate`` skips it): the engine's pose at full
resolution (landmark agreement 640 px vs full resolution), and the engine's pose with ``num_poses=1``.
Writes ``bench/results/speed.md`` and ``speed.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import code_fingerprint, git_state  # noqa: E402
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_VIDEOS = REPO.parent / "shared" / "videos"
RESULTS = REPO / "bench" / "results"
MODEL_FILE = REPO / "models" / "pose_landmarker_full.task"
CLIPS = [
    ("720p landscape", "front_side_bodyweight_crossfit_airsquat_01.mp4"),
    ("1080x1920 portrait", "side_jumpsquat_handheld_portrait_01.mp4"),
    ("83 s, 576x320", "mixed_bodyweight_home_amateur_long_01.mp4"),
]
LONG_SOURCES = [  # ~160 s in total, mostly portrait phone clips
    "front_bodyweight_good_office_01.mp4", "front_bodyweight_valgus_office_01.mp4",
    "side_dumbbell_gym_portrait_01.mp4", "rear45_barbell_phone_portrait_01.mp4",
    "side_bodyweight_livingroom_portrait_01.mp4", "side_two_people_correct_vs_wrong_h264_01.mp4",
    "neg_bicep_curl_gym_portrait_01.mp4", "side_jumpsquat_handheld_portrait_01.mp4",
    "mixed_tiktok_tips_talking_45deg_01.mp4", "front45_barbell_single_lowlight_01.mp4",
]
LONG_SIZE = (720, 1280)  # width, height
MEMORY_CUTS_S = (30, 60, 120)
SAME_REP_FRAMES = 2



# ==================================================================================================
# Child side: one measurement per process
# ==================================================================================================



def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _summary(result: dict) -> dict:
    return {"view": result["view"], "problems": [p["code"] for p in result["problems"]],
            "reps": [[r["start_s"], r["bottom_s"], r["end_s"], r["flags"]] for r in result["reps"]]}


def _naive(path: Path) -> tuple[dict, object]:
    """What a user would write: OpenCV decode, MediaPipe VIDEO mode, one frame after another."""
    import cv2
    import mediapipe as mp
    import numpy as np
    from mediapipe.tasks.python import BaseOptions, vision

    from vision.analysis import analyze_track
    from vision.landmarks import NUM_LANDMARKS
    from vision.track import PoseFrame, PoseTrack

    def to_frame(result, w: int, h: int) -> PoseFrame:  # the small adapter
        if not result.pose_landmarks:
            return PoseFrame.empty(0)
        pose = result.pose_landmarks[0]
        world = result.pose_world_landmarks[0] if result.pose_world_landmarks else None
        return PoseFrame(np.array([[p.x * w, p.y * h] for p in pose], float),
                         np.array([p.visibility or 0.0 for p in pose], float),
                         np.array([p.presence or 0.0 for p in pose], float),
                         np.array([[p.x, p.y, p.z] for p in world], float) if world
                         else np.full((NUM_LANDMARKS, 3), np.nan),
                         len(result.pose_landmarks))

    t = {"decode_s": 0.0, "pose_s": 0.0}
    options = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(MODEL_FILE)),
                                           running_mode=vision.RunningMode.VIDEO)
    landmarker = vision.PoseLandmarker.create_from_options(options)
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    times, frames, last_ms, size = [], [], -1, (0, 0)
    while True:
        a = time.perf_counter()
        ok, bgr = cap.read()
        if not ok:
            break
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        t_ms = max(int(cap.get(cv2.CAP_PROP_POS_MSEC)), last_ms + 1)
        last_ms = t_ms
        b = time.perf_counter()
        result = landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), t_ms)
        size = (rgb.shape[1], rgb.shape[0])
        frames.append(to_frame(result, *size))
        times.append(t_ms / 1000.0)
        t["decode_s"] += b - a
        t["pose_s"] += time.perf_counter() - b
    cap.release()
    landmarker.close()
    track = PoseTrack.from_frames(times, frames, *size)
    a0 = time.perf_counter()
    analysis = analyze_track(track, video_info={"fps": fps, "frames": len(track), "width": size[0],
                                                "height": size[1]}, source=path.name)
    t["analysis_s"] = time.perf_counter() - a0
    return t, analysis


def _engine_pose1(path: Path) -> tuple[dict, object]:
    """Investigation only: the engine's own loop with ``num_poses=1`` (vision.pose uses 2)."""
    from vision.analysis import INFERENCE_MAX_SIDE, analyze_track, rescale_track
    from vision.pose import PoseEstimator
    from vision.track import PoseTrack
    from vision.video import iter_frames, probe

    info = probe(path)
    t = {"decode_wait_s": 0.0, "pose_s": 0.0}
    times, frames, size = [], [], (0, 0)
    with PoseEstimator("full", max_people=1) as est:
        it = iter_frames(path, max_side=INFERENCE_MAX_SIDE)
        while True:
            a = time.perf_counter()
            fr = next(it, None)
            b = time.perf_counter()
            if fr is None:
                break
            frames.append(est.process(fr.rgb, fr.t_s))
            times.append(fr.t_s)
            size = (fr.rgb.shape[1], fr.rgb.shape[0])
            t["decode_wait_s"] += b - a
            t["pose_s"] += time.perf_counter() - b
    track = rescale_track(PoseTrack.from_frames(times, frames, *size), info.width, info.height)
    a0 = time.perf_counter()
    analysis = analyze_track(track, video_info=info.to_dict(), source=path.name)
    t["analysis_s"] = time.perf_counter() - a0
    return t, analysis


def child_measure(mode: str, path: Path, out: Path, save_track: Path | None) -> None:
    # Imports happen before the clock starts, for every mode.
    import mediapipe  # noqa: F401

    import vision.analysis
    import vision.pose  # noqa: F401

    load0 = os.getloadavg()[0]
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    w0 = time.perf_counter()
    if mode == "naive":
        stages, analysis = _naive(path)
    elif mode in ("engine1", "engine2"):
        from vision.analysis import analyze_video

        analysis = analyze_video(path, workers=int(mode[-1]))
        stages = dict(analysis.timings)
    elif mode == "fullres":
        from vision.analysis import extract_track

        stages = {}
        track = extract_track(path, max_side=None, timings=stages)
        analysis = type("A", (), {"track": track, "result": None})()
    elif mode == "pose1":
        stages, analysis = _engine_pose1(path)
    else:
        raise SystemExit(f"unknown mode {mode}")
    wall = time.perf_counter() - w0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    rc = resource.getrusage(resource.RUSAGE_CHILDREN)
    rec = {
        "mode": mode, "clip": path.name, "wall_s": wall, "frames": len(analysis.track),
        "fps": len(analysis.track) / wall if wall else 0.0,
        "stages": {k: v for k, v in stages.items() if isinstance(v, (int, float, list))},
        "cpu_self_s": (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime),
        "cpu_children_s": rc.ru_utime + rc.ru_stime,
        "peak_rss_mb": _status_kb("VmHWM") / 1024.0,
        "end_rss_mb": _status_kb("VmRSS") / 1024.0,
        "children_peak_rss_mb": rc.ru_maxrss / 1024.0,  # the largest single worker
        "threads": _status_kb("Threads"),
        "load1_start": load0,
        "result": _summary(analysis.result) if analysis.result else None,
    }
    if save_track:
        analysis.track.save(save_track)
    out.write_text(json.dumps(rec))


# ==================================================================================================
# Parent side
# ==================================================================================================


def _busy_jiffies() -> int:
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (parts + [0] * 8)[:8]
    return user + nice + system + irq + softirq + steal


def run_measure(mode: str, path: Path, tmp: Path, save_track: bool = False) -> dict:
    """One measurement in a fresh interpreter; also how busy the machine was with other work."""
    out = tmp / f"{mode}.{path.stem}.json"
    track = tmp / f"{mode}.{path.stem}.track.npz" if save_track else None
    cmd = [sys.executable, str(Path(__file__).resolve()), "--measure", mode, "--clip", str(path), "--result", str(out)]
    if track:
        cmd += ["--save-track", str(track)]
    hz = os.sysconf("SC_CLK_TCK")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    j0, w0 = _busy_jiffies(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    j1, w1 = _busy_jiffies(), time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"measurement {mode} {path.name} failed:\n{proc.stderr[-3000:]}")
    rec = json.loads(out.read_text())
    own = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    rec["others_cores"] = max(0.0, ((j1 - j0) / hz - own) / (w1 - w0))  # CPU used by other processes
    rec["process_wall_s"] = w1 - w0
    rec["track_file"] = str(track) if track else None
    print(f"  {mode:8s} {path.name}: {rec['frames']} frames, {rec['wall_s']:.1f} s, {rec['fps']:.1f} fps, "
          f"peak {rec['peak_rss_mb']:.0f} MB, others' load {rec['others_cores']:.2f} cores", file=sys.stderr, flush=True)
    return rec


def same_reps(a: dict | None, b: dict | None, fps: float, frames: int = SAME_REP_FRAMES) -> tuple[bool, str]:
    if not a or not b:
        return False, "n/a"
    ra, rb = a["reps"], b["reps"]
    if len(ra) != len(rb):
        return False, f"count {len(ra)} vs {len(rb)}"
    tol = frames / fps + 0.002
    for i, (x, y) in enumerate(zip(ra, rb), 1):
        if any(abs(x[k] - y[k]) > tol for k in range(3)):
            worst = max(abs(x[k] - y[k]) for k in range(3))
            return False, f"rep {i} times differ by {worst:.2f} s"
        if x[3] != y[3]:
            return False, f"rep {i} flags {x[3]} vs {y[3]}"
    return True, f"{len(ra)} reps"


def landmark_agreement(file_a: str, file_b: str) -> dict:
    """|a - b| per body landmark / image height, on frames where both found a person (same t)."""
    import numpy as np

    from vision.landmarks import BODY
    from vision.track import PoseTrack

    a, b = PoseTrack.load(file_a), PoseTrack.load(file_b)
    if not len(a) or not len(b):
        return {"frames": 0, "median": None, "p95": None, "found_mismatch": 0}
    # nearest frame in b for each frame in a; same frame when within 4 ms (OpenCV's times are whole ms)
    j = np.clip(np.searchsorted(b.t, a.t), 1, max(1, len(b.t) - 1))
    j = np.where(np.abs(b.t[j - 1] - a.t) <= np.abs(b.t[np.minimum(j, len(b.t) - 1)] - a.t), j - 1, j)
    j = np.minimum(j, len(b.t) - 1)
    ok = np.abs(b.t[j] - a.t) <= 0.004
    ia, ib = np.flatnonzero(ok), j[ok]
    common = ia
    d = np.linalg.norm(a.xy[ia][:, list(BODY)] - b.xy[ib][:, list(BODY)], axis=2) / a.height
    v = d[~np.isnan(d)]
    found_a = ~np.isnan(a.xy[ia, 23, 0])
    found_b = ~np.isnan(b.xy[ib, 23, 0])
    return {"frames": int(common.size), "median": float(np.median(v)) if v.size else None,
            "p95": float(np.percentile(v, 95)) if v.size else None,
            "found_mismatch": int((found_a != found_b).sum())}


def make_long_clip(videos: Path, tmp: Path) -> Path:
    """Concatenate shared clips, letterboxed to LONG_SIZE, re-encoded with H264Writer."""
    import cv2
    import numpy as np

    from vision.video import H264Writer, iter_frames

    out = tmp / "long_concat_720x1280.mp4"
    W, H = LONG_SIZE
    offset = 0.0
    with H264Writer(out, W, H, 30.0) as writer:
        for name in LONG_SOURCES:
            last = 0.0
            for fr in iter_frames(videos / name):
                h, w = fr.rgb.shape[:2]
                s = min(W / w, H / h)
                nw, nh = max(2, round(w * s)), max(2, round(h * s))
                img = cv2.resize(fr.rgb, (nw, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
                canvas = np.zeros((H, W, 3), np.uint8)
                y, x = (H - nh) // 2, (W - nw) // 2
                canvas[y:y + nh, x:x + nw] = img
                writer.write(canvas, t_s=offset + fr.t_s)
                last = fr.t_s
            offset += last + 1 / 30.0
    return out


def truncate(src: Path, dst: Path, seconds: float) -> Path:
    """Stream-copy the packets decoded before ``seconds`` (cut on dts, so B-frames stay decodable)."""
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w", format="mp4") as out:
        s = inp.streams.video[0]
        o = out.add_stream_from_template(s)
        for pkt in inp.demux(s):
            if pkt.dts is None:
                continue
            if pkt.dts * s.time_base >= seconds:
                break
            pkt.stream = o
            out.mux(pkt)
    return dst


def machine_info() -> dict:
    import importlib.metadata as md

    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal"))
    versions = {}
    for pkg in ("mediapipe", "opencv-contrib-python", "numpy", "av", "scipy"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gb": round(mem_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "packages": versions, "code": git_state(),
            "date": dt.datetime.now().astimezone().isoformat(timespec="minutes")}


def _mb(rec: dict) -> str:
    if rec["mode"] == "engine2":
        w = len(rec["stages"].get("worker_wall_s") or []) or 2
        return (f"{rec['peak_rss_mb']:.0f} + {w}×{rec['children_peak_rss_mb']:.0f}")
    return f"{rec['peak_rss_mb']:.0f}"


def markdown(data: dict) -> str:
    m = data["machine"]
    pk = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    out = ["### Speed: engine vs the naive loop", "",
           (f"`{data['command']}` — {m['date']}, git {m['code']}; {m['nproc']} × {m['cpu']}, {m['ram_gb']} GB RAM; "
           f"Python {m['python']}; {pk}. Wall time of the whole run {data['wall_s']:.0f} s."
            + (" **WARNING: vision/*.py changed during the run.**" if data.get("code_changed_during_run") else "")),
           "",
           ("Each row is a fresh process. *fps* = frames / wall (model load + decode + pose + analysis). "
           "*decode* = naive: `cap.read`+`cvtColor`; engine: time spent waiting for the decode thread. "
           "*pose* for w2 is summed over the workers. *CPU* = CPU seconds / wall (2.0 = both cores). "
           "*peak RSS* = VmHWM; for w2 parent + workers × largest worker. *others* = cores busy with other "
           "people's jobs during the row (the machine was shared)."), "",
           "| clip | size | frames | run | wall s | fps | decode s | pose s | analysis s | CPU | peak RSS MB | reps | others |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in data["clips"]:
        for mode in ("naive", "engine1", "engine2"):
            r = c["runs"].get(mode)
            if not r:
                continue
            st = r["stages"]
            dec = st.get("decode_s", st.get("decode_wait_s", 0.0))
            cpu = (r["cpu_self_s"] + r["cpu_children_s"]) / r["wall_s"]
            reps = len(r["result"]["reps"]) if r["result"] else "-"
            label = {"naive": "naive", "engine1": "engine w1", "engine2": "engine w2"}[mode]
            out.append(f"| {c['label']} | {c['size']} | {r['frames']} | {label} | {r['wall_s']:.1f} | {r['fps']:.1f} "
                       f"| {dec:.1f} | {st.get('pose_s', 0.0):.1f} | {st.get('analysis_s', 0.0):.2f} | {cpu:.2f} "
                       f"| {_mb(r)} | {reps} | {r['others_cores']:.2f} |")
    out += ["", "| clip | engine w1 / naive | engine w2 / naive | reps w1 = naive | reps w2 = naive | reps w2 = w1 | target (≥2× naive, same reps) |",
            "|---|---|---|---|---|---|---|"]
    for c in data["clips"]:
        s = c["summary"]
        r2 = f"{s['ratio_w2']:.2f}×" if s.get("ratio_w2") is not None else "n/a (< PARALLEL_MIN_S)"
        def fmt(v):
            return ("✓ " if v[0] else "✗ ") + v[1] if v else "n/a"
        out.append(f"| {c['label']} | {s['ratio_w1']:.2f}× | {r2} | {fmt(s['same_w1_naive'])} | {fmt(s.get('same_w2_naive'))} "
                   f"| {fmt(s.get('same_w2_w1'))} | {'met' if s['target_met'] else 'NOT met'} |")
    if data.get("memory"):
        out += ["", "Memory curve, engine w1 on the long clip truncated (peak RSS must not grow with length):", "",
                "| length s | frames | peak RSS MB | end RSS MB | fps |", "|---|---|---|---|---|"]
        for r in data["memory"]:
            out.append(f"| {r['length_s']:.0f} | {r['frames']} | {r['peak_rss_mb']:.0f} | {r['end_rss_mb']:.0f} | {r['fps']:.1f} |")
    inv = data.get("investigation")
    if inv:
        out += ["", "Investigation: where the time goes.", "",
                "| clip | run | fps | pose ms/frame | decode wait ms/frame | reps | reps = naive | reps = engine w1 |",
                "|---|---|---|---|---|---|---|---|"]
        for row in inv["runs"]:
            out.append(f"| {row['label']} | {row['run']} | {row['fps']:.1f} | {row['pose_ms']:.1f} | {row['decode_ms']:.1f} "
                       f"| {row['reps']} | {row['same_naive']} | {row['same_w1']} |")
        out += ["", ("Landmark agreement (shoulders, hips, knees, ankles, heels; |Δ| / image height, frames where both "
                "found a person):"), "",
                "| clip | comparison | frames | median | p95 | person found in only one |", "|---|---|---|---|---|---|"]
        for row in inv["landmarks"]:
            med = f"{row['median']:.4f}" if row["median"] is not None else "n/a"
            p95 = f"{row['p95']:.4f}" if row["p95"] is not None else "n/a"
            out.append(f"| {row['label']} | {row['comparison']} | {row['frames']} | {med} | {p95} | {row['found_mismatch']} |")
    out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--videos", type=Path, default=DEFAULT_VIDEOS)
    ap.add_argument("--clips", help="comma-separated subset of the shared clips (default: the three above)")
    ap.add_argument("--no-long", action="store_true", help="skip the long concatenated clip")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory curve")
    ap.add_argument("--no-investigate", action="store_true", help="skip full-res / num_poses=1 runs")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    ap.add_argument("--clip", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--save-track", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.measure:
        child_measure(args.measure, args.clip, args.result, args.save_track)
        return 0

    if not (args.videos / "labels.csv").is_file():
        print(f"error: shared clips not found at {args.videos}; pass --videos DIR", file=sys.stderr)
        return 2
    from vision.parallel import PARALLEL_MIN_S
    from vision.video import probe

    t_start = time.perf_counter()
    fingerprint = code_fingerprint()
    machine = machine_info()
    print(f"machine: {machine}", file=sys.stderr)
    clips = [(lbl, args.videos / f) for lbl, f in CLIPS]
    if args.clips:
        wanted = set(args.clips.split(","))
        clips = [(lbl, p) for lbl, p in clips if p.name in wanted] + \
                [(p, args.videos / p) for p in wanted if p not in {f for _, f in CLIPS}]
    tmp = Path(tempfile.mkdtemp(prefix="squatcheck-speed-"))
    data: dict = {"machine": machine, "clips": [], "memory": [], "investigation": None,
                  "command": "python bench/speed.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")}
    try:
        long_clip = None
        if not args.no_long:
            c0 = time.perf_counter()
            long_clip = make_long_clip(args.videos, tmp)
            print(f"long clip: {probe(long_clip).duration_s:.1f} s made in {time.perf_counter() - c0:.0f} s", file=sys.stderr)
            clips.append(("long concat (≥ 2 min), 720x1280", long_clip))
        investigate = not args.no_investigate
        inv = {"runs": [], "landmarks": []}
        for label, path in clips:
            info = probe(path)
            print(f"{label}: {path.name} ({info.width}x{info.height}, {info.duration_s:.1f} s)", file=sys.stderr)
            runs = {"naive": run_measure("naive", path, tmp, save_track=investigate),
                    "engine1": run_measure("engine1", path, tmp, save_track=investigate)}
            if info.duration_s >= PARALLEL_MIN_S:
                runs["engine2"] = run_measure("engine2", path, tmp)
            n, e1, e2 = runs["naive"], runs["engine1"], runs.get("engine2")
            s = {"ratio_w1": n["wall_s"] / e1["wall_s"],
                 "ratio_w2": n["wall_s"] / e2["wall_s"] if e2 else None,
                 "same_w1_naive": same_reps(n["result"], e1["result"], info.fps),
                 "same_w2_naive": same_reps(n["result"], e2["result"], info.fps) if e2 else None,
                 "same_w2_w1": same_reps(e1["result"], e2["result"], info.fps) if e2 else None}
            best = max(s["ratio_w1"], s["ratio_w2"] or 0.0)
            best_same = s["same_w2_naive"] if (e2 and s["ratio_w2"] >= s["ratio_w1"]) else s["same_w1_naive"]
            s["target_met"] = bool(best >= 2.0 and best_same[0])
            data["clips"].append({"label": label, "file": path.name, "size": f"{info.width}x{info.height}",
                                  "duration_s": info.duration_s, "fps": info.fps, "runs": runs, "summary": s})
            if investigate:
                full = run_measure("fullres", path, tmp, save_track=True)
                p1 = run_measure("pose1", path, tmp, save_track=True)
                for name, r in (("engine w1 (num_poses=2, 640 px)", e1), ("engine pose at full res (num_poses=2)", full),
                                ("engine loop with num_poses=1, 640 px", p1), ("naive (num_poses=1, full res)", n)):
                    st = r["stages"]
                    frames = max(1, r["frames"])
                    inv["runs"].append({
                        "label": label, "run": name, "fps": r["fps"], "pose_ms": 1000 * st.get("pose_s", 0.0) / frames,
                        "decode_ms": 1000 * st.get("decode_wait_s", st.get("decode_s", 0.0)) / frames,
                        "reps": len(r["result"]["reps"]) if r["result"] else "-",
                        "same_naive": same_reps(n["result"], r["result"], info.fps)[1] if r["result"] else "-",
                        "same_w1": same_reps(e1["result"], r["result"], info.fps)[1] if r["result"] else "-"})
                for comp, a, b in (("640 px vs full res (engine pose, num_poses=2)", e1, full),
                                   ("num_poses=1 vs 2 (640 px)", e1, p1),
                                   ("engine w1 vs naive", e1, n)):
                    inv["landmarks"].append({"label": label, "comparison": comp,
                                             **landmark_agreement(a["track_file"], b["track_file"])})
        if investigate:
            data["investigation"] = inv
        if long_clip is not None and not args.no_memory:
            full_run = data["clips"][-1]["runs"]["engine1"]
            for cut in MEMORY_CUTS_S:
                part = truncate(long_clip, tmp / f"long_{cut}s.mp4", cut)
                r = run_measure("engine1", part, tmp)
                data["memory"].append({"length_s": probe(part).duration_s, **{k: r[k] for k in
                                       ("frames", "peak_rss_mb", "end_rss_mb", "fps", "others_cores")}})
            data["memory"].append({"length_s": probe(long_clip).duration_s, **{k: full_run[k] for k in
                                   ("frames", "peak_rss_mb", "end_rss_mb", "fps", "others_cores")}})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    data["wall_s"] = time.perf_counter() - t_start
    data["code_changed_during_run"] = code_fingerprint() != fingerprint
    md = markdown(data)
    print(md)
    print(f"wall time: {data['wall_s']:.1f} s")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "speed.md").write_text(md)
    for c in data["clips"]:
        for r in c["runs"].values():
            r.pop("track_file", None)
    (args.out / "speed.json").write_text(json.dumps(data, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
