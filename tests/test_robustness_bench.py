"""bench/robustness.py re-films a clip: each variant does what it says and keeps every frame's time."""


import numpy as np
import pytest

import robustness
from vision.video import iter_frames
from vision.video_writer import H264Writer


@pytest.fixture
def clip(tmp_path):
    """1 s at 30 fps, 160x96: a white bar on the left third of a black frame."""
    path = tmp_path / "bar.mp4"
    rgb = np.zeros((96, 160, 3), np.uint8)
    rgb[20:76, 10:50] = 255
    with H264Writer(path, 160, 96, 30.0) as w:
        for i in range(30):
            w.write(rgb, i / 30)
    return path


def _frames(path):
    return [(f.t_s, f.rgb) for f in iter_frames(path)]


def test_mirror_moves_the_bar_to_the_right(clip, tmp_path):
    robustness.refilm(clip, tmp_path / "m.mp4", "mirror")
    a = _frames(clip)[0][1]
    b = _frames(tmp_path / "m.mp4")[0][1]
    assert a[:, :80].mean() > 3 * a[:, 80:].mean()
    assert b[:, 80:].mean() > 3 * b[:, :80].mean()


def test_fps15_keeps_every_other_frame_at_its_own_time(clip, tmp_path):
    robustness.refilm(clip, tmp_path / "h.mp4", "fps15")
    times = [t for t, _ in _frames(tmp_path / "h.mp4")]
    assert len(times) == 15
    assert np.allclose(times, np.arange(0, 30, 2) / 30, atol=0.005)


@pytest.mark.parametrize("variant", ["far", "roll"])
def test_far_and_roll_keep_the_size_and_change_the_picture(clip, tmp_path, variant):
    robustness.refilm(clip, tmp_path / "v.mp4", variant)
    a, b = _frames(clip)[0][1], _frames(tmp_path / "v.mp4")[0][1]
    assert a.shape == b.shape
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 5


def test_lowres_caps_the_long_side():
    assert robustness._lowres(np.zeros((720, 1280, 3), np.uint8)).shape == (180, 320, 3)
    small = np.zeros((100, 200, 3), np.uint8)
    assert robustness._lowres(small) is small


def test_default_selection_is_the_valgus_and_no_squat_clips():
    rows = [{"file": "a", "valgus_times": "1.0", "good_times": "", "view": "front"},
            {"file": "b", "valgus_times": "", "good_times": "", "view": "side"},
            {"file": "c", "valgus_times": "", "good_times": "", "view": "none"},
            {"file": "d", "valgus_times": "", "good_times": "2.0", "view": "front"}]
    assert [r["file"] for r in robustness.selected(rows, None)] == ["a", "c", "d"]
    assert [r["file"] for r in robustness.selected(rows, "b")] == ["b"]


def test_pan_slides_the_picture_a_fifth_of_its_width_to_and_fro():
    """``pan``: a window 80 % of the width, whose content slides over 0.16 of the original width
    (a fifth of the window) and back every 4 s; every frame keeps its size."""
    w = 1000
    ramp = np.tile(np.arange(w, dtype=np.int32), (10, 1))[..., None].repeat(3, axis=2)
    left = {t: int(robustness._pan(ramp, t)[0, 0, 0]) for t in (0.0, 1.0, 2.0, 3.0, 4.0)}
    assert {robustness._pan(ramp, t).shape for t in left} == {(10, 800, 3)}
    assert left[0.0] == left[2.0] == left[4.0] == 100                         # centred at the swing's middle
    assert left[1.0] - left[3.0] == round(robustness.PAN_SWING * w) == 160   # a fifth of the 800 px window


def test_zoom_narrows_the_view_to_90_percent_and_back_keeping_the_size():
    """``zoom``: at t = 0 the picture itself; half a period later its centre 90 % scaled up to the
    same size."""
    h, w = 40, 200
    ramp = np.tile(np.arange(w, dtype=np.uint8), (h, 1))[..., None].repeat(3, axis=2)
    assert np.array_equal(robustness._zoom(ramp, 0.0), ramp)
    zoomed = robustness._zoom(ramp, robustness.ZOOM_PERIOD_S / 2)
    assert zoomed.shape == ramp.shape
    assert zoomed[0, 0, 0] == 10 and zoomed[0, -1, 0] in (189, 190)     # the middle 180 of 200 columns
