"""Pose extraction for long clips split into segments that run at the same time.

MediaPipe's pose landmarker runs on one CPU core (measured: process CPU time / wall time ~0.95
during inference), so a second core is only used by the decoder thread. For clips of at least
``PARALLEL_MIN_S`` seconds, :func:`extract_track_parallel` cuts ``[0, duration)`` into one
contiguous time segment per worker and runs :func:`vision.extraction.extract_track` on each. A worker
is a thread of this process by default (each landmarker runs its graph on a native thread of its
own, outside the GIL, so two segments use two cores with one copy of the libraries in memory), or
a spawned process (``backend="processes"``).

Seams: every segment but the first starts decoding ``OVERLAP_S`` seconds early, so the landmarker's
tracker and landmark smoothing have settled by the segment's own start; those warm-up frames are
dropped when the segments are stitched. The stitched track has the same frames (same presentation
timestamps) as a sequential run. The landmarks are not always bit-identical: MediaPipe's VIDEO-mode
tracker carries state from frame to frame. Measured: identical when the landmarker runs its person
detector on every frame (``num_poses`` > 1), within ~0.8 % of the image height (per frame, the worst
body landmark) with the one-pose tracker; rep results were the same (tests/test_parallel.py).

The state that need not settle is *whom* the segment follows: it starts with no memory of the
person the sequential run was following, so with two people in view it can pick the other one.
Every seam is therefore checked: the warm-up frames just before the seam must follow the same person
as the already-final frames there. A segment that fails is re-extracted in this process from the last
frame before the seam where exactly one person was counted, or from the start of the clip if that
still disagrees, so the result stays the sequential one at the cost of time
(``timings["seam_repairs"]`` lists what was redone).

Segments are balanced by work, not by length: the first segment has no warm-up to decode, so it is
``OVERLAP_S`` seconds longer than the others and every worker processes about the same number of
frames.

With threads, a failing segment stops the others at their next frame and its exception is raised
in the caller (a :class:`~vision.errors.SquatCheckError` as it is, anything else as a
``RuntimeError``); Ctrl-C stops them the same way. Processes use the ``spawn`` start method (MediaPipe is not fork-safe); the caller's ``__main__`` is
not re-run in them (see ``_without_main_script``), so scripts need no ``if __name__`` guard. Each
worker writes its track to an uncompressed ``.npz`` in a private temp folder and reports its timings
through a queue; the parent polls that queue, aggregates progress from a shared counter, and
terminates every worker when it is interrupted or when any worker fails. Workers ignore SIGINT (the
parent handles Ctrl-C) and exit by themselves if the parent dies. A worker's
:class:`~vision.errors.SquatCheckError` is re-raised in the parent as the same class with the same
message; any other worker failure becomes a ``RuntimeError`` carrying the worker's traceback.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import math
import multiprocessing as mp
import os
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import types
from collections.abc import Callable
from typing import Any, Final
from dataclasses import dataclass, fields, replace

import numpy as np

from vision.errors import SquatCheckError
from vision.extraction import FAST, Extraction
from vision.track import PoseTrack

__all__ = ["OVERLAP_S", "PARALLEL_MIN_S", "extract_track_parallel", "plan_segments"]

log = logging.getLogger(__name__)

PARALLEL_MIN_S = 8.0    # [heuristic] shorter clips: the 2 s warm-up of a second segment is too large a share (threads start in ~0.3 s; processes need ~1-2 s)
OVERLAP_S = 2.0         # warm-up decoded before each segment's start and then dropped
_POLL_S = 0.1           # how often the parent checks results, worker deaths and progress
_TRIM_S = 1.0           # how often free heap memory is handed back to the system while pose threads run
_DEATH_GRACE_S = 2.0    # a worker that exited may still have its last message in the pipe
_JOIN_TIMEOUT_S = 5.0
_START_METHOD: Final = "spawn"
# Local, not in thresholds.py: joining the pose of parallel segments (extraction), not a verdict rule.
# Seam check: in the last SEAM_CHECK_S of a segment's warm-up, the followed person must be the one the
# previous segment followed (the median body landmark within SEAM_TOLERANCE of the image height, on frames
# where both found a person) in at least SEAM_AGREE_FRACTION of the frames; otherwise the segment is redone.
SEAM_CHECK_S = 1.0
SEAM_TOLERANCE = 0.03
SEAM_AGREE_FRACTION = 0.9

ProgressFn = Callable[[int, int], None]


def _malloc_trim() -> Callable[[], None]:
    """glibc's ``malloc_trim(0)``, or a no-op where there is none (macOS, Windows, musl)."""
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return lambda: None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


