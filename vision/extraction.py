"""Pose extraction from a video file: decode, run the pose model on the frames that need it, one track.

:func:`extract_track` is the one sequential pass over a clip (or a time window of it);
``vision.parallel`` runs it on segments at once and ``vision.analysis.analyze_video`` picks between
the two. Both look it up here at call time, so a test (or ``bench/accuracy.py``'s track cache) that
replaces ``vision.extraction.extract_track`` replaces it for both.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np

# the run's options live in vision.options; re-exported here, where callers have imported them from
from vision.options import EVERY_FRAME, EXTRACTIONS, FAST, INFERENCE_MAX_SIDE, Extraction  # noqa: F401
from vision.track import PoseTrack

ProgressFn = Callable[[int, int], None]


def extract_track(path: str | Path, *, model: str = "full", max_side: int = INFERENCE_MAX_SIDE,
                  progress: ProgressFn | None = None, start_s: float = 0.0, end_s: float | None = None,
                  total_frames: int | None = None, timings: dict | None = None,
                  extraction: Extraction = FAST) -> PoseTrack:
    """Decode ``path`` (optionally the window [start_s, end_s)) and run pose on its frames.

    Decoding runs in a background thread (``iter_frames``) while this thread runs MediaPipe,
    so on two cores the two overlap. Frames are streamed: memory does not grow with length.
    With ``extraction.sample`` pose runs at full rate only while the body is lowered or moving
    (``vision.sampling``); skipped frames are never colour-converted and get interpolated
    landmarks.
    The returned track is in the downscaled frame's pixels (see ``rescale_track``).
    """
    from vision.pose import PoseEstimator
    from vision.sampling import PoseSampler, fill_skipped
    from vision.video import iter_frames

    timings = timings if timings is not None else {}
    for key in ("decode_wait_s", "pose_s"):
        timings.setdefault(key, 0.0)
    timings.setdefault("pose_frames", 0)
    times, frames, cuts = [], [], []
    size = (0, 0)
    previous_thumb = None
    sampler = PoseSampler(extraction.moving_hz, extraction.idle_hz) if extraction.sample else None
    with PoseEstimator(model) as estimator:
        frame_iter = iter_frames(path, max_side=max_side, start_s=start_s, end_s=end_s)
        try:
            while True:
                w0 = time.perf_counter()
                frame = next(frame_iter, None)
                w1 = time.perf_counter()
                if frame is None:
                    break
                interval = (frame.t_s - times[-1]) if times else 1 / 30
                if sampler is None or sampler.wants(frame.t_s, interval):
                    pose = estimator.process(frame.rgb, frame.t_s)
                    size = (frame.rgb.shape[1], frame.rgb.shape[0])
                    timings["pose_frames"] += 1
                    if sampler is not None:
                        sampler.update(frame.t_s, pose)
                else:
                    pose = None
                frames.append(pose)
                times.append(frame.t_s)
                thumb = frame.thumbnail()
                cuts.append(0.0 if previous_thumb is None else float(np.mean(np.abs(thumb - previous_thumb))))
                previous_thumb = thumb
                timings["decode_wait_s"] += w1 - w0
                timings["pose_s"] += time.perf_counter() - w1
                if progress:
                    progress(len(frames), total_frames or 0)
        finally:
            frame_iter.close()
    return PoseTrack.from_frames(times, fill_skipped(frames), *size, cut_scores=cuts)
