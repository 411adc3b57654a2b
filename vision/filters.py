"""Cleaning landmark trajectories: gap filling, outlier rejection, zero-phase low-pass (offline)
and a One-Euro filter (live). Pure NumPy/SciPy; the domain choices follow Sports2D/Pose2Sim.
"""

from __future__ import annotations

import math

import numpy as np

# Local, not in thresholds.py: signal filtering (which points are kept, how they are smoothed), not a verdict rule.
MIN_VISIBILITY = 0.5   # MediaPipe's own confidence default; Sports2D averages 0.5 too
MAX_GAP_S = 0.3        # gaps up to this long are interpolated (DESIGN §4)
HAMPEL_WINDOW = 7      # samples (Sports2D default)
HAMPEL_SIGMAS = 3.0
HAMPEL_BLOCK = 8       # columns filtered together: a long clip's windows stay a few MB
BUTTER_ORDER = 4       # 4th-order, run forward and backward: zero phase
BUTTER_CUTOFF_HZ = 6.0  # human movement content; Winter / Sports2D default


def nan_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the True runs in a 1-D boolean mask."""
    padded = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2], edges[1::2]))


def fill_gaps(t: np.ndarray, x: np.ndarray, max_gap_s: float = MAX_GAP_S) -> np.ndarray:
    """Linearly interpolate interior NaN runs no longer than ``max_gap_s``: (T,), (T, ...) -> (T, ...).

    Longer gaps and gaps at either end stay NaN: inventing a person who is not there is worse
    than admitting we lost them.
    """
    x = np.array(x, dtype=float, copy=True)
    flat = x.reshape(len(t), -1)
    for col in range(flat.shape[1]):
        series = flat[:, col]
        missing = np.isnan(series)
        if not missing.any() or missing.all():
            continue
        good = np.flatnonzero(~missing)
        for start, stop in nan_runs(missing):
            if start == 0 or stop == len(series):
                continue
            if t[stop] - t[start - 1] <= max_gap_s + 1e-9:
                series[start:stop] = np.interp(t[start:stop], t[good], series[good])
    return flat.reshape(x.shape)


def hampel(x: np.ndarray, window: int = HAMPEL_WINDOW, n_sigmas: float = HAMPEL_SIGMAS) -> np.ndarray:
    """Replace outliers with the rolling median: (T,) -> (T,), or each column of (T, C) -> (T, C).

    A sample is an outlier when it is more than ``n_sigmas`` robust standard deviations
    (1.4826 × MAD) from the median of the centred ``window``. NaNs are ignored and kept.
    """
    x = np.asarray(x, float)
    if x.ndim == 2 and x.shape[1] > HAMPEL_BLOCK:  # bounded memory: (T, block, window) at a time
        return np.concatenate([hampel(x[:, c:c + HAMPEL_BLOCK], window, n_sigmas)
                               for c in range(0, x.shape[1], HAMPEL_BLOCK)], axis=1)
    half = window // 2
    padded = np.pad(x, [(half, half)] + [(0, 0)] * (x.ndim - 1), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, window, axis=0)   # (T, [C,] window)
    med = _window_median(windows)
    mad = 1.4826 * _window_median(np.abs(windows - med[..., None]))
    out = x.copy()
    outlier = np.abs(x - med) > n_sigmas * mad
    outlier &= mad > 0
    out[outlier] = med[outlier]
    return out


def _window_median(windows: np.ndarray) -> np.ndarray:
    """NaN-aware median over the last axis: (..., w) -> (...). ``np.median`` (a partition, fast)
    where a window has no NaN, ``np.nanmedian`` (slow, same numbers) only where it has."""
    import warnings

    gappy = np.isnan(windows).any(axis=-1)
    out = np.median(windows, axis=-1)
    if gappy.any():
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows
            out[gappy] = np.nanmedian(windows[gappy], axis=-1)
    return out


def sample_rate(t: np.ndarray) -> float:
    """Frames per second from timestamps (median step: robust to variable frame rate)."""
    if len(t) < 2:
        return 30.0
    return float(1.0 / np.median(np.diff(t)))


def butter_lowpass(x: np.ndarray, fs: float, cutoff_hz: float = BUTTER_CUTOFF_HZ, order: int = BUTTER_ORDER) -> np.ndarray:
    """Zero-phase Butterworth low-pass over each NaN-free run separately: (T,) -> (T,), or each
    column of (T, C) -> (T, C) (columns with the same gaps are filtered together: same numbers,
    one call).

    Runs too short for the filter's padding are left as they are.
    """
    from scipy import signal  # ~75 MB of modules: loaded when a track is cleaned, not while pose runs

    x = np.asarray(x, float)
    if x.ndim == 1:
        return butter_lowpass(x[:, None], fs, cutoff_hz, order)[:, 0]
    out = x.copy()
    wn = min(cutoff_hz / (fs / 2.0), 0.99)
    sos = signal.butter(order, wn, btype="low", output="sos")
    missing = np.isnan(x)
    groups: dict[bytes, list[int]] = {}
    for col in range(x.shape[1]):
        groups.setdefault(np.packbits(missing[:, col]).tobytes(), []).append(col)
    for cols in groups.values():
        for start, stop in nan_runs(~missing[:, cols[0]]):
            seg = x[start:stop, cols]
            padlen = min(3 * (2 * len(sos) + 1), len(seg) - 1)
            if len(seg) > 2 * order + 1 and padlen > 0:
                out[start:stop, cols] = signal.sosfiltfilt(sos, seg, axis=0, padlen=padlen)
    return out


def clean_series(t: np.ndarray, x: np.ndarray, fs: float | None = None) -> np.ndarray:
    """The offline pipeline for one coordinate (T,) or each column of (T, C): fill short gaps →
    Hampel → Butterworth. Same shape out."""
    fs = sample_rate(t) if fs is None else fs
    return butter_lowpass(hampel(fill_gaps(t, x)), fs)


class OneEuroFilter:
    """One-Euro filter (Casiez et al. 2012) for live, causal smoothing of any-shaped arrays.

    ``min_cutoff`` lowers jitter when still, ``beta`` lowers lag when moving. Defaults are
    Casiez's starting point (1 Hz, d_cutoff 1 Hz) with a moderate beta for body landmarks.
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.05, d_cutoff: float = 1.0):
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    @staticmethod
    def _alpha(cutoff, dt):
        tau = 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, t: float, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, float)
        if self._x is None or self._dx is None or self._t is None or t <= self._t:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        dt = t - self._t
        # a NaN input (person lost) restarts that element rather than poisoning the state
        prev = np.where(np.isnan(self._x), x, self._x)
        dx = (x - prev) / dt
        a_d = self._alpha(self.d_cutoff, dt)
        dx_hat = np.where(np.isnan(self._dx), dx, a_d * dx + (1 - a_d) * self._dx)
        cutoff = self.min_cutoff + self.beta * np.abs(dx_hat)
        a = self._alpha(cutoff, dt)
        x_hat = a * x + (1 - a) * prev
        x_hat = np.where(np.isnan(x), np.nan, x_hat)
        self._x, self._dx, self._t = np.where(np.isnan(x_hat), self._x, x_hat), dx_hat, t
        return x_hat