# Two landmarkers on two threads free and allocate their buffers in different malloc arenas, and glibc
# keeps what they free: the process grew ~3 MB a second (the CLI on a 160 s clip 411 → 566-611 MB) with
# its landmarks unchanged. Handing free pages back once a second keeps it flat (measured 405-430 MB,
# same speed); capping the arenas at 2 did not, a single arena did but serialises every allocation.
_release_free_memory = _malloc_trim()


@dataclass(frozen=True)
class _Job:
    index: int
    path: str
    model: str
    max_side: int | None
    keep_start: float        # frames with keep_start <= t < keep_end belong to this segment
    keep_end: float | None   # None: up to the end of the clip
    decode_start: float      # keep_start - OVERLAP_S (clamped at 0)
    out_file: str            # where a worker process saves the track ("" for a thread)
    parent_pid: int
    extraction: Extraction = FAST


def plan_segments(duration_s: float, workers: int, overlap_s: float = OVERLAP_S) -> list[tuple[float, float | None]]:
    """``[(keep_start, keep_end), ...]`` covering ``[0, inf)``: the last segment is open-ended.

    Each worker decodes ``keep_end - keep_start`` seconds plus ``overlap_s`` of warm-up (none for
    the first), so the first segment is made ``overlap_s`` longer to balance the work:
    ``L0 = (D + (W - 1) * O) / W`` and ``L = L0 - O``. Falls back to equal lengths if that would
    leave the later segments no longer than their warm-up.
    """
    workers = max(1, int(workers))
    if workers == 1 or not math.isfinite(duration_s) or duration_s <= 0:
        return [(0.0, None)]
    first = (duration_s + (workers - 1) * overlap_s) / workers
    rest = first - overlap_s
    if rest <= overlap_s:
        first = rest = duration_s / workers
    bounds = [0.0, first] + [first + k * rest for k in range(1, workers - 1)]
    return [(bounds[k], bounds[k + 1] if k + 1 < len(bounds) else None) for k in range(workers)]


# --------------------------------------------------------------------------------------------------
# Worker side (runs in a spawned process)
# --------------------------------------------------------------------------------------------------


def _watch_parent(parent_pid: int) -> None:
    """Exit this worker if the parent dies without terminating it (e.g. SIGKILL)."""
    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent_pid:
                os._exit(3)
    threading.Thread(target=watch, name="squatcheck-parent-watch", daemon=True).start()


def _per_frame_fields(track: PoseTrack) -> list[str]:
    """Names of the track's per-frame array fields (t, xy, ..., cut_score): everything with T rows.

    Found from the dataclass rather than listed, so a field added to PoseTrack later is carried
    through the worker files and the stitching without a change here.
    """
    n = len(track)
    return [f.name for f in fields(track)
            if isinstance(getattr(track, f.name), np.ndarray) and getattr(track, f.name).shape[:1] == (n,)]


def _save_track(track: PoseTrack, path: str) -> None:
    # Uncompressed: a long clip's track is a few MB and zlib would cost more than it saves.
    np.savez(path, _size=np.array([track.width, track.height]),
             **{name: getattr(track, name) for name in _per_frame_fields(track)})


def _load_track(path: str) -> PoseTrack:
    with np.load(path) as d:
        arrays = {name: d[name] for name in d.files if name != "_size"}
        width, height = (int(v) for v in d["_size"])
    return PoseTrack(width=width, height=height, **arrays)


