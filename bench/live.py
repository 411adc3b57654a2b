"""Live page throughput and latency: a 640x480 camera at 30 fps through the live page's own frame path.

    python bench/live.py [--clip NAME] [--videos DIR] [--seconds S]

A shared clip is letterboxed to 640x480 and played as a camera: a producer thread stamps each frame (a
yuv420p ``av.VideoFrame`` with its timestamp, as WebRTC decodes a camera) and queues it at 30 fps. A
consumer thread does what streamlit-webrtc's worker does with ``queued_video_frames_callback``: it takes
every frame queued since its last call and runs the page's own callback (``ui.live_page._make_callback``:
conversion to RGB, pose, smoothing, rep counting, judging, drawing the overlay, conversion back to a video
frame) on them; the callback drops the frames that would be too late (``STALE_S``). A third thread
refreshes the Reps tile every ``POLL_S`` as the page's status fragment does. Measured:

* analysed frames per second (frames analysed / wall time);
* capture-to-overlay latency per returned picture (picture ready − the newest frame's capture stamp): the
  time a frame waits in the queue plus the analysis; WebRTC encoding, loopback transport and the
  browser's jitter buffer are not included (they are the browser's, not the engine's);
* frames dropped as stale;
* pictures whose drawn rep count differs from what the Reps tile showed at that moment, and how long a
  new rep takes to appear on the picture after it was counted;
* the naive loop on the same frames for scale (MediaPipe only, one frame after another, no pacing).

Writes ``bench/results/live.md`` and ``live.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import git_state  # noqa: E402

import numpy as np  # noqa: E402

CAMERA_FPS = 30.0
SIZE = (640, 480)


def camera_frames(path: Path, seconds: float) -> list[np.ndarray]:
    """The clip's first ``seconds`` as 640x480 RGB frames (letterboxed, aspect kept)."""
    import cv2

    from vision.images import letterbox

    cap = cv2.VideoCapture(str(path))
    frames = []
    while len(frames) < seconds * CAMERA_FPS:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(letterbox(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), *SIZE))
    cap.release()
    return frames


