"""Which frames get pose inference: every frame while the body is lowered, fewer while it is not.

Depth, valgus, heel rise and trunk lean are all judged in the loaded part of a rep, and their
verdicts hinge on peaks that last a few frames, so ``PoseSampler`` analyses **every frame** once
the body is lowered past ``LOADED_DEPTH``. Elsewhere squats move well below 3 Hz and the landmarks
are low-passed at 6 Hz downstream: ``moving_hz`` (15 Hz, above the 12 Hz that 6 Hz content needs)
while the body is starting down, coming up or moving, and ``idle_hz`` while the person stands
still or nobody is in view. The state is judged online from the frames already analysed (the
hip–ankle depth proxy the rep counter uses). Frames in between get landmarks interpolated linearly
from their analysed neighbours (``fill_skipped``).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from vision.landmarks import L_ANKLE, L_HIP, R_ANKLE, R_HIP
from vision.track import PoseFrame

LOADED_DEPTH = 0.10    # [heuristic] every frame from here (rep_enter is 0.12, a counted rep ≥ 0.15)
LOWERED_DEPTH = 0.03   # [heuristic] moving rate from here (rep_exit is 0.06)
MOVING_SPEED = 0.10    # [heuristic] depth change per second above this: moving
REFERENCE_S = 4.0      # standing hip–ankle length: the longest seen in the last few seconds


def _chord(frame: PoseFrame) -> float:
    """Mean hip–ankle distance (pixels), NaN without a person."""
    if not frame.people:
        return float("nan")
    xy = frame.xy
    return float((np.linalg.norm(xy[L_HIP] - xy[L_ANKLE]) + np.linalg.norm(xy[R_HIP] - xy[R_ANKLE])) / 2)


class PoseSampler:
    """Online decision, frame by frame: ``wants(t, interval)`` before a frame, ``update(t, pose)``
    after analysing one. ``rate_hz`` is the rate in force (``inf`` = every frame)."""

    def __init__(self, moving_hz: float, idle_hz: float):
        self.moving_hz, self.idle_hz = moving_hz, idle_hz
        self.rate_hz = float("inf")
        self._last_t = -np.inf
        self._chords: deque[tuple[float, float]] = deque()
        self._depth = (np.nan, np.nan)   # (t, depth) of the previous analysed frame

    def wants(self, t: float, frame_interval: float) -> bool:
        """Whether the frame at ``t`` should be analysed (``frame_interval``: the clip's 1/fps).

        The first frame of each 1/rate slot of the clip's own clock: the chosen frames do not
        depend on where decoding started, so a clip split over processes picks the same ones.
        """
        if not np.isfinite(self.rate_hz) or not np.isfinite(self._last_t):
            return True
        slot = np.floor((t + 0.25 * frame_interval) * self.rate_hz)
        return slot > np.floor((self._last_t + 0.25 * frame_interval) * self.rate_hz)

    def update(self, t: float, frame: PoseFrame) -> None:
        self._last_t = t
        chord = _chord(frame)
        if not np.isfinite(chord):
            # a person just lost (a missed detection) is looked for on the next frame; nobody for
            # two analysed frames in a row: idle
            lost_now = np.isfinite(self._depth[1])
            self.rate_hz = float("inf") if lost_now else self.idle_hz
            self._depth = (np.nan, np.nan)
            return
        self._chords.append((t, chord))
        while self._chords and t - self._chords[0][0] > REFERENCE_S:
            self._chords.popleft()
        ref = max(c for _, c in self._chords)
        depth = 1.0 - chord / ref if ref > 0 else 0.0
        t0, d0 = self._depth
        speed = abs(depth - d0) / (t - t0) if np.isfinite(d0) and t > t0 else 0.0
        self._depth = (t, depth)
        if depth > LOADED_DEPTH:
            self.rate_hz = float("inf")
        elif depth > LOWERED_DEPTH or speed > MOVING_SPEED:
            self.rate_hz = self.moving_hz
        else:
            self.rate_hz = self.idle_hz


def _has_pose(frame: PoseFrame) -> bool:
    """Landmarks were found (``people`` counts only clearly seen people, so it can be 0 here)."""
    return bool(np.isfinite(frame.xy).any())


def fill_skipped(frames: list[PoseFrame | None]) -> list[PoseFrame]:
    """Frames that got no pose (None) → landmarks interpolated linearly between the nearest
    analysed frames on either side; empty where either neighbour has no landmarks. Frames after the
    last analysed one (the clip ended first) repeat it; the first frame is always analysed."""
    done = [i for i, f in enumerate(frames) if f is not None]
    out: list[PoseFrame] = list(frames)  # type: ignore[arg-type]
    for a, b in zip(done, done[1:]):
        if b - a < 2:
            continue
        fa, fb = frames[a], frames[b]
        for i in range(a + 1, b):
            if not (_has_pose(fa) and _has_pose(fb)):
                out[i] = PoseFrame.empty(min(fa.people, fb.people))
                continue
            w = (i - a) / (b - a)
            out[i] = PoseFrame(xy=(1 - w) * fa.xy + w * fb.xy,
                               visibility=(1 - w) * fa.visibility + w * fb.visibility,
                               presence=(1 - w) * fa.presence + w * fb.presence,
                               world=(1 - w) * fa.world + w * fb.world,
                               people=fa.people if w < 0.5 else fb.people)
    if not done:
        return [PoseFrame.empty(0) for _ in frames]
    for i in range(done[-1] + 1, len(frames)):  # the clip ended before the next analysed frame
        out[i] = frames[done[-1]]
    return out
