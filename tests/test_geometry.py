"""Geometry on synthetic landmarks with exactly known answers (plus properties via Hypothesis)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vision import geometry as g

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
angles = st.floats(0.0, 360.0, allow_nan=False)
lengths = st.floats(1.0, 500.0)


def rot(v, deg):
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    v = np.asarray(v, float)
    return np.stack([c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1]], -1)


def test_angle_between_known_values():
    assert g.angle_between([1, 0], [0, 1]) == pytest.approx(90)
    assert g.angle_between([1, 0], [5, 0]) == pytest.approx(0)
    assert g.angle_between([1, 0], [-2, 0]) == pytest.approx(180)
    assert g.angle_between([1, 0], [1, 1]) == pytest.approx(45)


@given(angles, angles, lengths, lengths, angles)
def test_angle_between_invariant_to_rotation_and_scale(a, b, la, lb, r):
    u = la * np.array([math.cos(math.radians(a)), math.sin(math.radians(a))])
    v = lb * np.array([math.cos(math.radians(b)), math.sin(math.radians(b))])
    expected = abs((a - b + 180) % 360 - 180)
    assert g.angle_between(u, v) == pytest.approx(expected, abs=1e-6)
    assert g.angle_between(rot(u, r), rot(v, r)) == pytest.approx(expected, abs=1e-6)


@given(st.floats(0.0, 170.0), lengths, lengths, finite, finite, angles)
def test_knee_flexion_recovers_the_bend(phi, thigh, shank, x0, y0, r):
    """Hip placed so the thigh leaves the straight-leg line by exactly phi → flexion phi."""
    knee = np.array([x0, y0])
    down = rot(np.array([0.0, 1.0]), r)
    ankle = knee + shank * down
    hip = knee - thigh * rot(down, phi)
    assert g.knee_flexion(hip, knee, ankle) == pytest.approx(phi, abs=1e-6)


def test_knee_flexion_vectorised_over_frames():
    hip = np.array([[0, 0], [0, 0], [np.nan, 0]])
    knee = np.array([[0, 1], [0, 1], [0, 1]])
    ankle = np.array([[0, 2], [1, 1], [0, 2]])
    out = g.knee_flexion(hip, knee, ankle)
    assert out.shape == (3,)
    assert out[0] == pytest.approx(0)
    assert out[1] == pytest.approx(90)
    assert np.isnan(out[2])


@given(st.floats(-0.9, 0.9).filter(lambda d: abs(d) > 1e-3), st.floats(10, 300), finite, finite)
def test_fppa_sign_and_size_front_view(dx, leg, x0, y0):
    """Left leg of a person facing the camera: midline is to image-left (−x).

    Knee displaced by dx·leg/2 sideways at mid-height: |FPPA| = 2·atan(dx) exactly, positive
    (valgus) when the knee moves towards the midline.
    """
    half = leg / 2
    hip = np.array([x0, y0])
    ankle = hip + [0, leg]
    knee = hip + [dx * half, half]
    other_hip = hip - [40, 0]
    medial = g.medial_sign(hip, other_hip)
    assert medial == -1
    value = g.fppa(hip, knee, ankle, medial)
    assert abs(value) == pytest.approx(math.degrees(2 * math.atan(abs(dx))), abs=1e-6)
    assert (value > 0) == (dx < 0)


@given(st.floats(-0.9, 0.9), st.floats(10, 300))
def test_fppa_mirror_symmetry(dx, leg):
    """Mirroring the image flips x and which side is medial: the FPPA must not change."""
    hip, knee, ankle, other = np.array([100.0, 0]), np.array([100 + dx * leg / 2, leg / 2]), np.array([100.0, leg]), np.array([60.0, 0])
    flip = np.array([-1.0, 1.0])
    a = g.fppa(hip, knee, ankle, g.medial_sign(hip, other))
    b = g.fppa(hip * flip, knee * flip, ankle * flip, g.medial_sign(hip * flip, other * flip))
    assert a == pytest.approx(b, abs=1e-9)


def test_fppa_straight_leg_is_zero():
    assert g.fppa([0, 0], [0, 1], [0, 2], 1.0) == pytest.approx(0)


def test_knee_line_displacement_exact():
    # hip (0,0), ankle (0,200): knee 20 px medial (towards −x midline) at mid-height
    value = g.knee_line_displacement([0, 0], [-20, 100], [0, 200], -1.0)
    leg = 2 * math.hypot(20, 100)
    assert value == pytest.approx(20 / leg)
    assert g.knee_line_displacement([0, 0], [20, 100], [0, 200], -1.0) == pytest.approx(-20 / leg)


def test_separation_ratios():
    kasr = g.separation_ratio([10, 0], [-10, 0], [25, 5], [-25, 5])
    assert kasr == pytest.approx(20 / 50)
    assert np.isnan(g.separation_ratio([1, 0], [0, 0], [3, 0], [3, 9]))  # ankles stacked: undefined


@given(finite, finite, finite, st.floats(1, 200))
def test_medial_offset_sums_to_separation_change(xk, xa, d, w):
    """Left and right knee offsets inside their ankles add up to ankle sep − knee sep."""
    lk, rk = np.array([xk + w, 0.0]), np.array([xk - w + d, 0.0])
    la, ra = np.array([xa + 2 * w, 0.0]), np.array([xa - 2 * w, 0.0])
    lh, rh = np.array([w, -5.0]), np.array([-w, -5.0])
    total = g.medial_offset(lk, la, g.medial_sign(lh, rh)) + g.medial_offset(rk, ra, g.medial_sign(rh, lh))
    expected = (la[0] - ra[0]) - (lk[0] - rk[0])
    assert total == pytest.approx(expected, abs=1e-6)


@given(st.floats(0, 89), st.floats(10, 300))
def test_segment_angle_from_vertical(lean, length):
    hip = np.array([50.0, 300.0])
    shoulder = hip + length * np.array([math.sin(math.radians(lean)), -math.cos(math.radians(lean))])
    assert g.segment_angle_from_vertical(hip, shoulder) == pytest.approx(lean, abs=1e-6)


def test_depth_helpers():
    assert g.frontal_depth(100, 200, 100) == pytest.approx(-1)   # standing: hip a thigh above knee
    assert g.frontal_depth(200, 200, 100) == pytest.approx(0)    # parallel
    assert bool(g.hip_below_knee(205, 200))
    assert not bool(g.hip_below_knee(190, 200))
    assert bool(g.hip_below_knee(190, 200, tolerance_px=15))
    assert g.lateral_shift(110, 100, 50) == pytest.approx(0.2)
    assert g.heel_rise(480, 500, 100) == pytest.approx(0.2)


@given(roll=st.floats(-20, 20), x=st.floats(-50, 50), y=st.floats(-50, 50))
def test_across_body_is_the_x_of_the_unrolled_picture(roll, x, y):
    """Rolling the camera by ρ turns a body's vertical and every vector with it: measured across the
    rolled body, a vector reads what its x read in the level picture."""
    r = np.radians(roll)
    rot = np.array([[np.cos(r), -np.sin(r)], [np.sin(r), np.cos(r)]])   # image coordinates, y down
    up = np.array([0.0, -100.0])
    rolled_roll = g.body_roll(np.zeros(2), rot @ up)
    assert g.across_body(rot @ np.array([x, y]), rolled_roll) == pytest.approx(x, abs=1e-9)


def test_body_roll_sign():
    assert g.body_roll(np.array([0.0, 0.0]), np.array([0.0, -10.0])) == pytest.approx(0.0)
    assert g.body_roll(np.array([0.0, 0.0]), np.array([10.0, -10.0])) == pytest.approx(45.0)   # top towards +x
    assert g.across_body(np.array([3.0, 4.0]), 0.0) == pytest.approx(3.0)


def test_letterbox_fits_keeps_the_aspect_and_centres_on_black():
    """A 200x100 (W x H) white picture into 640x480: scaled ×3.2 to 640x320, 80 px bars above and below."""
    from vision.images import letterbox

    out = letterbox(np.full((100, 200, 3), 255, np.uint8), 640, 480)
    assert out.shape == (480, 640, 3) and out.dtype == np.uint8
    rows = np.flatnonzero(out[:, 320, 0] > 0)
    assert (rows[0], rows[-1]) == (80, 399)
    assert out[:80].max() == 0 and out[400:].max() == 0 and out[80:400].min() == 255


def test_in_frame_allows_the_margin_and_rejects_nan():
    pts = np.array([[[0.0, 0.0], [640.0, 480.0]],          # on the corners
                    [[-12.0, 10.0], [100.0, 489.0]],       # 1.9% of 640 left, 1.9% of 480 below
                    [[-14.0, 10.0], [100.0, 100.0]],       # 2.2% left
                    [[np.nan, 10.0], [100.0, 100.0]]])
    assert g.in_frame(pts, 640, 480).tolist() == [True, False, False, False]
    assert g.in_frame(pts, 640, 480, 0.02).tolist() == [True, True, False, False]


@given(st.floats(0.0, 80.0), st.floats(0.0, 45.0))
def test_level_shank_vertical_undoes_a_camera_looking_down(alpha_deg, tau_deg):
    """A shank tilted forward by α, seen by a camera looking down by τ, spans cos(α + τ) / cos τ of
    its standing projected length; ``level_shank_vertical`` gives back cos α, what a level camera
    reads, and leaves a level camera's reading alone."""
    a, t = math.radians(alpha_deg), math.radians(tau_deg)
    seen = math.cos(a + t) / math.cos(t)
    assert g.level_shank_vertical(seen, math.tan(t)) == pytest.approx(math.cos(a), abs=1e-9)
    assert g.level_shank_vertical(seen, 0.0) == pytest.approx(seen, abs=1e-12)


