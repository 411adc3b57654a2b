"""One rep's frames as every fault judge sees them, and what a judge returns.

``RepFrames`` is computed once per rep: the rep's frames, its *loaded* part (descent, bottom and
ascent: every frame at ≥ half the rep's peak depth — knees often cave out of the hole, not at the
bottom), its *bent* part for the knee judges (the loaded frames and any at least half way to
parallel), the standing frames next to it (the person's own baseline), and how many frames a fault
must last. Each judge (``vision.valgus``, ``vision.assess``) is a function of it that returns a
``Finding``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vision import geometry as g
from vision.reps import RepWindow
from vision.signals import Signals
from vision.thresholds import Thresholds

LEGS = ("left", "right")


def sustained_max(x: np.ndarray, n: int) -> float:
    """The largest value that ``x`` reached on at least ``n`` frames (NaN-aware): (k,) -> float."""
    x = np.asarray(x, float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return float("nan")
    n = min(max(n, 1), len(x))
    return float(np.partition(x, len(x) - n)[len(x) - n])


def sustained_min(x: np.ndarray, n: int) -> float:
    return -sustained_max(-np.asarray(x, float), n)


def nanmedian(x) -> float:
    """Median of the finite values, NaN (no warning) when there are none."""
    x = np.asarray(x, float)
    x = x[~np.isnan(x)]
    return float(np.median(x)) if len(x) else float("nan")


def row_mean(x: np.ndarray) -> np.ndarray:
    """NaN-aware mean over the last axis, (k, 2) -> (k,), NaN (no warning) where a row is all NaN."""
    x = np.asarray(x, float)
    n = np.sum(~np.isnan(x), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.nansum(x, axis=-1) / n, np.nan)


def wander(pos: np.ndarray) -> float:
    """How far a point wandered: twice the 75th percentile distance from its median spot,
    (k, d) -> float (0 with fewer than 3 finite rows). A point that moves (a step, a free foot)
    moves for a good part of a rep, a tracking glitch for a frame."""
    pos = np.asarray(pos, float)
    pos = pos[np.isfinite(pos).all(axis=-1)]
    if len(pos) < 3:
        return 0.0
    return float(2 * np.percentile(np.linalg.norm(pos - np.median(pos, axis=0), axis=-1), 75))


def look_down_tan(sig: Signals, base: np.ndarray, th: Thresholds) -> float:
    """tan of the camera's look-down angle at the feet while the person stands on frames ``base``
    (0 when the toes are not seen): both feet's toe drop below the ankle, averaged
    (``geometry.camera_elevation_tan``). Read as if the feet point at the camera (a front or
    oblique view); from the side a foot's drop says nothing of it. Read once per rep
    (``RepFrames.look_down_tan``) for the lunge test, the foot line and the front view's depth."""
    seen = base[(sig.foot_visibility[base] >= th.foot_min_visibility.value).all(axis=1)]
    if len(seen) == 0:
        return 0.0
    tan = g.camera_elevation_tan(np.nanmedian(sig.toe_drop[seen], axis=0), np.nanmedian(sig.toe_lateral[seen], axis=0),
                                 th.foot_to_shank.value, th.ankle_to_shank.value)
    tan = tan[np.isfinite(tan)]
    return float(np.mean(tan)) if len(tan) else 0.0


def rounded(x, nd: int = 3):
    """A JSON number (rounded) or None for NaN / inf / None."""
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


