"""Batch throughput: the sequential CLI against ``--cluster local`` on the same folder, plus Ray's own costs.

    python bench/batch.py [--videos DIR] [--clips A,B,...] [--out DIR]

Run it once, on a quiet machine (it prints the load average before and after). Steps:

1. A temp folder with the clips (copied; default: eight short labelled clips, 2-5 s each).
2. ``python -m vision analyze FOLDER --json OUT --quiet``: the sequential CLI, whole process timed.
3. ``python -m vision analyze FOLDER --cluster local --json OUT --quiet``: the batch, whole process
   timed (starting Ray, the clips, stopping Ray); its JSONs are checked equal to step 2's.
4. In this process, for where the time goes: Ray start-up (``vision.batch.connect("local")``), the first
   task on a fresh worker that imports the engine (MediaPipe), the round trip of an empty task, of a
   task given a 3 MB clip-sized argument, the driver's own work per clip (probe + read), and shutdown.

Prints a Markdown table and writes it (plus JSON) to ``bench/results/batch.md`` / ``batch.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import statistics
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
CLIPS = [  # short labelled clips, several sizes and containers
    "front_barbell_highbar_short_01.mp4", "45deg_overheadsquat_good_01.mov",
    "front_bodyweight_night_outdoor_portrait_01.mp4", "front_overheadsquat_good_01.mov",
    "front_bodyweight_valgus_prisoner_portrait_01.mp4", "side_bodyweight_labeled_correct_rot90_01.mp4",
    "side_bodyweight_labeled_too_deep_rot90_01.mp4", "rear_barbell_01.mp4",
]


def timed_cli(*args) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "vision", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=3600)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(map(str, args))}\n{proc.stderr}")
    return wall


def noop():
    return None


def arg_len(data: bytes) -> int:
    return len(data)


def import_engine() -> float:
    t0 = time.perf_counter()
    import vision.analysis  # noqa: F401
    import vision.pose  # noqa: F401  (MediaPipe)
    return time.perf_counter() - t0


def ray_costs(folder: Path) -> dict:
    import ray

    from vision.batch import connect
    from vision.video import probe

    out = {}
    t0 = time.perf_counter()
    cluster = connect("local")
    out["startup_s"] = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        out["first_task_import_s"] = ray.get(ray.remote(import_engine).remote())
        out["first_task_round_trip_s"] = time.perf_counter() - t0
        task = ray.remote(noop)
        ray.get(task.remote())
        lat = []
        for _ in range(200):
            t0 = time.perf_counter()
            ray.get(task.remote())
            lat.append(time.perf_counter() - t0)
        out["empty_task_ms"] = 1000 * statistics.median(lat)
        t0 = time.perf_counter()
        ray.get([task.remote() for _ in range(1000)])
        out["empty_tasks_per_s"] = 1000 / (time.perf_counter() - t0)
        blob = os.urandom(3 * 1024 * 1024)
        sized = ray.remote(arg_len)
        ray.get(sized.remote(blob))
        lat = []
        for _ in range(20):
            t0 = time.perf_counter()
            ray.get(sized.remote(blob))
            lat.append(time.perf_counter() - t0)
        out["task_with_3mb_arg_ms"] = 1000 * statistics.median(lat)
        per_clip = []
        for clip in sorted(folder.iterdir()):
            t0 = time.perf_counter()
            probe(clip)
            clip.read_bytes()
            per_clip.append(time.perf_counter() - t0)
        out["driver_ms_per_clip"] = 1000 * statistics.mean(per_clip)
    finally:
        t0 = time.perf_counter()
        cluster.close()
        out["shutdown_s"] = time.perf_counter() - t0
    return out


def same_json(a: Path, b: Path) -> bool:
    files = sorted(p.name for p in a.glob("*.json"))
    return files == sorted(p.name for p in b.glob("*.json")) and all(
        json.loads((a / f).read_text()) == json.loads((b / f).read_text()) for f in files)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=Path, default=DEFAULT_VIDEOS)
    ap.add_argument("--clips", help="comma-separated clip names (default: eight short ones)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    names = args.clips.split(",") if args.clips else CLIPS
    os.chdir(REPO)  # Ray's local workers start in the driver's directory: they import vision from here
    fingerprint = code_fingerprint()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="squatcheck-bench-batch-") as tmp:
        tmp = Path(tmp)
        folder = tmp / "clips"
        folder.mkdir()
        for name in names:
            shutil.copyfile(args.videos / name, folder / name)
        from vision.video import probe

        seconds_of_video = sum(probe(folder / n).duration_s for n in names)
        seq_s = timed_cli("analyze", folder, "--json", tmp / "seq", "--quiet")
        ray_s = timed_cli("analyze", folder, "--cluster", "local", "--json", tmp / "ray", "--quiet")
        with open(tmp / "ray" / "summary.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        task_s = [float(r["seconds"]) for r in rows]
        equal = same_json(tmp / "seq", tmp / "ray")
        costs = ray_costs(folder)
    load_after = os.getloadavg()
    n = len(names)
    busy = ray_s - costs["startup_s"] - costs["shutdown_s"]
    res = {
        "date": time.strftime("%Y-%m-%d %H:%M"), "git": git_state(), "python": platform.python_version(),
        "cpus": os.cpu_count(), "load_before": load_before, "load_after": load_after,
        "clips": names, "video_s": seconds_of_video,
        "sequential_s": seq_s, "cluster_local_s": ray_s, "json_equal": equal,
        "task_s": task_s, "costs": costs,
        "sequential_clips_per_min": 60 * n / seq_s, "cluster_clips_per_min": 60 * n / ray_s,
        "cluster_busy_clips_per_min": 60 * n / busy,
    }
    if code_fingerprint() != fingerprint:
        sys.exit("the engine's source changed during the run: results discarded")
    c = costs
    lines = [
        f"Batch benchmark, {res['date']}, git {res['git']}, Python {res['python']}, {res['cpus']} CPUs, "
        f"load average {load_before[0]:.1f} before / {load_after[0]:.1f} after.",
        f"{n} clips, {seconds_of_video:.1f} s of video in all; JSONs of the two runs equal: {equal}.",
        "",
        "| run | wall s | clips/min |",
        "|---|---|---|",
        f"| sequential `analyze FOLDER` (one process) | {seq_s:.1f} | {res['sequential_clips_per_min']:.1f} |",
        f"| `analyze FOLDER --cluster local` (whole command) | {ray_s:.1f} | {res['cluster_clips_per_min']:.1f} |",
        f"| the same without Ray start-up and shutdown | {busy:.1f} | {res['cluster_busy_clips_per_min']:.1f} |",
        "",
        "| Ray cost | value |",
        "|---|---|",
        f"| local Ray start-up (`connect('local')`) | {c['startup_s']:.2f} s |",
        f"| first task on a fresh worker: engine import inside it / round trip | "
        f"{c['first_task_import_s']:.2f} s / {c['first_task_round_trip_s']:.2f} s |",
        f"| empty task round trip (median of 200) | {c['empty_task_ms']:.2f} ms |",
        f"| empty tasks, 1000 in flight | {c['empty_tasks_per_s']:.0f} /s |",
        f"| task with a 3 MB argument (a clip's bytes), round trip | {c['task_with_3mb_arg_ms']:.1f} ms |",
        f"| driver's own work per clip (probe + read) | {c['driver_ms_per_clip']:.1f} ms |",
        f"| shutdown | {c['shutdown_s']:.2f} s |",
        f"| per-clip time inside the tasks (mean / max, 2 at a time) | "
        f"{statistics.mean(task_s):.2f} s / {max(task_s):.2f} s |",
    ]
    text = "\n".join(lines)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "batch.md").write_text(text + "\n")
    (args.out / "batch.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