def _extract_segment(job: _Job, progress: ProgressFn) -> tuple[PoseTrack, dict]:
    """One segment's track (warm-up included) and its timings; the same in a thread or a process."""
    from vision.extraction import extract_track

    timings: dict = {}
    t0 = time.perf_counter()
    track = extract_track(job.path, model=job.model, max_side=job.max_side, progress=progress,  # type: ignore[arg-type]
                          start_s=job.decode_start, end_s=job.keep_end, timings=timings, extraction=job.extraction)
    timings["wall_s"] = time.perf_counter() - t0
    timings["frames"] = len(track)
    return track, timings


def _worker(job: _Job, counter, results) -> None:
    """Process body: extract one segment's track, save it, report timings or the error."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's job: it terminates us
    _watch_parent(job.parent_pid)
    seen = 0

    def progress(done: int, _total: int) -> None:
        nonlocal seen
        with counter.get_lock():
            counter.value += done - seen
        seen = done

    try:
        track, timings = _extract_segment(job, progress)
        _save_track(track, job.out_file)
        results.put(("ok", job.index, timings))
    except SquatCheckError as exc:
        results.put(("error", job.index, type(exc).__module__, type(exc).__qualname__, str(exc)))
    except BaseException as exc:  # noqa: BLE001 - a bug or a native failure: report, parent re-raises
        results.put(("crash", job.index, f"{type(exc).__name__}: {exc}", traceback.format_exc()))


# --------------------------------------------------------------------------------------------------
# Parent side
# --------------------------------------------------------------------------------------------------


def _squatcheck_error(module: str, qualname: str, message: str) -> SquatCheckError:
    """Rebuild the worker's exception class by name (falls back to the base class)."""
    try:
        cls = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
        if isinstance(cls, type) and issubclass(cls, SquatCheckError):
            return cls(message)
    except (ImportError, AttributeError, TypeError):
        pass
    return SquatCheckError(message)


def _stitch(parts: list[PoseTrack], jobs: list[_Job]) -> PoseTrack:
    """Keep each segment's own frames ``[keep_start, keep_end)`` and concatenate them in order."""
    kept = []
    last_t = -math.inf
    for track, job in zip(parts, jobs):
        if len(track) == 0:
            continue
        mask = track.t >= job.keep_start
        if job.keep_end is not None:
            mask &= track.t < job.keep_end
        mask &= track.t > last_t  # defensive: strictly increasing across seams
        idx = np.flatnonzero(mask)
        if idx.size:
            kept.append((track, idx))
            last_t = float(track.t[idx[-1]])
    if not kept:
        ref = next((p for p in parts if p.width), parts[0])
        return PoseTrack.empty(ref.width, ref.height)
    sizes = {(tr.width, tr.height) for tr, _ in kept}
    if len(sizes) > 1:
        raise RuntimeError(f"segments decoded at different frame sizes: {sorted(sizes)}")
    first = kept[0][0]
    names = set.intersection(*(set(_per_frame_fields(tr)) for tr, _ in kept))
    if any(set(_per_frame_fields(tr)) != names for tr, _ in kept):
        raise RuntimeError("segments carry different per-frame fields")
    stitched: dict[str, Any] = {name: np.concatenate([getattr(tr, name)[idx] for tr, idx in kept]) for name in names}
    return replace(first, **stitched)


def _seam_agreement(before: PoseTrack, seg: PoseTrack, seam_s: float, since_s: float) -> float | None:
    """Fraction of frames in ``[max(since_s, seam_s - SEAM_CHECK_S), seam_s)`` where ``seg`` (a segment's
    warm-up) follows the same person as ``before`` (the stitched result up to the seam); None if no
    frame of that window is in both."""
    from vision.landmarks import BODY

    lo = max(since_s, seam_s - SEAM_CHECK_S)
    wa = np.flatnonzero((before.t >= lo) & (before.t < seam_s))
    wb = np.flatnonzero((seg.t >= lo) & (seg.t < seam_s))
    common, ia, ib = np.intersect1d(before.t[wa], seg.t[wb], return_indices=True)
    if common.size == 0:
        return None
    body = list(BODY)
    a, b = before.xy[wa[ia]][:, body], seg.xy[wb[ib]][:, body]
    found_a, found_b = ~np.isnan(a).all(axis=(1, 2)), ~np.isnan(b).all(axis=(1, 2))
    both = found_a & found_b
    if not both.any():
        return float((found_a == found_b).mean())
    # the typical body landmark, not the worst one: one landmark's jitter (or a frame whose
    # landmarks were interpolated between analysed frames) is not another person
    dist = np.nanmedian(np.linalg.norm(a[both] - b[both], axis=2), axis=1)
    return float(np.mean(dist <= SEAM_TOLERANCE * max(1, before.height)))


