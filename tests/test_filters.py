"""Cleaning filters: gaps, outliers, zero-phase low-pass, One-Euro."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from vision import filters as f
from vision.filters import clean_series


def test_fill_gaps_only_short_interior_gaps():
    t = np.arange(20) / 10.0  # 10 fps
    x = np.arange(20, dtype=float)
    x[3:5] = np.nan      # 0.3 s span between good samples: filled
    x[8:14] = np.nan     # 0.7 s: stays missing
    x[:1] = np.nan       # leading edge: stays missing
    out = f.fill_gaps(t, x, max_gap_s=0.3)
    assert out[3] == pytest.approx(3) and out[4] == pytest.approx(4)
    assert np.isnan(out[8:14]).all() and np.isnan(out[0])


def test_hampel_replaces_spike_and_keeps_signal():
    x = np.sin(np.linspace(0, 3, 60))
    spiked = x.copy()
    spiked[30] += 5.0
    out = f.hampel(spiked)
    assert out[30] == pytest.approx(x[30], abs=0.05)
    assert np.allclose(np.delete(out, 30), np.delete(x, 30), atol=1e-9)


def test_butterworth_zero_phase_and_attenuates_jitter():
    fs = 30.0
    t = np.arange(0, 6, 1 / fs)
    slow = np.sin(2 * np.pi * 0.5 * t)           # squat-speed motion: kept
    jitter = 0.2 * np.sin(2 * np.pi * 12 * t)     # landmark jitter: removed
    out = f.butter_lowpass(slow + jitter, fs)
    inner = slice(30, -30)
    assert np.max(np.abs(out[inner] - slow[inner])) < 0.02
    # zero phase: the peak stays where it was
    assert abs(np.argmax(out[:60]) - np.argmax(slow[:60])) <= 1


def test_butterworth_respects_nan_runs():
    x = np.ones(100)
    x[40:45] = np.nan
    out = f.butter_lowpass(x, 30.0)
    assert np.isnan(out[40:45]).all()
    assert np.allclose(out[~np.isnan(out)], 1.0)


def test_one_euro_smooths_still_and_follows_moves():
    flt = f.OneEuroFilter(min_cutoff=1.0, beta=0.05)
    rng = np.random.default_rng(0)
    t = np.arange(0, 3, 1 / 30)
    noisy = 100 + rng.normal(0, 2, len(t))
    out = np.array([flt(ti, np.array([xi]))[0] for ti, xi in zip(t, noisy)])
    assert np.std(out[30:]) < 0.5 * np.std(noisy[30:])
    step = f.OneEuroFilter(min_cutoff=1.0, beta=0.05)
    outs = [step(ti, np.array([0.0 if ti < 1 else 300.0]))[0] for ti in t]
    assert outs[-1] == pytest.approx(300.0, abs=3.0)   # catches up with a real movement


def test_one_euro_nan_passthrough():
    flt = f.OneEuroFilter()
    flt(0.0, np.array([1.0, 2.0]))
    out = flt(0.033, np.array([np.nan, 2.0]))
    assert np.isnan(out[0]) and out[1] == pytest.approx(2.0)
    out = flt(0.066, np.array([1.0, 2.0]))
    assert np.isfinite(out).all()


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 20))
def test_cleaning_columns_together_gives_each_column_s_own_answer(seed, n_cols):
    """The (T, C) form of the cleaning (used for a whole track at once) equals the plain
    one-coordinate pipeline on every column, bit for bit, whatever the gaps (shared or per column)
    and outliers, and across Hampel's column blocks."""
    rng = np.random.default_rng(seed)
    T = int(rng.integers(5, 200))
    t = np.cumsum(rng.uniform(0.03, 0.04, T))
    x = np.cumsum(rng.normal(0, 1, (T, n_cols)), axis=0)
    x[rng.random((T, n_cols)) < 0.02] += 40.0                        # spikes
    shared = rng.random(T) < 0.1                                      # the person lost: every column
    x[shared] = np.nan
    x[rng.random((T, n_cols)) < 0.05] = np.nan                        # one landmark missing
    together = clean_series(t, x, 30.0)
    apart = np.stack([_reference_clean(t, x[:, c], 30.0) for c in range(n_cols)], axis=1)
    assert np.array_equal(together, apart, equal_nan=True)


def _reference_clean(t, x, fs):
    """The one-coordinate pipeline written plainly (the engine's code before it was vectorised):
    NaN-median Hampel per window, then SciPy's zero-phase Butterworth over each NaN-free run."""
    import warnings

    from scipy import signal

    x = f.fill_gaps(t, x)
    half = f.HAMPEL_WINDOW // 2
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(x, half, mode="edge"), f.HAMPEL_WINDOW)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(windows, axis=1)
        mad = 1.4826 * np.nanmedian(np.abs(windows - med[:, None]), axis=1)
    outlier = (np.abs(x - med) > f.HAMPEL_SIGMAS * mad) & (mad > 0)
    x = np.where(outlier, med, x)
    out = x.copy()
    sos = signal.butter(f.BUTTER_ORDER, min(f.BUTTER_CUTOFF_HZ / (fs / 2), 0.99), btype="low", output="sos")
    for start, stop in f.nan_runs(~np.isnan(x)):
        seg = x[start:stop]
        padlen = min(3 * (2 * len(sos) + 1), len(seg) - 1)
        if len(seg) > 2 * f.BUTTER_ORDER + 1 and padlen > 0:
            out[start:stop] = signal.sosfiltfilt(sos, seg, padlen=padlen)
    return out
