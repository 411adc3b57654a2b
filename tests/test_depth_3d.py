"""Front-view depth on the 3D skeleton (``tests/skeleton3d.py``) seen by cameras looking down.

From the front the hip's height above the knee tells depth only approximately: a camera looking down
makes a thigh that leans back look steeper than it is. ``assess.judge_depth`` calls a rep shallow
only where it stays shallow read as if the thighs were seen as steeply as the feet (the deepest the
reading can mean), and says why it does not judge where only the reading as seen is shallow.
"""

import pytest

from skeleton3d import squat_set, track_of
from vision.analysis import analyze_track


def run(track):
    return analyze_track(track).result


@pytest.mark.parametrize("camera", [{"pitch_deg": 0}, {"pitch_deg": 15}, {"pitch_deg": 30}, {"pitch_deg": 40},
                                    {"perspective": (0.95, 1.4)}])
def test_a_parallel_squat_is_never_called_shallow_from_a_camera_looking_down(camera):
    """Thighs level at the bottom (``depth_deg`` 35). Under a 30° look-down they read 35° above
    level, past the 30° the front view calls shallow: every rep was flagged (the Monte-Carlo bench's
    deep reps: 19-26 % under cameras looking down 20-40°)."""
    res = run(track_of(squat_set(3, depth_deg=35, turn_out_deg=15), noise_px=0.5, **camera))
    assert res["view"] == "front" and res["summary"]["rep_count"] == 3
    assert not any("shallow" in r["flags"] for r in res["reps"])
    for rep in res["reps"]:
        if rep["metrics"]["depth_ratio"] < -0.5:      # as seen, shallow: not judged, and why
            assert "looks down" in rep["not_judged"]["depth"]


@pytest.mark.parametrize("pitch", [0, 10, 15])
def test_a_quarter_squat_is_still_called_shallow_from_a_camera_looking_down(pitch):
    """Thighs 50° from vertical at the bottom (``depth_deg`` 20): shallow by the front view's rule
    (more than 30° above level) from a level camera and from one looking down, where the thigh read
    as if seen as steeply as the feet is the thigh itself. (From 20° down, the rep's hips drop too
    little in the picture for it to be counted at all: a known miss, "too shallow".)"""
    res = run(track_of(squat_set(3, depth_deg=20, turn_out_deg=15), noise_px=0.5, pitch_deg=pitch))
    assert res["summary"]["rep_count"] == 3, res["rejected_dips"]
    assert all("shallow" in r["flags"] for r in res["reps"]), [r["metrics"] for r in res["reps"]]