def _restart_point(before: PoseTrack, seam_s: float) -> float:
    """Latest time before the seam where exactly one person was detected, else 0.

    From such a frame the sequential run's choice of person is forced (there is only one), so a run
    started there follows the same person as the sequential run did.
    """
    idx = np.flatnonzero((before.people == 1) & (before.t < seam_s))
    return float(before.t[idx[-1]]) if idx.size else 0.0


def _increments(add_frames: Callable[[int], None]) -> ProgressFn:
    """A ``progress(done, total)`` callback that passes on how many frames were added since the last call."""
    seen = 0

    def on_progress(done: int, _total: int) -> None:
        nonlocal seen
        add_frames(done - seen)
        seen = done

    return on_progress


def _reconcile(parts: list[PoseTrack], jobs: list[_Job], path: str, model: str, max_side: int | None,
               timings: dict, add_frames: Callable[[int], None]) -> list[PoseTrack]:
    """Check every seam in order and redo the segments whose warm-up followed someone else.

    A segment starts with no memory of whom the previous segment followed, so with two people in
    view it can pick the other one. The warm-up frames are compared with the already-final frames before the
    seam; on disagreement the segment is re-extracted here from the last frame before the seam with
    exactly one person, and, if that still disagrees, from the start of the clip (always exact).
    """
    from vision.extraction import extract_track

    final = [parts[0]]
    repairs = timings.setdefault("seam_repairs", [])
    for k in range(1, len(jobs)):
        job = jobs[k]
        before = _stitch(final, jobs[:k])
        agree = _seam_agreement(before, parts[k], job.keep_start, job.decode_start)
        if agree is None or agree >= SEAM_AGREE_FRACTION:
            final.append(parts[k])
            continue
        seg = None
        for start in dict.fromkeys((_restart_point(before, job.keep_start), 0.0)):
            t: dict = {}
            seg = extract_track(path, model=model, max_side=max_side, start_s=start, end_s=job.keep_end,  # type: ignore[arg-type]
                                progress=_increments(add_frames), timings=t, extraction=job.extraction)
            for key in ("decode_wait_s", "pose_s"):
                timings[key] = timings.get(key, 0.0) + t.get(key, 0.0)
            again = _seam_agreement(before, seg, job.keep_start, start)
            repairs.append({"seam_s": round(job.keep_start, 3), "warmup_agreement": round(agree, 3),
                            "restart_s": round(start, 3), "frames": len(seg),
                            "agreement_after": None if again is None else round(again, 3)})
            log.info("seam at %.2f s: segment followed another person (%.0f%% agreement); redone from %.2f s",
                     job.keep_start, 100 * agree, start)
            if start == 0.0 or again is None or again >= SEAM_AGREE_FRACTION:
                break
        assert seg is not None  # the loop above runs at least once
        final.append(seg)
    return final


@contextlib.contextmanager
def _without_main_script():
    """Start a spawn worker without re-running the caller's ``__main__`` in it.

    ``spawn`` children re-import the parent's main module (by name or by path). The workers need
    nothing from it — their target lives in this module — and some hosts' ``__main__`` must not run
    twice: a Streamlit page script, or AppTest's temporary script, which only works inside its
    runner. A blank stand-in is installed just for ``Process.start()``, which is when the child's
    preparation data is read.
    """
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if saved is not None:
            sys.modules["__main__"] = saved


def _stop(procs: list) -> None:
    """Terminate and reap every worker we started that is still running."""
    for p in procs:
        if p.is_alive():
            p.terminate()
    deadline = time.monotonic() + _JOIN_TIMEOUT_S
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()
            p.join(1.0)