def test_distance_from_segment_known_values():
    a, b = np.array([0.0, 0.0]), np.array([4.0, 0.0])
    assert g.distance_from_segment([2.0, 0.0], a, b) == pytest.approx(0.0)     # on it
    assert g.distance_from_segment([1.0, 3.0], a, b) == pytest.approx(3.0)     # beside it
    assert g.distance_from_segment([7.0, 4.0], a, b) == pytest.approx(5.0)     # past its end: to the end
    assert g.distance_from_segment([-3.0, -4.0], a, b) == pytest.approx(5.0)   # before its start
    assert g.distance_from_segment([3.0, 4.0], a, a) == pytest.approx(5.0)     # a segment of no length: its end
    frames = g.distance_from_segment(np.array([[2.0, 1.0], [2.0, -2.0]]), np.zeros((2, 2)), np.array([[4.0, 0], [4, 0]]))
    assert frames == pytest.approx([1.0, 2.0])


@given(st.floats(0.0, 1.0), st.floats(0.5, 300.0), st.floats(-200.0, 200.0), angles, finite, finite)
def test_a_point_off_a_segment_is_as_far_from_it_in_any_placement(s, length, offset, r, x0, y0):
    """A point beside the segment at fraction ``s`` of its length, ``offset`` off it, is |offset| from
    it however the segment is turned and placed: a straight leg's knee (offset 0) stays on its
    hip-ankle segment however foreshortened the leg is."""
    origin = np.array([x0, y0])
    a, b = origin, origin + rot([length, 0.0], r)
    point = origin + rot([s * length, offset], r)
    assert g.distance_from_segment(point, a, b) == pytest.approx(abs(offset), abs=1e-6 * (1 + length + abs(offset)))