@dataclass(frozen=True)
class RepFrames:
    """Frame indices of one rep (all into ``sig``'s arrays)."""

    sig: Signals
    win: RepWindow
    idx: np.ndarray      # (k,) start..end
    loaded: np.ndarray   # frames at ≥ rep_loaded_fraction of the peak depth
    bent: np.ndarray     # the loaded frames plus any at ≥ knee_judge_depth (what the knee judges see)
    base: np.ndarray     # standing frames within rep_baseline_window of the rep's ends
    n_sustain: int       # frames a fault must last
    leg: int             # the better-seen leg (a side view's near leg): 0 left, 1 right
    look_down_tan: float  # tan of the camera's look-down at the feet around this rep (:func:`look_down_tan`)

    @classmethod
    def of(cls, sig: Signals, win: RepWindow, th: Thresholds) -> "RepFrames":
        t = sig.t
        fs = 1.0 / np.median(np.diff(t)) if len(t) > 1 else 30.0
        idx = np.arange(win.start, win.end + 1)
        loaded = idx[sig.depth[idx] >= th.rep_loaded_fraction.value * win.peak_depth]
        bent = idx[sig.depth[idx] >= min(th.rep_loaded_fraction.value * win.peak_depth, th.knee_judge_depth.value)]
        around = th.rep_baseline_window.value
        near = (np.abs(t - t[win.start]) <= around) | (np.abs(t - t[win.end]) <= around)
        base = np.flatnonzero(near & sig.valid & (sig.depth <= th.rep_exit.value))
        if len(base) == 0:
            base = np.array([win.start, win.end])
        leg = int(np.nanargmax(np.nanmean(sig.lower_visibility[idx], axis=0)))
        return cls(sig, win, idx, loaded, bent, base, max(1, int(round(th.sustain.value * fs))), leg,
                   look_down_tan(sig, base, th))

    @property
    def standing_ends(self) -> tuple[int, ...]:
        """The rep's frames where the person stands: its start and end, or only its end for a rep
        that opens at a cut (its start is mid-descent)."""
        return (self.win.end,) if self.win.opens_at_cut else (self.win.start, self.win.end)

    def standing_by_ends(self) -> tuple[np.ndarray, ...]:
        """For each of :attr:`standing_ends`, the rep's baseline frames (:attr:`base`: standing, seen)
        on that side of the rep, before its start or after its end; the end frame alone where there
        are none. A rep starts and ends where the depth crosses the exit threshold, which a quarter
        squat reaches with the knees still bent and the trunk still leaning forward; the frames
        around it, where the person straightens, say how they stood (a median over them, so one
        glitching frame does not)."""
        out = []
        for i in self.standing_ends:
            side = self.base[self.base <= i] if i == self.win.start else self.base[self.base >= i]
            out.append(side if len(side) else np.array([i]))
        return tuple(out)

    def foot_travel(self, frames: np.ndarray | None = None, against_hips: bool = False) -> np.ndarray:
        """How far each foot wandered over ``frames`` (default: the whole rep), in leg lengths: (2,).

        The clearly seen ankle's :func:`wander` in the picture, or (``against_hips``) its sideways
        distance from the mid-hip's, which a panning camera does not change. 0 where a foot was
        not seen clearly enough to tell.
        """
        frames = self.idx if frames is None else frames
        sig = self.sig
        out = np.zeros(2)
        for k in range(2):
            seen = frames[sig.ankle_visibility[frames, k] >= 0.5]
            pos = sig.ankle_pos[seen, k]
            out[k] = wander(pos[:, :1] - sig.hip_pos[seen, :1] if against_hips else pos)
        return out

    def stance_travel(self, frames: np.ndarray | None = None) -> float:
        """How far the line from the left ankle to the right one wandered over ``frames`` (default:
        the whole rep), in leg lengths: a step changes it, a panning camera does not."""
        frames = self.idx if frames is None else frames
        sig = self.sig
        seen = frames[(sig.ankle_visibility[frames] >= 0.5).all(axis=1)]
        return wander(sig.ankle_pos[seen, 0] - sig.ankle_pos[seen, 1])

    def foot_spot(self, frame: int) -> np.ndarray:
        """Both ankles' position around ``frame`` (median of ±2 frames), in leg lengths: (2, 2)."""
        return np.nanmedian(self.sig.ankle_pos[max(frame - 2, 0):frame + 3], axis=0)

    def foot_shift(self) -> np.ndarray:
        """How far each foot is from where it was while the person stood before the rep: at the
        bottom, and standing again after it, in leg lengths: (2, 2) = [bottom, after] × [left, right]."""
        def standing_spot(frames: np.ndarray, fallback: int) -> np.ndarray:
            return np.nanmedian(self.sig.ankle_pos[frames], axis=0) if len(frames) else self.foot_spot(fallback)

        before = standing_spot(self.base[self.base <= self.win.bottom], self.win.start)
        after = standing_spot(self.base[self.base > self.win.bottom], self.win.end)
        return np.stack([np.linalg.norm(self.foot_spot(self.win.bottom) - before, axis=-1),
                         np.linalg.norm(after - before, axis=-1)])

    def foot_moved(self, wander_ratio: float) -> np.ndarray:
        """How far each foot moved from where it stood, in leg lengths: (2,).

        At the bottom (``foot_shift``), or over the rep (``foot_travel``: a free foot held forward
        towards a camera that looks down from one side travels most on the way down and up, not at
        the bottom) where that is at least ``wander_ratio`` times the other foot's wander on this
        clip, its noise floor: a bilateral squat's two feet wander alike.
        """
        at_bottom = self.foot_shift()[0]
        travel = self.foot_travel()
        beyond = travel >= wander_ratio * travel[::-1]
        return np.fmax(at_bottom, np.where(beyond, travel, 0.0))

    @property
    def leg_px(self) -> float | None:
        """The standing hip–ankle length over this rep, in the pixels the pose model saw (None when
        not measured)."""
        v = nanmedian(self.sig.leg_px[self.idx])
        return v if np.isfinite(v) else None

    def hip_shift(self) -> np.ndarray:
        """(loaded,) the hips' sideways shift off the centre of the feet over the loaded frames, from
        standing, in ankle widths (+ = towards the person's left)."""
        return self.sig.lateral_shift[self.loaded] - self.baseline(self.sig.lateral_shift)

    def baseline(self, x: np.ndarray) -> float:
        """The person's standing value of a per-frame signal (T,) around this rep."""
        return nanmedian(x[self.base])

    def peak(self, x: np.ndarray) -> float:
        """Largest value of a per-frame signal over the loaded frames, sustained."""
        return sustained_max(x[self.loaded], self.n_sustain)

    def phase(self, i: int) -> str:
        """``descent``, ``bottom`` or ``ascent`` for frame ``i`` of this rep."""
        sig, win = self.sig, self.win
        if sig.depth[i] >= 0.9 * win.peak_depth or abs(sig.t[i] - sig.t[win.bottom]) <= 0.15:
            return "bottom"
        return "descent" if i < win.bottom else "ascent"


@dataclass
class Finding:
    """What one judge found: metric values, flags raised, metrics it could not judge (and why)."""

    metrics: dict = field(default_factory=dict)
    flags: list = field(default_factory=list)
    not_judged: dict = field(default_factory=dict)

    def add(self, other: "Finding") -> "Finding":
        self.metrics.update(other.metrics)
        self.flags.extend(other.flags)
        self.not_judged.update(other.not_judged)
        return self