def extract_track_parallel(path: str | os.PathLike, *, model: str = "full", max_side: int | None = 640,
                           workers: int = 2, progress: ProgressFn | None = None,
                           total_frames: int | None = None, timings: dict | None = None,
                           duration_s: float | None = None, extraction: Extraction | None = None,
                           backend: str = "threads") -> PoseTrack:
    """Like :func:`vision.extraction.extract_track` for the whole clip, split into ``workers`` segments.

    Args:
        path: the video file (already probed by the caller, normally ``analyze_video``).
        model, max_side, extraction: passed to every segment's ``extract_track``.
        workers: number of segments, each run by its own thread or process.
        progress: called from the calling thread as ``progress(done, total)`` with frames done
            across all segments; ``total`` includes the warm-up frames, so it is a little more
            than the clip's frame count. A final call reports ``(total, total)``.
        total_frames: the clip's frame count (from ``probe``), for progress.
        timings: filled with ``decode_wait_s`` and ``pose_s`` summed over segments, ``wall_s`` for
            this call, ``workers``, ``backend``, ``segments`` and per-segment ``worker_wall_s``/``worker_frames``.
        duration_s: the clip's duration; probed when not given.
        backend: ``threads`` (default): one thread per segment in this process. Each MediaPipe
            landmarker runs its graph on a thread of its own outside the GIL, so the segments run in
            parallel with one copy of the libraries in memory and no process start-up; the landmarks
            are the same as with processes. ``processes``: spawned worker processes (a native crash
            in one cannot take the caller down, at the cost of ~1 s start-up and ~350 MB each).

    Raises:
        SquatCheckError (the subclass a segment raised, e.g. VideoReadError/ModelNotFoundError).
        RuntimeError: a segment crashed (or a worker process exited without a result).
    """
    if backend not in ("threads", "processes"):
        raise ValueError(f"backend must be 'threads' or 'processes', not {backend!r}")
    t0 = time.perf_counter()
    timings = timings if timings is not None else {}
    path = str(path)
    extraction = FAST if extraction is None else extraction
    if duration_s is None or total_frames is None:
        from vision.video import probe

        info = probe(path)
        duration_s = info.duration_s if duration_s is None else duration_s
        total_frames = info.frames if total_frames is None else total_frames
    fps = (total_frames / duration_s) if total_frames and duration_s else 30.0
    segments = plan_segments(duration_s, workers)
    warmup_frames = round(sum(min(OVERLAP_S, s) for s, _ in segments) * fps)
    progress_total = (total_frames or 0) + warmup_frames

    tmpdir = tempfile.mkdtemp(prefix="squatcheck-parallel-") if backend == "processes" else ""
    jobs = [_Job(index=i, path=path, model=str(model), max_side=max_side, keep_start=s, keep_end=e,
                 decode_start=max(0.0, s - OVERLAP_S),
                 out_file=os.path.join(tmpdir, f"segment{i}.npz") if tmpdir else "",   # processes only
                 parent_pid=os.getpid(), extraction=extraction)
            for i, (s, e) in enumerate(segments)]

    def report(n: int) -> None:
        if progress:
            progress(n, max(progress_total, n))

    try:
        run = _run_processes if backend == "processes" else _run_threads
        parts, outcomes, done = run(jobs, report)
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)

    # Seams: redo any segment that followed a different person (two people in view); rare and slow.
    def add_frames(n: int) -> None:
        nonlocal done
        done += n
        report(done)

    parts = _reconcile(parts, jobs, path, str(model), max_side, timings, add_frames)
    track = _stitch(parts, jobs)
    report(max(progress_total, done))
    timings["decode_wait_s"] = timings.get("decode_wait_s", 0.0) + sum(o.get("decode_wait_s", 0.0) for o in outcomes.values())
    timings["pose_s"] = timings.get("pose_s", 0.0) + sum(o.get("pose_s", 0.0) for o in outcomes.values())
    timings["workers"] = len(jobs)
    timings["backend"] = backend
    timings["segments"] = [[round(s, 3), None if e is None else round(e, 3)] for s, e in segments]
    timings["worker_wall_s"] = [round(outcomes[i]["wall_s"], 3) for i in range(len(jobs))]
    timings["worker_frames"] = [int(outcomes[i]["frames"]) for i in range(len(jobs))]
    timings["wall_s"] = time.perf_counter() - t0
    return track


