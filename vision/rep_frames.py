"""One rep's frames as every fault judge sees them, and what a judge returns.

``RepFrames`` is computed once per rep: the rep's frames, its *loaded* part (descent, bottom and
ascent: every frame at ≥ half the rep's peak depth — knees often cave out of the hole, not at the
bottom), the standing frames next to it (the person's own baseline), and how many frames a fault
must last. Each judge (``vision.valgus``, ``vision.assess``) is a function of it that returns a
``Finding``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vision.reps import RepWindow
from vision.signals import Signals
from vision.thresholds import Thresholds

BASELINE_S = 0.5       # standing frames this close to the rep's ends form its baseline
LOADED_FRACTION = 0.5  # frames at ≥ half the rep's peak depth are "loaded"
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


def rounded(x, nd: int = 3):
    """A JSON number (rounded) or None for NaN / inf / None."""
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


@dataclass(frozen=True)
class RepFrames:
    """Frame indices of one rep (all into ``sig``'s arrays)."""

    sig: Signals
    win: RepWindow
    idx: np.ndarray      # (k,) start..end
    loaded: np.ndarray   # frames at ≥ LOADED_FRACTION of the peak depth
    base: np.ndarray     # standing frames within BASELINE_S of the rep's ends
    n_sustain: int       # frames a fault must last
    leg: int             # the better-seen leg (a side view's near leg): 0 left, 1 right

    @classmethod
    def of(cls, sig: Signals, win: RepWindow, th: Thresholds) -> "RepFrames":
        t = sig.t
        fs = 1.0 / np.median(np.diff(t)) if len(t) > 1 else 30.0
        idx = np.arange(win.start, win.end + 1)
        loaded = idx[sig.depth[idx] >= LOADED_FRACTION * win.peak_depth]
        near = (np.abs(t - t[win.start]) <= BASELINE_S) | (np.abs(t - t[win.end]) <= BASELINE_S)
        base = np.flatnonzero(near & sig.valid & (sig.depth <= th.rep_exit.value))
        if len(base) == 0:
            base = np.array([win.start, win.end])
        leg = int(np.nanargmax(np.nanmean(sig.lower_visibility[idx], axis=0)))
        return cls(sig, win, idx, loaded, base, max(1, int(round(th.sustain.value * fs))), leg)

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
