"""Pose sampling: which frames get pose inference, and the landmarks interpolated in between."""

import numpy as np

from vision.landmarks import L_ANKLE, L_HIP, NUM_LANDMARKS, R_ANKLE, R_HIP
from vision.sampling import PoseSampler, fill_skipped
from vision.track import PoseFrame

FPS = 30.0


def _person(depth: float, x: float = 0.0) -> PoseFrame:
    """A frame whose hip–ankle length is (1 − depth) × 100 px."""
    xy = np.full((NUM_LANDMARKS, 2), 50.0) + [x, 0.0]
    for hip, ankle in ((L_HIP, L_ANKLE), (R_HIP, R_ANKLE)):
        xy[hip] = [x, 0.0]
        xy[ankle] = [x, 100.0 * (1.0 - depth)]
    return PoseFrame(xy, np.full(NUM_LANDMARKS, 0.9), np.full(NUM_LANDMARKS, 0.9), np.zeros((NUM_LANDMARKS, 3)), 1)


def _analysed(depths: list[float], moving_hz=15.0, idle_hz=7.5) -> list[int]:
    sampler = PoseSampler(moving_hz, idle_hz)
    done = []
    for i, d in enumerate(depths):
        t = i / FPS
        if sampler.wants(t, 1 / FPS):
            sampler.update(t, _person(d))
            done.append(i)
    return done


def test_standing_still_is_sampled_at_the_idle_rate():
    done = _analysed([0.0] * 90)
    assert done[0] == 0
    assert set(np.diff(done)) == {4}        # 7.5 Hz at 30 fps


def test_every_frame_is_analysed_while_lowered():
    depths = [0.0] * 30 + [0.3] * 30 + [0.0] * 30
    done = _analysed(depths)
    lowered = [i for i in done if 30 <= i < 60]
    # after the first analysed lowered frame, every frame until the body rises
    assert lowered == list(range(lowered[0], 60)) and lowered[0] <= 33


def test_slowly_starting_descent_is_sampled_at_the_moving_rate():
    depths = [0.0] * 30 + [0.05] * 30          # lowered a little, not loaded
    gaps = np.diff([i for i in _analysed(depths) if i >= 34])
    assert set(gaps) == {2}                   # 15 Hz at 30 fps


def test_nobody_in_view_is_sampled_at_the_idle_rate():
    """(after one lost frame is retried at once)"""
    sampler = PoseSampler(15.0, 7.5)
    done = []
    for i in range(60):
        if sampler.wants(i / FPS, 1 / FPS):
            sampler.update(i / FPS, PoseFrame.empty(0))
            done.append(i)
    assert set(np.diff(done)) == {4}


def test_fill_skipped_interpolates_linearly_and_keeps_gaps_without_a_person():
    a, b = _person(0.0, x=0.0), _person(0.0, x=30.0)
    out = fill_skipped([a, None, None, b, None, PoseFrame.empty(0), None])
    assert np.allclose(out[1].xy, a.xy + [10.0, 0.0]) and np.allclose(out[2].xy, a.xy + [20.0, 0.0])
    assert out[1].people == 1
    assert out[4].people == 0 and np.isnan(out[4].xy).all()   # between a person and nobody: nothing made up
    assert out[6].people == 0                                  # after the last analysed frame: held
    assert all(f is not None for f in out)


def test_fill_skipped_holds_the_last_frame_at_the_end_of_the_clip():
    a = _person(0.1)
    out = fill_skipped([a, None, None])
    assert out[1] is a and out[2] is a


def test_a_person_lost_for_one_frame_is_looked_for_on_the_next():
    sampler = PoseSampler(15.0, 7.5)
    sampler.update(0.0, _person(0.0))
    sampler.update(1 / FPS, PoseFrame.empty(0))
    assert sampler.wants(2 / FPS, 1 / FPS)
    sampler.update(2 / FPS, PoseFrame.empty(0))
    assert not sampler.wants(3 / FPS, 1 / FPS)