class _Stopped(Exception):
    """Raised inside a segment's thread to end it early (another segment failed, or Ctrl-C)."""


def _run_threads(jobs: list[_Job], report: Callable[[int], None]) -> tuple[list[PoseTrack], dict, int]:
    """Run every job's ``extract_track`` on a thread of this process; this thread reports progress,
    and on an error or an interrupt stops the others at their next frame before raising."""
    lock = threading.Lock()
    stop = threading.Event()
    done = [0]
    parts: list[PoseTrack | None] = [None] * len(jobs)
    outcomes: dict[int, dict] = {}
    errors: list[tuple[int, BaseException]] = []

    def segment(job: _Job) -> None:
        seen = 0

        def counted(n: int, _total: int) -> None:
            nonlocal seen
            if stop.is_set():
                raise _Stopped
            with lock:
                done[0] += n - seen
            seen = n

        try:
            parts[job.index], outcomes[job.index] = _extract_segment(job, counted)
        except _Stopped:
            pass
        except BaseException as exc:  # noqa: BLE001 - re-raised by the calling thread
            errors.append((job.index, exc))
            stop.set()

    threads = [threading.Thread(target=segment, args=(job,), name=f"squatcheck-pose-{job.index}", daemon=True)
               for job in jobs]
    try:
        for th in threads:
            th.start()
        last = -1
        trimmed = time.monotonic()
        while not errors and (alive := [th for th in threads if th.is_alive()]):
            alive[0].join(_POLL_S)
            if time.monotonic() - trimmed >= _TRIM_S:
                _release_free_memory()
                trimmed = time.monotonic()
            if done[0] != last:
                last = done[0]
                report(last)
    finally:
        stop.set()  # the others end at their next frame (a no-op once all have finished)
        for th in threads:
            th.join()
    if errors:
        index, exc = errors[0]
        if isinstance(exc, SquatCheckError):
            raise exc
        raise RuntimeError(f"pose worker {index} failed: {type(exc).__name__}: {exc}") from exc
    return parts, outcomes, done[0]  # type: ignore[return-value]


def _run_processes(jobs: list[_Job], report: Callable[[int], None]) -> tuple[list[PoseTrack], dict, int]:
    """Run every job in a spawned worker process (see the module docstring)."""
    ctx = mp.get_context(_START_METHOD)
    counter = ctx.Value("q", 0)
    results = ctx.Queue()
    procs = []
    outcomes: dict[int, dict] = {}
    try:
        for job in jobs:
            p = ctx.Process(target=_worker, args=(job, counter, results), name=f"squatcheck-pose-{job.index}",
                            daemon=True)
            with _without_main_script():
                p.start()
            procs.append(p)
        dead_since: dict[int, float] = {}
        last_done = -1
        while len(outcomes) < len(jobs):
            try:
                msg = results.get(timeout=_POLL_S)
            except queue.Empty:
                msg = None
            if msg is not None:
                kind, index = msg[0], msg[1]
                if kind == "ok":
                    outcomes[index] = msg[2]
                elif kind == "error":
                    raise _squatcheck_error(*msg[2:])
                else:
                    err = RuntimeError(f"pose worker {index} failed: {msg[2]}")
                    err.add_note("worker traceback:\n" + msg[3])
                    raise err
            now = time.monotonic()
            for i, p in enumerate(procs):
                if i not in outcomes and not p.is_alive() and now - dead_since.setdefault(i, now) > _DEATH_GRACE_S:
                    raise RuntimeError(f"pose worker {i} exited (code {p.exitcode}) without a result")
            done = counter.value
            if done != last_done:
                report(done)
                last_done = done
        for p in procs:
            p.join(_JOIN_TIMEOUT_S)
        parts = [_load_track(job.out_file) for job in jobs]
    finally:
        _stop(procs)
        results.close()
        results.cancel_join_thread()
    return parts, outcomes, counter.value