def run_live(frames: list[np.ndarray]) -> dict:
    """Play ``frames`` as a 30 fps camera into the live page's callback; see the module docstring."""
    import asyncio
    import queue
    from fractions import Fraction

    import av

    from ui.live_page import POLL_S, LiveSession, _make_callback

    sess = LiveSession()
    callback = _make_callback(sess)
    video = [av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p") for rgb in frames]
    for i, frame in enumerate(video):   # WebRTC frames carry their capture time
        frame.pts, frame.time_base = i, Fraction(1, int(CAMERA_FPS))
    sess.process_rgb(frames[0])            # model start-up, as when the page's START is pressed
    sess.end_set("stop")
    sess.active = True
    inbox: queue.Queue = queue.Queue()
    done = threading.Event()
    stats = {"produced": 0, "latency": [], "work": [], "pictures": 0,
             "drawn": [], "live": [], "tile": []}   # (time, rep count) on the picture / counted / on the Reps tile

    def camera():
        t0 = time.monotonic()
        for i, frame in enumerate(video):
            due = t0 + i / CAMERA_FPS
            time.sleep(max(0.0, due - time.monotonic()))
            inbox.put((frame, time.monotonic()))
            stats["produced"] += 1
        done.set()
        inbox.put(None)

    def worker():
        # what streamlit-webrtc's worker thread does: wait for a frame, take every frame queued meanwhile,
        # hand them all to the page's callback, send back the picture it returns
        loop = asyncio.new_event_loop()
        while True:
            batch = [inbox.get()]
            while not inbox.empty():
                batch.append(inbox.get_nowait())
            last = batch[-1] is None
            batch = [item for item in batch if item is not None]
            if batch:
                began = time.monotonic()
                loop.run_until_complete(callback([frame for frame, _ in batch]))
                now = time.monotonic()
                stats["latency"].append(now - batch[-1][1])   # the picture returned is the newest frame's
                stats["work"].append((now - began) / len(batch))
                stats["pictures"] += 1
                stats["drawn"].append((now, sess.drawn_count))
                stats["live"].append((now, sess.snapshot["rep_count"]))
            if last:
                loop.close()
                return

    def tile():
        # what the page's status fragment does every POLL_S: show the snapshot's count on the Reps tile
        while not done.is_set() or threads[1].is_alive():
            snap = sess.snapshot
            stats["tile"].append((time.monotonic(), snap["rep_count"]))   # shown, then handed to the video
            sess.tile_shows(snap)
            time.sleep(POLL_S)

    threads = [threading.Thread(target=camera), threading.Thread(target=worker), threading.Thread(target=tile)]
    t0 = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.monotonic() - t0
    analysed = sess.snapshot["frames"]
    ended = sess.end_set("stop")
    sess.close()
    lat = np.array(stats["latency"]) * 1000
    work = np.array(stats["work"]) * 1000
    return {"wall_s": round(wall, 2), "camera_frames": stats["produced"], "analysed": analysed,
            "dropped": sess.dropped, "fps": round(analysed / wall, 1),
            "latency_ms_median": round(float(np.median(lat)), 1), "latency_ms_p95": round(float(np.percentile(lat, 95)), 1),
            "work_ms_median": round(float(np.median(work)), 1), "work_ms_max": round(float(work.max()), 1),
            "slower_than_a_frame": int(np.sum(work > 1000 / CAMERA_FPS)),
            "reps": ended.analyzer.state.rep_count if ended else 0,
            "pictures_disagreeing": _disagreements(stats["drawn"], stats["tile"]),
            "pictures": stats["pictures"],
            "video_behind_count_ms_max": _longest_behind(stats["drawn"], stats["live"])}


def _disagreements(drawn: list[tuple[float, int]], tile: list[tuple[float, int]]) -> int:
    """Pictures whose drawn rep count differs from what the Reps tile showed when the picture was sent."""
    times = [t for t, _ in tile]
    n = 0
    for t, count in drawn:
        k = int(np.searchsorted(times, t, side="right")) - 1
        n += k >= 0 and tile[k][1] != count
    return n


def _longest_behind(drawn: list[tuple[float, int]], live: list[tuple[float, int]]) -> float | None:
    """Longest time (ms) from a rep being counted to the picture showing it (the tile's refresh period)."""
    lags = []
    for n in range(1, max((c for _, c in live), default=0) + 1):
        t_counted = next(t for t, c in live if c >= n)
        t_drawn = next((t for t, c in drawn if c >= n), None)
        if t_drawn is not None:
            lags.append(t_drawn - t_counted)
    return round(1000 * max(lags)) if lags else None


def run_naive(frames: list[np.ndarray]) -> dict:
    """MediaPipe alone on the same frames, back to back (VIDEO mode, one pose)."""
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from vision.pose import resolve_model

    opts = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(resolve_model("full"))),
                                        running_mode=vision.RunningMode.VIDEO)
    with vision.PoseLandmarker.create_from_options(opts) as lm:
        lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=frames[0]), 0)
        t0 = time.perf_counter()
        for i, rgb in enumerate(frames[1:], 1):
            lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), int(i * 1000 / CAMERA_FPS))
        wall = time.perf_counter() - t0
    return {"fps": round((len(frames) - 1) / wall, 1), "ms_per_frame": round(1000 * wall / (len(frames) - 1), 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=Path, default=REPO.parent / "shared" / "videos")
    ap.add_argument("--clip", default="front_bodyweight_good_office_01.mp4")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = ap.parse_args()
    path = args.videos / args.clip
    if not path.is_file():
        print(f"missing {path}: the shared clips are needed", file=sys.stderr)
        return 2
    frames = camera_frames(path, args.seconds)
    live = run_live(frames)
    naive = run_naive(frames)
    state = git_state()
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"`python bench/live.py --clip {args.clip}` — {when}, git {state}, {platform.processor() or platform.machine()}, "
             f"Python {platform.python_version()}; {len(frames)} frames of 640x480 at {CAMERA_FPS:.0f} fps "
             f"({len(frames) / CAMERA_FPS:.1f} s)", "",
             "| measure | live page frame path | naive (MediaPipe only, unpaced) |", "|---|---|---|",
             f"| analysed frames per second | **{live['fps']}** | {naive['fps']} |",
             f"| capture → overlay latency, median / p95 | **{live['latency_ms_median']} / {live['latency_ms_p95']} ms** | "
             f"{naive['ms_per_frame']} ms a frame |",
             f"| analysis of one frame, median / max; frames slower than 1/30 s | {live['work_ms_median']} / "
             f"{live['work_ms_max']} ms; {live['slower_than_a_frame']} | |",
             f"| camera frames / analysed / dropped as stale | {live['camera_frames']} / {live['analysed']} / "
             f"{live['dropped']} | |",
             f"| reps counted | {live['reps']} | |",
             f"| pictures whose rep count differs from the Reps tile's | {live['pictures_disagreeing']} of "
             f"{live['pictures']} | |",
             f"| a new rep on the video after it was counted, longest (the tile refreshes every 0.25 s) "
             f"| {live['video_behind_count_ms_max']} ms | |"]
    text = "\n".join(lines)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "live.md").write_text(text + "\n")
    (args.out / "live.json").write_text(json.dumps({"when": when, "git": state, "clip": args.clip,
                                                    "live": live, "naive": naive}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
