"""Annotated video from a clip and its analysis: the whole clip to H.264, and one still per rep.

Each function is a single decode pass that holds one frame at a time (frames in, annotated frames
out); the drawing on each frame is :mod:`vision.overlay`'s. Landmarks come from the analysis's
track (any pixel size; rescaled to the frame), matched to each frame by nearest timestamp within
half a frame.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from vision.landmarks import NUM_LANDMARKS
from vision.overlay import _finite, annotate_frame, draw_angles, draw_hud, draw_pose, hud_verdict, valgus_legs
from vision.video import iter_frames, probe
from vision.video_writer import H264Writer

__all__ = [
    "bottom_frames",
    "bottom_frames_from_images",
    "render_annotated_video",
    "worst_rep_frame",
]


class _TrackSampler:
    """Landmarks of a ``PoseTrack`` at a frame time, rescaled to that frame's pixel size."""

    def __init__(self, track, mirrored: bool, fps: float, signals=None):
        self.thigh_ratio = None if signals is None else np.asarray(signals.thigh_ratio, float)  # (T, 2), aligned with t
        self.t = np.asarray(track.t, float)
        self.xy = np.asarray(track.xy, float)
        self.vis = np.asarray(track.visibility, float)
        self.width, self.height = int(track.width), int(track.height)
        self.mirrored = bool(mirrored)
        self.tol = 0.5 / fps + 1e-6  # nearest sample within half a frame

    def _index(self, t_s: float) -> int | None:
        """The sample nearest ``t_s`` within half a frame, or None."""
        if len(self.t) == 0:
            return None
        i = int(np.searchsorted(self.t, t_s))
        j = min((j for j in (i - 1, i) if 0 <= j < len(self.t)), key=lambda j: abs(self.t[j] - t_s))
        return j if abs(self.t[j] - t_s) <= self.tol else None

    def thigh_ratio_at(self, t_s: float) -> np.ndarray | None:
        """(2,) [left, right] thigh / standing thigh at ``t_s`` (the rep table's FPPA rule), or None."""
        j = self._index(t_s)
        return None if j is None or self.thigh_ratio is None else self.thigh_ratio[j]

    def at(self, t_s: float, frame_w: int, frame_h: int) -> tuple[np.ndarray, np.ndarray | None]:
        """((33, 2) pixels in a ``frame_w`` x ``frame_h`` frame, (33,) visibility); NaN when no sample."""
        nan = np.full((NUM_LANDMARKS, 2), np.nan)
        j = self._index(t_s)
        if j is None or self.width <= 0 or self.height <= 0:
            return nan, None
        xy = self.xy[j].copy()
        if self.mirrored:
            # analyze_track mirrored the track (x flipped, labels swapped) for a selfie clip;
            # flip x back to land on the frames as stored, keeping the person's true left/right.
            xy[:, 0] = self.width - xy[:, 0]
        xy[:, 0] *= frame_w / self.width
        xy[:, 1] *= frame_h / self.height
        return xy, self.vis[j]


def _parts(analysis) -> tuple[dict, object]:
    result = analysis.result if hasattr(analysis, "result") else analysis.to_dict()
    return result, analysis.track


def _sampler(analysis, fps: float) -> _TrackSampler:
    result, track = _parts(analysis)
    return _TrackSampler(track, result.get("mirrored", False), fps, getattr(analysis, "signals", None))


def render_annotated_video(video_path, analysis, out_path, *, max_side: int | None = 720,
                           progress: Callable[[int, int], None] | None = None) -> Path:
    """Write an annotated H.264 MP4 of ``video_path`` (skeleton, angles, banner on every frame).

    One streaming pass: frames are decoded, annotated and encoded one at a time, so memory stays
    flat however long the clip. Landmarks come from ``analysis.track`` (any pixel size; rescaled),
    matched to each frame by nearest timestamp within half a frame.

    Args:
        video_path: the clip that was analysed.
        analysis: a :class:`vision.analysis.Analysis` (``.result`` and ``.track``).
        out_path: where to write the .mp4 (replaced atomically).
        max_side: downscale so the longest side is at most this (None: full size).
        progress: optional ``progress(frames_done, frames_total_estimate)``.

    Returns:
        ``Path(out_path)``.

    Raises:
        VideoReadError from :mod:`vision.video`, VideoWriteError from :mod:`vision.video_writer`.
    """
    result, track = _parts(analysis)
    info = probe(video_path, max_duration_s=None)
    sampler = _sampler(analysis, info.fps)
    out_path = Path(out_path)
    frames = iter_frames(video_path, max_side=max_side)
    # ExitStack: the writer is opened lazily (its size is known only from the first decoded frame);
    # on an exception it is aborted, so no half-written file appears under the final name.
    with contextlib.ExitStack() as stack:
        stack.callback(frames.close)  # type: ignore[attr-defined]  # a generator: iter_frames' annotation says Iterator
        writer: H264Writer | None = None
        for frame in frames:
            fh, fw = frame.rgb.shape[:2]
            if writer is None:
                writer = stack.enter_context(H264Writer(out_path, fw, fh, info.fps))
            xy, vis = sampler.at(frame.t_s, fw, fh)
            writer.write(annotate_frame(frame.rgb, frame.t_s, result, xy, vis, sampler.thigh_ratio_at(frame.t_s)),
                         frame.t_s)
            if progress:
                done = frame.index + 1
                progress(done, max(done, info.frames))
    return out_path