@given(st.floats(0.0, 40.0), st.floats(0.0, 120.0))
def test_level_hip_knee_undoes_a_camera_looking_down(tau_deg, theta_deg):
    """A thigh θ from vertical, its hip behind its knee, under a camera looking down τ spans
    cos(θ − τ) / cos τ of its standing projected length above the knee; a level camera reads
    −cos θ. Exact for θ ≥ τ; a thigh bent less than τ reads as bent 2τ − θ."""
    tau, theta = math.radians(tau_deg), math.radians(theta_deg)
    seen = -math.cos(theta - tau) / math.cos(tau)
    expected = -math.cos(theta if theta >= tau else 2 * tau - theta)
    assert g.level_hip_knee(seen, math.tan(tau)) == pytest.approx(expected, abs=1e-6)
    assert g.level_hip_knee(-math.cos(theta), 0.0) == pytest.approx(-math.cos(theta), abs=1e-9)   # a level camera: as seen


def test_level_hip_knee_known_values():
    # a parallel thigh under a 30° look-down reads 0.58 thigh lengths below the hip (35° above level)
    assert -math.cos(math.radians(60)) / math.cos(math.radians(30)) == pytest.approx(-0.577, abs=1e-3)
    assert g.level_hip_knee(-0.5 / math.cos(math.radians(30)), math.tan(math.radians(30))) == pytest.approx(0.0, abs=1e-9)
