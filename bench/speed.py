"""Speed and memory of the default CLI run against the naive OpenCV + MediaPipe loop, in the same run.

    python bench/speed.py [--videos DIR] [--clips A,B] [--pairs N] [--no-long] [--no-memory]

Clips: three shared clips (720p landscape, 1080x1920 portrait, the 83 s one) and one long clip (>= 2 min)
made at run time by decoding shared clips, letterboxing them to 720x1280 and re-encoding them with
``vision.video_writer.H264Writer`` into a temp folder (deleted afterwards; never committed).

Per clip, ``--pairs`` (default 3) alternating pairs of whole processes, each timed from start to exit:

* ``naive``: ``cv2.VideoCapture`` -> ``cvtColor(BGR2RGB)`` -> ``mp.Image`` -> ``PoseLandmarker.detect_for_video``
  (VIDEO mode, MediaPipe's default options, i.e. one pose, tracking; same model file), one frame after
  another at full resolution, then the engine's ``analyze_track`` on its landmarks (small adapter).
* ``cli``: ``python -m vision analyze CLIP --quiet --json OUT``, the default command a user runs.

The ratio is cli / naive wall time per pair; the table shows the median. Peak memory is the largest sum of
RSS over the CLI's process tree (parent + pose workers), sampled every 50 ms. Once per clip, for where the
time goes: ``engine w1`` (``analyze_video(path, AnalysisOptions(workers=1))``, in-process stage timings) and
``every-frame w1`` (the previous default: pose on every frame).
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
MODEL_ENV = "SQUATCHECK_BENCH_MODEL"  # --model, handed to the child processes


def bench_model() -> str:
    """The pose model this run measures (``--model``: lite, full or heavy); the naive loop and the CLI use the same."""
    return os.environ.get(MODEL_ENV, "full")
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
    from vision.pose import resolve_model

    options = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(resolve_model(bench_model()))),
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
    elif mode in ("engine1", "every1"):
        from vision.analysis import EVERY_FRAME, FAST, AnalysisOptions, analyze_video

        analysis = analyze_video(path, AnalysisOptions(workers=1, extraction=FAST if mode == "engine1" else EVERY_FRAME,
                                                       model=bench_model()))
        stages = dict(analysis.timings)
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


def make_long_clip(videos: Path, tmp: Path) -> Path:
    """Concatenate shared clips, letterboxed to LONG_SIZE, re-encoded with H264Writer."""
    import cv2
    import numpy as np

    from vision.video import iter_frames
    from vision.video_writer import H264Writer

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


def _tree_rss_kb(pid: int) -> int:
    """Summed VmRSS of ``pid`` and all its descendants (0 for processes that are gone)."""
    kids: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            kids.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += kids.get(p, [])
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def run_process(cmd: list[str], label: str) -> dict:
    """A whole process timed from start to exit, with the peak summed RSS of its process tree."""
    w0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kb(proc.pid))
        time.sleep(0.05)
    wall = time.perf_counter() - w0
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{label} failed ({proc.returncode}):\n{err[-3000:]}")
    print(f"  {label}: {wall:.1f} s, peak {peak / 1024:.0f} MB", file=sys.stderr, flush=True)
    return {"wall_s": wall, "peak_tree_mb": peak / 1024.0}


def naive_process(path: Path, tmp: Path) -> dict:
    out = tmp / f"naive.{path.stem}.json"
    rec = run_process([sys.executable, str(Path(__file__).resolve()), "--measure", "naive", "--clip", str(path),
                       "--result", str(out)], f"naive {path.name}")
    rec["result"] = json.loads(out.read_text())["result"]
    return rec


def cli_process(path: Path, tmp: Path) -> dict:
    out = tmp / f"cli.{path.stem}.json"
    rec = run_process([sys.executable, "-m", "vision", "analyze", str(path), "--quiet", "--json", str(out),
                       "--model", bench_model()], f"cli {path.name}")
    rec["result"] = _summary(json.loads(out.read_text()))
    return rec


def markdown(data: dict) -> str:
    m = data["machine"]
    pk = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    out = [f"### Speed: the default CLI run vs the naive loop (model `{data.get('model', 'full')}`)", "",
           (f"`{data['command']}` — {m['date']}, git {m['code']}; {m['nproc']} × {m['cpu']}, {m['ram_gb']} GB RAM; "
           f"Python {m['python']}; {pk}. Wall time of the whole benchmark {data['wall_s']:.0f} s."
            + (" **WARNING: vision/*.py changed during the run.**" if data.get("code_changed_during_run") else "")),
           "",
           ("Whole processes, start to exit (Python start-up and imports included in both). *ratio* = CLI / naive "
           "wall time, median over the pairs (each pair run back to back). *peak MB* = the largest summed RSS of "
           "the process tree (the CLI's parent plus its pose workers)."), "",
           "| clip | size | frames | naive s | CLI s | ratio (median) | ratios of the pairs | CLI peak MB | naive peak MB | reps naive / CLI |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for c in data["clips"]:
        s = c["summary"]
        out.append(f"| {c['label']} | {c['size']} | {c['frames']} | {s['naive_s']:.1f} | {s['cli_s']:.1f} "
                   f"| **{s['ratio']:.2f}×** | {', '.join(f'{r:.2f}' for r in s['ratios'])} | {s['cli_peak_mb']:.0f} "
                   f"| {s['naive_peak_mb']:.0f} | {s['reps_naive']} / {s['reps_cli']} |")
    out += ["", "Where the time goes (one process each, stage timings from inside; *pose frames* = frames that got "
            "pose inference, the rest interpolated):", "",
            "| clip | run | wall s | pose frames | decode wait s | pose s | analysis s | reps |",
            "|---|---|---|---|---|---|---|---|"]
    for c in data["clips"]:
        for mode, label in (("engine1", "sampled pose, 1 process"), ("every1", "pose on every frame (old default), 1 process")):
            r = c["runs"].get(mode)
            if not r:
                continue
            st = r["stages"]
            out.append(f"| {c['label']} | {label} | {r['wall_s']:.1f} | {st.get('pose_frames', r['frames'])} "
                       f"| {st.get('decode_wait_s', 0.0):.1f} | {st.get('pose_s', 0.0):.1f} "
                       f"| {st.get('analysis_s', 0.0):.2f} "
                       f"| {len(r['result']['reps']) if r['result'] else '-'} |")
    if data.get("memory"):
        out += ["", "Memory with clip length, default CLI run on the long clip truncated (peak must not grow with length):",
                "", "| length s | CLI wall s | peak MB (process tree) |", "|---|---|---|"]
        for r in data["memory"]:
            out.append(f"| {r['length_s']:.0f} | {r['wall_s']:.1f} | {r['peak_tree_mb']:.0f} |")
    out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--videos", type=Path, default=DEFAULT_VIDEOS)
    ap.add_argument("--clips", help="comma-separated subset of the shared clips (default: the three above)")
    ap.add_argument("--pairs", type=int, default=3, help="naive/CLI pairs per clip (default 3)")
    ap.add_argument("--no-long", action="store_true", help="skip the long concatenated clip")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory curve")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--model", choices=("lite", "full", "heavy"), default=None,
                    help="pose model for both the naive loop and the CLI (default full)")
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    ap.add_argument("--clip", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--save-track", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.model:
        os.environ[MODEL_ENV] = args.model
    if args.measure:
        child_measure(args.measure, args.clip, args.result, args.save_track)
        return 0

    if not (args.videos / "labels.csv").is_file():
        print(f"error: shared clips not found at {args.videos}; pass --videos DIR", file=sys.stderr)
        return 2
    import statistics

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
    data: dict = {"machine": machine, "clips": [], "memory": [], "model": bench_model(),
                  "command": "python bench/speed.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")}
    try:
        long_clip = None
        if not args.no_long:
            c0 = time.perf_counter()
            long_clip = make_long_clip(args.videos, tmp)
            print(f"long clip: {probe(long_clip).duration_s:.1f} s made in {time.perf_counter() - c0:.0f} s", file=sys.stderr)
            clips.append(("long concat (≥ 2 min), 720x1280", long_clip))
        for label, path in clips:
            info = probe(path)
            print(f"{label}: {path.name} ({info.width}x{info.height}, {info.duration_s:.1f} s)", file=sys.stderr)
            pairs = []
            for _ in range(max(1, args.pairs)):
                pairs.append((naive_process(path, tmp), cli_process(path, tmp)))
            runs = {"engine1": run_measure("engine1", path, tmp), "every1": run_measure("every1", path, tmp)}
            ratios = [c["wall_s"] / n["wall_s"] for n, c in pairs]
            s = {"ratio": statistics.median(ratios), "ratios": ratios,
                 "naive_s": statistics.median(n["wall_s"] for n, _ in pairs),
                 "cli_s": statistics.median(c["wall_s"] for _, c in pairs),
                 "cli_peak_mb": max(c["peak_tree_mb"] for _, c in pairs),
                 "naive_peak_mb": max(n["peak_tree_mb"] for n, _ in pairs),
                 "reps_naive": len(pairs[0][0]["result"]["reps"]), "reps_cli": len(pairs[0][1]["result"]["reps"])}
            data["clips"].append({"label": label, "file": path.name, "size": f"{info.width}x{info.height}",
                                  "frames": info.frames, "duration_s": info.duration_s, "fps": info.fps,
                                  "pairs": [{"naive": n, "cli": c} for n, c in pairs], "runs": runs, "summary": s})
        if long_clip is not None and not args.no_memory:
            for cut in MEMORY_CUTS_S:
                part = truncate(long_clip, tmp / f"long_{cut}s.mp4", cut)
                r = cli_process(part, tmp)
                data["memory"].append({"length_s": probe(part).duration_s, "wall_s": r["wall_s"],
                                       "peak_tree_mb": r["peak_tree_mb"]})
            last = data["clips"][-1]
            data["memory"].append({"length_s": last["duration_s"], "wall_s": last["summary"]["cli_s"],
                                   "peak_tree_mb": last["summary"]["cli_peak_mb"]})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    data["wall_s"] = time.perf_counter() - t_start
    data["code_changed_during_run"] = code_fingerprint() != fingerprint
    md = markdown(data)
    print(md)
    print(f"wall time: {data['wall_s']:.1f} s")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "speed.md").write_text(md)
    (args.out / "speed.json").write_text(json.dumps(data, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