def _thumbnail(rgb: np.ndarray, t_s: float, rep: Mapping, view: str, sampler: _TrackSampler) -> np.ndarray:
    """The bottom-of-rep still: skeleton (valgus legs red), angles and a "Rep N: verdict" tag."""
    h, w = rgb.shape[:2]
    xy, vis = sampler.at(t_s, w, h)
    out = draw_pose(rgb, xy, vis, flags=valgus_legs(rep))
    out = draw_angles(out, xy, view=rep.get("view") or view, visibility=vis, thigh_ratio=sampler.thigh_ratio_at(t_s))
    verdict, note = hud_verdict(rep)
    return draw_hud(out, rep_count=int(rep.get("index") or 0), rep_label=None, verdict=verdict,
                    cue=None, severity=rep.get("severity") or "ok", note=note)


def _rep_key(rep: Mapping, position: int) -> int:
    """The rep's 1-based ``index``, or its position + 1 when the result lacks one."""
    idx: Any = rep.get("index")
    return int(idx) if _finite(idx) else position + 1


def bottom_frames(video_path, analysis, *, max_side: int = 480) -> dict[int, np.ndarray]:
    """One annotated RGB thumbnail per rep, at the frame nearest its ``bottom_s``.

    A single streaming pass over the video (stopped after the last bottom), keeping only the
    previous frame to pick the nearer of the two frames around each bottom time.

    Returns:
        ``{rep index: (h, w, 3) uint8 RGB}``; empty when there are no reps.
    """
    result, track = _parts(analysis)
    targets = sorted(((float(r["bottom_s"]), r) for r in (result.get("reps") or []) if _finite(r.get("bottom_s"))),
                     key=lambda tr: tr[0])
    if not targets:
        return {}
    info = probe(video_path, max_duration_s=None)
    sampler = _sampler(analysis, info.fps)
    view = result.get("view") or "unknown"
    thumbs: dict[int, np.ndarray] = {}
    prev = None
    k = 0
    frames = iter_frames(video_path, max_side=max_side)
    try:
        for frame in frames:
            while k < len(targets) and frame.t_s >= targets[k][0]:
                t_b, rep = targets[k]
                pick = prev if prev is not None and (t_b - prev.t_s) < (frame.t_s - t_b) else frame
                thumbs[_rep_key(rep, k)] = _thumbnail(pick.rgb, pick.t_s, rep, view, sampler)
                k += 1
            if k == len(targets):
                break  # every bottom found: no need to decode the rest
            prev = frame
    finally:
        frames.close()  # type: ignore[attr-defined]  # a generator: iter_frames' annotation says Iterator
    for j in range(k, len(targets)):  # bottoms after the last decoded frame: use the last frame
        if prev is not None:
            rep = targets[j][1]
            thumbs[_rep_key(rep, j)] = _thumbnail(prev.rgb, prev.t_s, rep, view, sampler)
    return thumbs


def worst_rep_frame(video_path, analysis) -> np.ndarray | None:
    """RGB bottom frame (skeleton and angles drawn) of the worst rep, or of rep 1; None without reps."""
    result = analysis.result
    if not result["reps"]:
        return None
    index = result["summary"].get("worst_rep") or result["reps"][0]["index"]
    return bottom_frames(video_path, analysis).get(index)


def bottom_frames_from_images(images: Sequence[tuple[float, np.ndarray]], analysis, *,
                              max_gap_s: float = 0.25) -> dict[int, np.ndarray]:
    """:func:`bottom_frames` for frames kept in memory instead of a video file (the live page).

    ``images``: ``(t_s, rgb)`` pairs in the track's time base, any pixel size (landmarks are
    rescaled). Each rep gets the image nearest its ``bottom_s``, drawn like :func:`bottom_frames`,
    if one lies within ``max_gap_s``; reps without one are left out.
    """
    result, track = _parts(analysis)
    items = sorted(((float(t), img) for t, img in images), key=lambda ti: ti[0])
    if not items:
        return {}
    times = np.array([t for t, _ in items])
    fps = float((result.get("video") or {}).get("fps") or 0) or 30.0
    sampler = _sampler(analysis, fps)
    view = result.get("view") or "unknown"
    thumbs: dict[int, np.ndarray] = {}
    for k, rep in enumerate(result.get("reps") or []):
        if not _finite(rep.get("bottom_s")):
            continue
        j = int(np.argmin(np.abs(times - float(rep["bottom_s"]))))
        if abs(times[j] - float(rep["bottom_s"])) <= max_gap_s:
            t_j, img = items[j]
            thumbs[_rep_key(rep, k)] = _thumbnail(np.ascontiguousarray(img), t_j, rep, view, sampler)
    return thumbs
