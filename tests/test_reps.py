"""Rep segmentation on synthetic depth signals: noise, pauses, partial reps, walk-in, gaps."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vision.reps import RepCounter, segment_reps
from vision.thresholds import Thresholds

FS = 30.0


def dips(t, reps, pause=0.0):
    """Depth signal: each (start, duration, peak) a cosine dip with an optional bottom pause."""
    d = np.zeros_like(t)
    for start, dur, peak in reps:
        down = (dur - pause) / 2
        u = t - start
        d = np.where((u >= 0) & (u < down), peak * (1 - np.cos(np.pi * u / down)) / 2, d)
        d = np.where((u >= down) & (u < down + pause), peak, d)
        d = np.where((u >= down + pause) & (u <= dur), peak * (1 + np.cos(np.pi * (u - down - pause) / down)) / 2, d)
    return d


def test_counts_clean_reps_and_finds_bottoms():
    t = np.arange(0, 10, 1 / FS)
    d = dips(t, [(1, 2, 0.5), (4, 2, 0.5), (7, 2, 0.5)])
    reps, _ = segment_reps(t, d)
    assert len(reps) == 3
    for rep, centre in zip(reps, (2.0, 5.0, 8.0)):
        assert t[rep.bottom] == pytest.approx(centre, abs=1 / FS)
        assert rep.peak_depth == pytest.approx(0.5, abs=0.01)
        assert t[rep.start] < centre < t[rep.end]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.floats(0.0, 0.02), st.integers(0, 10_000))
def test_noise_near_thresholds_never_double_counts(n, noise, seed):
    """Jitter of ±2% depth around the entry/exit lines must not split or add reps."""
    t = np.arange(0, 3 * n + 2, 1 / FS)
    d = dips(t, [(1 + 3 * i, 2.2, 0.45) for i in range(n)])
    d = d + np.random.default_rng(seed).normal(0, noise, len(t))
    reps, _ = segment_reps(t, d)
    assert len(reps) == n


def test_pause_at_bottom_is_one_rep():
    t = np.arange(0, 8, 1 / FS)
    d = dips(t, [(1, 5, 0.6)], pause=3.0)
    reps, _ = segment_reps(t, d)
    assert len(reps) == 1


def test_partial_and_quick_dips_are_not_reps():
    t = np.arange(0, 12, 1 / FS)
    d = dips(t, [(1, 2, 0.5), (4, 2, 0.13), (7, 0.4, 0.5), (9, 2, 0.5)])  # full, too shallow, too quick, full
    reps, rejected = segment_reps(t, d)
    assert len(reps) == 2
    reasons = {r for *_, r in rejected}
    assert "too shallow" in reasons and "too quick" in reasons


def test_walk_in_and_clip_starting_at_the_bottom():
    """A clip that opens deep in a rep waits for standing; NaN (no person) frames are skipped."""
    t = np.arange(0, 10, 1 / FS)
    d = dips(t, [(-1, 2, 0.5), (3, 2, 0.5), (6, 2, 0.5)])
    d[t < 0.3] = np.nan   # walk-in: body not in frame yet
    reps, _ = segment_reps(t, d)
    assert len(reps) == 2


def test_clip_starting_near_the_top_counts_the_first_rep():
    t = np.arange(0, 4, 1 / FS)
    d = dips(t, [(-0.15, 2, 0.5)])   # the descent has just begun when the clip starts
    reps, _ = segment_reps(t, d)
    assert len(reps) == 1


def test_person_lost_mid_rep_abandons_it():
    t = np.arange(0, 8, 1 / FS)
    d = dips(t, [(1, 2, 0.5), (4, 3, 0.5)])
    d[(t > 4.8) & (t < 6.5)] = np.nan
    reps, rejected = segment_reps(t, d)
    assert len(reps) == 1
    assert any(r == "person lost mid-rep" for *_, r in rejected)


def test_streaming_equals_offline():
    t = np.arange(0, 10, 1 / FS)
    d = dips(t, [(1, 2, 0.5), (4, 2, 0.3), (7, 2, 0.6)]) + np.random.default_rng(1).normal(0, 0.01, len(t))
    offline, _ = segment_reps(t, d)
    counter = RepCounter(Thresholds())
    live = [r for i in range(len(t)) if (r := counter.update(i, t[i], d[i]))]
    assert live == offline and counter.count == 3


def test_too_long_dip_is_not_a_rep():
    t = np.arange(0, 20, 1 / FS)
    d = dips(t, [(1, 15, 0.5)], pause=12)   # sitting down for a long time
    reps, rejected = segment_reps(t, d)
    assert reps == [] and any(r == "too long" for *_, r in rejected)


def test_clip_opening_slightly_bent_counts_the_rep_but_not_when_opening_deep():
    """A rack start with knees a little bent (depth 0.15) then a deep rep: counted.
    A clip that opens at the bottom of a rep: not counted."""
    t = np.arange(0, 5, 1 / FS)
    d = dips(t, [(0.5, 3.5, 0.75)])
    d = np.maximum(d, np.where(t < 1.0, 0.15, 0.0))
    reps, _ = segment_reps(t, d)
    assert len(reps) == 1 and reps[0].start == 0
    deep_open, rejected = segment_reps(t, dips(t, [(-1.5, 3.0, 0.6)]))
    assert deep_open == [] and any(r == "the clip starts mid-rep" for *_, r in rejected)


def test_a_cut_inside_a_rep_to_a_shot_at_the_same_depth_carries_the_rep_on():
    """An edit between two cameras mid-rep: the second shot opens as low as the first left off, so
    it is one rep, judged on the second shot's frames (its start is the cut, marked as such)."""
    t = np.arange(0, 10, 1 / FS)
    d = dips(t, [(1, 2, 0.5), (4, 2, 0.5), (7, 2, 0.5)])
    cut = int(4.6 * FS)                                   # on the way down of the second rep
    shots = (np.arange(len(t)) >= cut).astype(int)
    reps, rejected = segment_reps(t, d, shots=shots)
    assert len(reps) == 3 and rejected == []
    second = reps[1]
    assert second.opens_at_cut and second.start == cut
    assert t[second.bottom] == pytest.approx(5.0, abs=1 / FS)
    assert not reps[0].opens_at_cut and not reps[2].opens_at_cut


@pytest.mark.parametrize("jump", [0.2, -0.3])
def test_a_cut_to_a_shot_at_another_depth_starts_over(jump):
    """The new shot shows the body clearly higher or lower than the last one left it: a jump in
    time, not the same movement. The rep cut in two is not counted (nor is half of it)."""
    t = np.arange(0, 10, 1 / FS)
    d = dips(t, [(1, 2, 0.5), (4, 2, 0.5), (7, 2, 0.5)])
    cut = int(4.6 * FS)
    d[cut:int(6 * FS)] = np.clip(d[cut:int(6 * FS)] + jump, 0.13, None)
    shots = (np.arange(len(t)) >= cut).astype(int)
    reps, rejected = segment_reps(t, d, shots=shots)
    assert len(reps) == 2 and all(not r.opens_at_cut for r in reps)
    assert any(why == "cut off by a change of shot" for *_, why in rejected)
