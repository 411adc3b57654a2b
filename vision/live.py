"""Live (webcam) analysis: the offline pipeline in streaming form, one frame at a time.

Per frame: pose → One-Euro smoothing → the same depth signal (with a trailing standing
reference instead of a centred one) → the same ``RepCounter``. When a rep completes, the
buffered frames around it go through the *offline* cleaning, signals and ``judge_dip``, so a
live rep is judged exactly like a recorded one.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from vision import geometry as g
from vision.assess import judge_dip
from vision.filters import OneEuroFilter
from vision.landmarks import L_ANKLE, L_HIP, LOWER_BODY, R_ANKLE, R_HIP
from vision.reps import RepCounter, RepWindow
from vision.signals import STANDING_PERCENTILE, STANDING_WINDOW_S, clean_track, compute_signals
from vision.thresholds import get_profile
from vision.track import PoseFrame, PoseTrack

BUFFER_S = 20.0        # enough for the slowest rep plus its standing context
MIN_VISIBILITY = 0.5


@dataclass
class LiveState:
    """What the live page shows after each frame."""

    rep_count: int = 0
    last_rep: dict | None = None
    depth: float = float("nan")
    phase: str = "waiting"          # waiting | standing | down
    xy: np.ndarray | None = None    # (33, 2) smoothed landmarks in frame pixels
    visibility: np.ndarray | None = None
    message: str | None = None      # capture problem in plain words, or None
    reps: list = field(default_factory=list)


class LiveAnalyzer:
    """Feed frames with :meth:`process`; read :attr:`state`.

    Args:
        estimator: anything with ``process(rgb, t_s) -> PoseFrame`` (a ``vision.pose.PoseEstimator``).
        mirrored: the frames are mirror images (some capture paths flip them): relabel sides.
    """

    def __init__(self, estimator, *, profile: str = "bodyweight", view: str = "auto", mirrored: bool = False,
                 sex: str | None = None):
        self.estimator = estimator
        self.profile = get_profile(profile)
        self.forced_view = None if view == "auto" else view
        self.mirrored = mirrored
        self.sex = sex
        self.counter = RepCounter(self.profile.thresholds)
        self.state = LiveState()
        self._smooth = OneEuroFilter(min_cutoff=1.0, beta=0.05)
        self._frames: deque[tuple[float, PoseFrame]] = deque()
        self._chords: deque[tuple[float, float]] = deque()
        self._i = 0          # running frame number (RepCounter indices)
        self._first_i = 0    # running number of self._frames[0]
        self._size = (0, 0)

    def process(self, rgb: np.ndarray, t_s: float) -> LiveState:
        h, w = rgb.shape[:2]
        self._size = (w, h)
        frame = self.estimator.process(rgb, t_s)
        if self.mirrored and frame.people:
            frame = _mirror_frame(frame, w)
        self._frames.append((t_s, frame))
        while self._frames and t_s - self._frames[0][0] > BUFFER_S:
            self._frames.popleft()
            self._first_i += 1
        st = self.state
        st.xy = self._smooth(t_s, frame.xy) if frame.people else None
        st.visibility = frame.visibility if frame.people else None
        depth = self._depth(t_s, st.xy, frame)
        st.depth = depth
        rep = self.counter.update(self._i, t_s, depth)
        st.phase = {"wait": "waiting", "up": "standing", "down": "down"}[self.counter.state]
        if rep is not None:
            judged = self._assess(rep)
            if judged is not None:
                st.reps.append(judged)
                st.rep_count = len(st.reps)
                st.last_rep = judged
        self._i += 1
        return st

    def _depth(self, t_s: float, xy: np.ndarray | None, frame: PoseFrame) -> float:
        st = self.state
        if xy is None:
            st.message = "No one in view: stand 2–3 m from the camera, whole body in frame."
            return float("nan")
        inside = np.all((xy[list(LOWER_BODY)] >= 0) & (xy[list(LOWER_BODY)] <= np.array(self._size)), axis=1).all()
        if not inside or frame.visibility[list(LOWER_BODY)].mean() < MIN_VISIBILITY:
            st.message = "Hips, knees or feet are out of view: step back so your whole body is in frame."
            return float("nan")
        st.message = "Several people in view: only one person should be in frame." if frame.people > 1 else None
        chord = float((g.distance(xy[L_HIP], xy[L_ANKLE]) + g.distance(xy[R_HIP], xy[R_ANKLE])) / 2)
        self._chords.append((t_s, chord))
        while self._chords and t_s - self._chords[0][0] > 2 * STANDING_WINDOW_S:
            self._chords.popleft()
        ref = np.percentile([c for _, c in self._chords], STANDING_PERCENTILE)
        return 1.0 - chord / ref if ref > 0 else float("nan")

    def _assess(self, rep: RepWindow) -> dict | None:
        """Judge a finished rep with the offline pipeline on the buffered frames."""
        times = [t for t, _ in self._frames]
        frames = [f for _, f in self._frames]
        track = PoseTrack.from_frames(times, frames, *self._size)
        sig = compute_signals(clean_track(track))
        offset = self._first_i
        start, bottom, end = rep.start - offset, rep.bottom - offset, rep.end - offset
        if start < 0:
            return None
        win = RepWindow(start, bottom, end, float(np.nanmax(sig.depth[start:end + 1])))
        rep, _ = judge_dip(sig, win, self.forced_view, self.profile, len(self.state.reps) + 1, sex=self.sex)
        return rep


def _mirror_frame(frame: PoseFrame, width: int) -> PoseFrame:
    from vision.landmarks import MIRROR_PERMUTATION

    xy = frame.xy[MIRROR_PERMUTATION].copy()
    xy[:, 0] = width - xy[:, 0]
    world = frame.world[MIRROR_PERMUTATION].copy()
    world[:, 0] = -world[:, 0]
    return PoseFrame(xy, frame.visibility[MIRROR_PERMUTATION], frame.presence[MIRROR_PERMUTATION], world, frame.people)
