"""Tests for vision.overlay (skeleton, angle labels, banner, per-frame annotation) and vision.render (the video passes).

Frames and landmarks are synthetic with known positions; the small videos are made with H264Writer in
``tmp_path``. One integration test runs the whole pipeline on a real clip from ``../shared/videos``
(skipped when that folder is missing, failed under CI).
"""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from vision import geometry as g
from vision import overlay, render
from vision.landmarks import (L_ANKLE, L_ELBOW, L_FOOT, L_HEEL, L_HIP, L_KNEE, L_SHOULDER, L_WRIST, NOSE,
                              NUM_LANDMARKS, R_ANKLE, R_ELBOW, R_FOOT, R_HEEL, R_HIP, R_KNEE, R_SHOULDER, R_WRIST)
from vision.overlay import annotate_frame, draw_angles, draw_hud, draw_pose, rep_at_time, verdict_text
from vision.render import bottom_frames, bottom_frames_from_images, render_annotated_video
from vision.track import PoseTrack
from vision.video import iter_frames, probe
from vision.video_writer import H264Writer
from conftest import shared_clip

SHARED_VIDEOS = Path(__file__).resolve().parents[1].parent / "shared" / "videos"
REAL_CLIP = "front_barbell_highbar_short_01.mp4"
BG = 60  # synthetic background grey level


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


def blank(h: int = 240, w: int = 320, value: int = BG) -> np.ndarray:
    return np.full((h, w, 3), value, np.uint8)


def figure(w: int = 320, h: int = 240) -> np.ndarray:
    """(33, 2) pixels of a person facing the camera (their left = image right), scaled to w x h.

    Unused landmarks (face, hands) stay NaN, which the drawing must tolerate.
    """
    base = {  # in a 320 x 240 frame
        NOSE: (160, 40),
        L_SHOULDER: (190, 70), R_SHOULDER: (130, 70),
        L_ELBOW: (205, 100), R_ELBOW: (115, 100),
        L_WRIST: (210, 125), R_WRIST: (110, 125),
        L_HIP: (180, 130), R_HIP: (140, 130),
        L_KNEE: (185, 172), R_KNEE: (135, 172),
        L_ANKLE: (190, 214), R_ANKLE: (130, 214),
        L_HEEL: (187, 222), R_HEEL: (133, 222),
        L_FOOT: (200, 226), R_FOOT: (120, 226),
    }
    xy = np.full((NUM_LANDMARKS, 2), np.nan)
    for i, (x, y) in base.items():
        xy[i] = (x * w / 320, y * h / 240)
    return xy


def mid(xy: np.ndarray, a: int, b: int) -> tuple[int, int]:
    """(row, col) of the midpoint of segment a-b."""
    p = (xy[a] + xy[b]) / 2
    return int(round(p[1])), int(round(p[0]))


def patch(img: np.ndarray, rc: tuple[int, int], r: int = 1) -> np.ndarray:
    """Mean RGB of the (2r+1)^2 patch around (row, col)."""
    y, x = rc
    return img[y - r:y + r + 1, x - r:x + r + 1].reshape(-1, 3).astype(float).mean(axis=0)


def changed_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.any(a != b, axis=(1, 2)))


def red_dominant(rgb_mean: np.ndarray, margin: float = 60) -> bool:
    r, gr, b = rgb_mean
    return r > 120 and r > gr + margin and r > b + margin


def green_dominant(rgb_mean: np.ndarray, margin: float = 40) -> bool:
    r, gr, b = rgb_mean
    return gr > 120 and gr > r + margin and gr > b + margin




def rep(index, start, bottom, end, flags=(), *, left=False, right=False, severity=None, cues=None, view="front"):
    """A result ``reps[]`` entry as vision.assess makes it (metrics mostly None)."""
    flags = list(flags)
    return {
        "index": index, "start_s": start, "bottom_s": bottom, "end_s": end, "flags": flags,
        "metrics": {"knee_flexion_deg": None, "kasr_min": None, "fppa_left_deg": None, "fppa_right_deg": None,
                    "trunk_lean_deg": None},
        "confidence": 0.9,
        "cues": cues if cues is not None else (["Push the knees out."] if flags else ["Good rep."]),
        "view": view,
        "severity": severity or ("major" if flags else "ok"),
        "valgus": {"left": left, "right": right, "phase": "bottom" if (left or right) else None},
    }


def result_with(*reps, view="front", mirrored=False, problems=()):
    return {"view": view, "reps": list(reps), "problems": list(problems), "mirrored": mirrored}


def make_video(path: Path, n: int = 20, w: int = 320, h: int = 240, fps: float = 10.0) -> Path:
    """Frame i is flat grey at level 20 + 10 i (so a decoded frame tells its own index)."""
    with H264Writer(path, w, h, fps) as writer:
        for i in range(n):
            writer.write(blank(h, w, 20 + 10 * i), i / fps)
    return path


def make_track(n: int = 20, w: int = 640, h: int = 480, fps: float = 10.0, drop=()) -> PoseTrack:
    """The standing figure on every frame, in a w x h pixel space; frames in ``drop`` are missing."""
    xy = np.repeat(figure(w, h)[None], n, axis=0)
    for i in drop:
        xy[i] = np.nan
    ones = np.ones((n, NUM_LANDMARKS))
    return PoseTrack(t=np.arange(n) / fps, xy=xy, visibility=ones, presence=ones,
                     world=np.zeros((n, NUM_LANDMARKS, 3)), people=np.ones(n, int), width=w, height=h)


class FakeAnalysis:
    def __init__(self, result, track):
        self.result, self.track = result, track


def decode(path: Path) -> tuple[str, list[np.ndarray]]:
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        codec = stream.codec_context.name
        return codec, [f.to_ndarray(format="rgb24") for f in c.decode(stream)]


# --------------------------------------------------------------------------------------------------
# draw_pose
# --------------------------------------------------------------------------------------------------


def test_draw_pose_returns_a_new_frame_and_leaves_the_input_alone():
    img = blank()
    before = img.copy()
    out = draw_pose(img, figure())
    assert out.shape == img.shape and out.dtype == np.uint8
    assert np.array_equal(img, before)
    assert not np.array_equal(out, img)


def test_segments_are_drawn_where_the_landmarks_are():
    xy = figure()
    out = draw_pose(blank(), xy)
    for a, b in [(L_SHOULDER, R_SHOULDER), (L_SHOULDER, L_HIP), (R_ELBOW, R_WRIST), (L_ANKLE, L_FOOT)]:
        assert np.any(patch(out, mid(xy, a, b)) != BG), (a, b)
    # legs are green when nothing is flagged, the trunk white
    assert green_dominant(patch(out, mid(xy, L_HIP, L_KNEE)))
    assert green_dominant(patch(out, mid(xy, R_KNEE, R_ANKLE)))
    assert np.all(patch(out, mid(xy, L_SHOULDER, R_SHOULDER)) > 200)
    # far from every landmark nothing changes
    assert np.all(out[:, :60] == BG) and np.all(out[:, 260:] == BG)


def test_flagged_leg_is_red_and_the_other_stays_green():
    xy = figure()
    out = draw_pose(blank(), xy, flags={"left": True, "right": False, "phase": "bottom"})
    assert red_dominant(patch(out, mid(xy, L_HIP, L_KNEE)))
    assert red_dominant(patch(out, mid(xy, L_KNEE, L_ANKLE)))
    assert green_dominant(patch(out, mid(xy, R_HIP, R_KNEE)))
    assert green_dominant(patch(out, mid(xy, R_KNEE, R_ANKLE)))
    both = draw_pose(blank(), xy, flags={"left": True, "right": True})
    assert red_dominant(patch(both, mid(xy, R_HIP, R_KNEE)))


def test_nan_landmarks_draw_nothing():
    img = blank()
    assert np.array_equal(draw_pose(img, np.full((NUM_LANDMARKS, 2), np.nan)), img)
    xy = figure()
    xy[L_KNEE] = np.nan
    out = draw_pose(img, xy)
    # the thigh and shank of the left leg need the knee: gone; the right leg is still drawn
    ref = figure()
    assert np.all(patch(out, mid(ref, L_HIP, L_KNEE)) == BG)
    assert np.all(patch(out, mid(ref, L_KNEE, L_ANKLE)) == BG)
    assert green_dominant(patch(out, mid(ref, R_HIP, R_KNEE)))


def test_garbage_coordinates_do_not_crash():
    xy = figure()
    xy[L_KNEE] = (np.inf, 5.0)
    xy[R_KNEE] = (1e15, -1e15)
    xy[NOSE] = (-np.inf, np.nan)
    out = draw_pose(blank(), xy, np.full(NUM_LANDMARKS, np.nan))
    assert out.shape == (240, 320, 3)
    assert draw_pose(blank(), np.zeros((0, 2))).shape == (240, 320, 3)  # no landmarks at all
    far = figure()
    far[[L_KNEE, R_KNEE]] = (3e9, 2e9)  # finite angles, undrawable knees
    for view in ("front", "side", "oblique"):
        assert draw_angles(blank(), far, view=view).shape == (240, 320, 3)


def test_low_visibility_is_drawn_fainter():
    xy = figure()
    vis = np.ones(NUM_LANDMARKS)
    full = draw_pose(blank(), xy, vis)
    vis[[L_HIP, L_KNEE, L_ANKLE]] = 0.2
    faint = draw_pose(blank(), xy, vis)
    at = mid(xy, L_HIP, L_KNEE)
    strength_full = np.abs(patch(full, at) - BG).sum()
    strength_faint = np.abs(patch(faint, at) - BG).sum()
    assert 0 < strength_faint < 0.6 * strength_full
    # well-seen parts are unaffected
    assert np.array_equal(patch(full, mid(xy, R_HIP, R_KNEE)), patch(faint, mid(xy, R_HIP, R_KNEE)))


def _line_thickness(img: np.ndarray, col: int, rows: slice) -> int:
    return int(np.any(img[rows, col] != BG, axis=-1).sum())


def test_lines_get_thicker_on_bigger_frames():
    small = draw_pose(blank(240, 320), figure(320, 240))
    big = draw_pose(blank(1080, 1440), figure(1440, 1080))
    # the horizontal hip line, crossed by a vertical scan through its middle
    t_small = _line_thickness(small, 160, slice(110, 150))
    t_big = _line_thickness(big, 720, slice(495, 675))
    assert t_small >= 2
    assert t_big >= 1.6 * t_small  # lines 2 px -> 7 px; the fixed outline and anti-aliasing add ~5 px to both


@settings(max_examples=60, deadline=None)
@given(
    xy=hnp.arrays(np.float64, (NUM_LANDMARKS, 2),
                  elements=st.one_of(st.floats(-500, 800), st.just(np.nan), st.just(np.inf), st.floats(-1e12, 1e12))),
    vis=st.one_of(st.none(), hnp.arrays(np.float64, (NUM_LANDMARKS,), elements=st.floats(0, 1) | st.just(np.nan))),
    left=st.booleans(),
    view=st.sampled_from(["front", "side", "oblique", "unknown"]),
)
def test_any_landmarks_draw_without_errors(xy, vis, left, view):
    img = blank(120, 90)
    out = draw_pose(img, xy, vis, flags={"left": left})
    out = draw_angles(out, xy, view=view, visibility=vis)
    assert out.shape == img.shape and out.dtype == np.uint8


# --------------------------------------------------------------------------------------------------
# draw_angles
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def angle_labels(monkeypatch):
    """Record every angle label as (text lines, anchor) instead of only drawing it."""
    seen = []
    real = overlay._draw_label

    def spy(img, lines, anchor, **kw):
        seen.append(([t for t, _ in lines], anchor))
        return real(img, lines, anchor, **kw)

    monkeypatch.setattr(overlay, "_draw_label", spy)
    return seen


def test_front_view_labels_signed_fppa(angle_labels):
    xy = figure()
    xy[L_KNEE] = (172, 172)  # left knee pushed towards the midline (valgus)
    xy[R_KNEE] = (124, 172)  # right knee pushed out (varus)
    out = draw_angles(blank(), xy, view="front")
    assert len(angle_labels) == 2
    by_leg = {}
    for lines, anchor in angle_labels:
        by_leg["left" if anchor[0] > 160 else "right"] = lines
    for leg, (h, k, a), medial in (("left", (L_HIP, L_KNEE, L_ANKLE), -1), ("right", (R_HIP, R_KNEE, R_ANKLE), 1)):
        f = float(g.fppa(xy[h], xy[k], xy[a], medial))
        assert by_leg[leg] == [f"FPPA {f:+.0f}°"]
    assert by_leg["left"][0].startswith("FPPA +") and by_leg["right"][0].startswith("FPPA -")
    # the labels sit outside the legs: left leg's label to the image right of its outermost point
    assert not np.array_equal(out, blank())
    assert np.all(out[:150] == BG)  # nothing in the top part of the frame


def test_front_view_hides_fppa_when_the_thigh_points_at_the_camera(angle_labels):
    """A thigh foreshortened to under half the shank (deep squat, seen from the front) makes
    FPPA meaningless (planar cross-talk): the label says n/a instead of a number."""
    xy = figure()
    for hip, knee in ((L_HIP, L_KNEE), (R_HIP, R_KNEE)):
        shank = float(np.linalg.norm(xy[knee] - xy[knee + 2]))
        xy[hip] = xy[knee] + (0, -0.3 * shank)
    draw_angles(blank(), xy, view="front")
    assert [lines for lines, _ in angle_labels] == [["FPPA n/a"], ["FPPA n/a"]]


def test_front_view_fppa_follows_the_rep_tables_rule_where_the_thigh_ratio_is_known(angle_labels):
    """The rep table shows FPPA only while the thigh is at least half its standing length
    (``Thresholds.fppa_min_thigh``); given that ratio, the video does the same, even where the
    thigh still looks long next to a shank foreshortened too (a deep squat from the front)."""
    xy = figure()
    draw_angles(blank(), xy, view="front", thigh_ratio=np.array([0.45, 0.55]))
    labels = {("left" if anchor[0] > 160 else "right"): lines for lines, anchor in angle_labels}
    assert labels["left"] == ["FPPA n/a"]
    assert labels["right"][0].startswith("FPPA ") and labels["right"] != ["FPPA n/a"]


def test_front_view_labels_do_not_cover_the_legs():
    xy = figure()
    out = draw_angles(blank(), xy, view="front")
    for a, b in [(L_HIP, L_KNEE), (L_KNEE, L_ANKLE), (R_HIP, R_KNEE), (R_KNEE, R_ANKLE)]:
        assert np.all(patch(out, mid(xy, a, b)) == BG)


def test_side_view_labels_near_knee_and_trunk(angle_labels):
    xy = figure()
    # side-on person facing image left: knees forward (left), trunk leaning forward 45 degrees
    xy[[L_HIP, R_HIP]] = (200, 150)
    xy[[L_KNEE, R_KNEE]] = (150, 160)
    xy[[L_ANKLE, R_ANKLE]] = (160, 215)
    xy[[L_SHOULDER, R_SHOULDER]] = (160, 110)
    vis = np.ones(NUM_LANDMARKS)
    vis[[R_HIP, R_KNEE, R_ANKLE]] = 0.3
    draw_angles(blank(), xy, view="side", visibility=vis)
    texts = {lines[0].split()[0]: (lines, anchor) for lines, anchor in angle_labels}
    assert set(texts) == {"knee", "trunk"}
    flex = float(g.knee_flexion(xy[L_HIP], xy[L_KNEE], xy[L_ANKLE]))
    assert texts["knee"][0] == [f"knee {flex:.0f}°"]
    assert texts["trunk"][0] == ["trunk 45°"]
    assert texts["knee"][1][0] < 150 and texts["trunk"][1][0] > 200  # in front of the knee, behind the hip


def test_angles_skip_missing_legs_and_views_without_fppa(angle_labels):
    xy = figure()
    xy[R_ANKLE] = np.nan
    draw_angles(blank(), xy, view="oblique")
    flex = float(g.knee_flexion(xy[L_HIP], xy[L_KNEE], xy[L_ANKLE]))
    assert [lines for lines, _ in angle_labels] == [[f"knee {flex:.0f}°"]]
    angle_labels.clear()
    img = blank()
    assert np.array_equal(draw_angles(img, np.full((NUM_LANDMARKS, 2), np.nan), view="side"), img)
    assert np.array_equal(draw_angles(img, np.full((NUM_LANDMARKS, 2), np.nan), view="front"), img)
    assert angle_labels == []


# --------------------------------------------------------------------------------------------------
# draw_hud
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("h,w", [(640, 360), (1080, 1920), (120, 90)])
def test_hud_changes_only_the_top_band(h, w):
    img = blank(h, w, 128)
    out = draw_hud(img, rep_count=3, rep_label="of 5", verdict="Knees caved in (left)",
                   cue="Your left knee caved in on the way up: push the knees out over your toes as you stand up.",
                   severity="major")
    rows = changed_rows(img, out)
    assert rows.size and rows[0] == 0
    assert rows[-1] < 0.45 * h
    assert np.array_equal(out[rows[-1] + 1:], img[rows[-1] + 1:])
    band = out[: rows[-1] + 1]
    assert band.mean() < img.mean()  # darkened background box


def test_hud_verdict_is_coloured_by_severity():
    def colour_pixels(out, pred):
        band = out[: out.shape[0] // 3].reshape(-1, 3).astype(int)
        return sum(pred(p) for p in band[::3])

    img = blank(640, 360, 128)
    for sev, pred in [("major", lambda p: p[0] > 180 and p[1] < 90 and p[2] < 90),
                      ("minor", lambda p: p[0] > 180 and 120 < p[1] < 210 and p[2] < 60),
                      ("ok", lambda p: p[1] > 150 and p[0] < 120 and p[2] < 140)]:
        out = draw_hud(img, rep_count=1, rep_label=None, verdict="Verdict words", cue=None, severity=sev)
        assert colour_pixels(out, pred) > 20, sev


def test_hud_text_wraps_within_the_frame_width():
    scale, thick = 0.5, 1
    words = overlay._words("Your left knee caved in on the way up: push the knees out over your toes " * 3, (255,) * 3)
    lines = overlay._wrap_words(words + [("x" * 200, (255,) * 3)], scale, thick, 300)
    assert len(lines) > 3
    space = cv2.getTextSize(" ", overlay._FONT, scale, thick)[0][0]
    for line in lines:
        width = sum(overlay._text_size(word, scale, thick)[0] for word, _ in line) + space * (len(line) - 1)
        assert width <= 300


def test_hud_caps_its_height_and_survives_odd_text():
    img = blank(360, 202, 128)
    out = draw_hud(img, rep_count=0, rep_label="Łukasz 😀", verdict=None, cue="word " * 500, severity="weird")
    assert changed_rows(img, out)[-1] < 0.45 * 360
    out = draw_hud(img, rep_count=2, rep_label=None, verdict=None, cue=None)
    assert changed_rows(img, out).size  # "Rep 2" alone still draws


# --------------------------------------------------------------------------------------------------
# rep_at_time, verdict_text, annotate_frame
# --------------------------------------------------------------------------------------------------

TWO_REPS = result_with(rep(1, 1.0, 1.5, 2.0), rep(2, 3.0, 3.5, 4.0, ["knee_valgus"], left=True))


@pytest.mark.parametrize("t,index,inside", [
    (0.5, None, False), (1.0, 1, True), (1.7, 1, True), (2.5, 1, False), (3.2, 2, True), (4.0, 2, True),
    (9.0, 2, False),
])
def test_rep_at_time_picks_the_rep_in_progress_or_the_last_completed(t, index, inside):
    found, is_inside = rep_at_time(TWO_REPS, t)
    assert (found["index"] if found else None) == index
    assert is_inside == inside


def test_rep_at_time_tolerates_no_reps_and_missing_times():
    assert rep_at_time({}, 1.0) == (None, False)
    assert rep_at_time(result_with(), 1.0) == (None, False)
    broken = result_with({"index": 1, "start_s": None, "end_s": 2.0}, rep(2, 3.0, 3.5, 4.0))
    assert rep_at_time(broken, 1.0) == (None, False)
    assert rep_at_time(broken, 3.5)[0]["index"] == 2


def test_verdict_text():
    assert verdict_text(None) is None
    assert verdict_text(rep(1, 0, 1, 2)) == "Good rep"
    assert verdict_text(rep(1, 0, 1, 2, ["knee_valgus"], left=True)) == "Knees caved in (left)"
    assert verdict_text(rep(1, 0, 1, 2, ["knee_valgus"], left=True, right=True)) == "Knees caved in (both)"
    assert verdict_text(rep(1, 0, 1, 2, ["shallow"])) == "Not deep enough"
    assert verdict_text(rep(1, 0, 1, 2, ["asymmetry", "shallow", "knee_valgus"], right=True)) == \
        "Knees caved in (right); Not deep enough; Knees uneven"
    assert verdict_text({"flags": ["something_new"]}) == "Something new"


@pytest.fixture
def hud_calls(monkeypatch):
    calls = []
    real = overlay.draw_hud

    def spy(rgb, **kw):
        calls.append(kw)
        return real(rgb, **kw)

    monkeypatch.setattr(overlay, "draw_hud", spy)
    monkeypatch.setattr(render, "draw_hud", spy)  # the thumbnails' banner is drawn by vision.render
    return calls


def test_annotate_frame_shows_the_right_rep(hud_calls):
    xy = figure()
    annotate_frame(blank(), 3.5, TWO_REPS, xy)
    kw = hud_calls[-1]
    assert kw["rep_count"] == 2 and kw["rep_label"] == "of 2"
    assert kw["verdict"] == "Knees caved in (left)" and kw["cue"] == "Push the knees out." and kw["severity"] == "major"
    annotate_frame(blank(), 2.5, TWO_REPS, xy)
    assert hud_calls[-1]["rep_count"] == 1 and hud_calls[-1]["verdict"] == "Good rep"
    assert hud_calls[-1]["severity"] == "ok"
    annotate_frame(blank(), 0.2, TWO_REPS, xy)
    assert hud_calls[-1]["rep_count"] == 0 and hud_calls[-1]["verdict"] is None
    assert hud_calls[-1]["rep_label"] is None and hud_calls[-1]["cue"] is None


def test_annotate_frame_colours_valgus_legs_only_during_that_rep():
    xy = figure()
    during = annotate_frame(blank(), 3.5, TWO_REPS, xy)
    after = annotate_frame(blank(), 5.0, TWO_REPS, xy)
    assert red_dominant(patch(during, mid(xy, L_KNEE, L_ANKLE)))
    assert green_dominant(patch(during, mid(xy, R_KNEE, R_ANKLE)))
    assert green_dominant(patch(after, mid(xy, L_KNEE, L_ANKLE)))


def test_annotate_frame_with_no_reps_nan_landmarks_and_missing_fields(hud_calls):
    nan = np.full((NUM_LANDMARKS, 2), np.nan)
    res = result_with(problems=[{"code": "no_squats", "message": "No squat reps were found."}], view="unknown")
    out = annotate_frame(blank(), 1.0, res, nan)
    assert hud_calls[-1]["cue"] == "No squat reps were found."
    assert hud_calls[-1]["rep_count"] == 0 and hud_calls[-1]["rep_label"] == "No squats found"
    assert changed_rows(blank(), out)[-1] < 0.45 * 240
    sparse = {"reps": [{"index": 1, "start_s": 0.0, "end_s": 2.0, "flags": None, "cues": None,
                        "severity": None, "valgus": None, "metrics": {"knee_flexion_deg": None}}]}
    annotate_frame(blank(), 1.0, sparse, figure())
    assert hud_calls[-1]["verdict"] == "Good rep" and hud_calls[-1]["cue"] is None
    annotate_frame(blank(), 1.0, {}, nan)


# --------------------------------------------------------------------------------------------------
# a "possible" knee verdict: its own words and colour, never red, never a fault
# --------------------------------------------------------------------------------------------------


def possible_rep(index, start, bottom, end, flags=(), legs=("left",), **kw):
    """A rep whose knees got a "possible" verdict (no knee_valgus flag)."""
    r = rep(index, start, bottom, end, flags, cues=["Good rep."] if not flags else None, **kw)
    r["valgus"].update(verdict="possible", possible_legs=list(legs), decided_by=["within_set"])
    return r


def test_verdict_text_of_a_possible_rep():
    assert verdict_text(possible_rep(1, 0, 1, 2)) == "Knees: possible (left) — look"
    assert verdict_text(possible_rep(1, 0, 1, 2, legs=())) == "Knees: possible — look"
    assert verdict_text(possible_rep(1, 0, 1, 2, ["shallow", "heel_rise"], legs=("left", "right"))) == \
        "Not deep enough; Heels lifted; Knees: possible — look"
    assert overlay.hud_verdict(possible_rep(1, 0, 1, 2)) == (None, "Knees: possible (left) — look")
    assert overlay.hud_verdict(possible_rep(1, 0, 1, 2, ["shallow"])) == ("Not deep enough",
                                                                          "Knees: possible (left) — look")
    assert overlay.hud_verdict(rep(1, 0, 1, 2)) == ("Good rep", None)
    assert overlay.hud_verdict(None) == (None, None)
    # older JSON (no verdict) and a clear verdict read as before
    assert verdict_text(rep(1, 0, 1, 2, ["knee_valgus"], left=True)) == "Knees caved in (left)"
    clear = rep(1, 0, 1, 2, ["knee_valgus"], right=True)
    clear["valgus"].update(verdict="clear", possible_legs=[], decided_by=["foot_line"])
    assert overlay.hud_verdict(clear) == ("Knees caved in (right)", None)


def test_valgus_legs_red_only_for_a_clear_verdict():
    assert overlay.valgus_legs(rep(1, 0, 1, 2, ["knee_valgus"], left=True))["left"] is True  # old JSON
    odd = possible_rep(1, 0, 1, 2)
    odd["valgus"]["left"] = True  # even if the engine marked the leg, a possible knee is not red
    assert overlay.valgus_legs(odd) == {}
    assert overlay.valgus_legs(rep(1, 0, 1, 2)) == {} and overlay.valgus_legs(None) == {}


def _pixels_near(out, rgb, tol=12):
    band = out[: out.shape[0] // 3].reshape(-1, 3).astype(int)
    return int(np.all(np.abs(band - np.array(rgb)) <= tol, axis=1).sum())


def test_hud_note_is_pale_yellow_never_red():
    img = blank(640, 360, 128)
    only = draw_hud(img, rep_count=2, rep_label=None, verdict=None, note="Knees: possible (left) — look", cue=None)
    assert _pixels_near(only, overlay.POSSIBLE_COLOR) > 20
    assert _pixels_near(only, overlay.RED, 40) == 0 and _pixels_near(only, overlay.AMBER, 20) == 0
    assert tuple(only[5, 0]) == overlay.POSSIBLE_COLOR  # the bar: the note's colour when there is no verdict
    with_fault = draw_hud(img, rep_count=2, rep_label=None, verdict="Not deep enough", note="Knees: possible — look",
                          cue=None, severity="minor")
    assert tuple(with_fault[5, 0]) == overlay.AMBER  # the bar: the fault's severity
    assert _pixels_near(with_fault, overlay.POSSIBLE_COLOR) > 20 and _pixels_near(with_fault, overlay.AMBER) > 20
    plain = draw_hud(img, rep_count=2, rep_label=None, verdict="Good rep", cue=None)
    assert _pixels_near(plain, overlay.POSSIBLE_COLOR) == 0
    assert overlay.POSSIBLE_COLOR not in overlay.SEVERITY_COLORS.values()


def test_annotate_frame_and_thumbnails_show_a_possible_rep_as_a_note(hud_calls):
    xy = figure()
    res = result_with(possible_rep(1, 1.0, 1.5, 2.0))
    res["reps"][0]["valgus"]["left"] = True
    out = annotate_frame(blank(), 1.5, res, xy)
    kw = hud_calls[-1]
    assert (kw["verdict"], kw["note"], kw["severity"]) == (None, "Knees: possible (left) — look", "ok")
    assert green_dominant(patch(out, mid(xy, L_KNEE, L_ANKLE)))  # not drawn red
    res["video"] = {"fps": 10.0}
    images = [(i / 10, blank(120, 160)) for i in range(20)]
    thumbs = bottom_frames_from_images(images, FakeAnalysis(res, make_track()))
    assert sorted(thumbs) == [1] and hud_calls[-1]["note"] == "Knees: possible (left) — look"
    assert hud_calls[-1]["verdict"] is None
    assert green_dominant(patch(thumbs[1], mid(figure(160, 120), L_KNEE, L_ANKLE), 0))


# --------------------------------------------------------------------------------------------------
# render_annotated_video
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def clip(tmp_path) -> Path:
    return make_video(tmp_path / "in.mp4")  # 20 frames, 320 x 240, 10 fps


def test_render_annotated_video_writes_h264_with_every_frame(clip, tmp_path):
    # the track lives in a 640 x 480 pixel space: it must be rescaled onto the 320 x 240 frames
    analysis = FakeAnalysis(result_with(rep(1, 0.5, 1.0, 1.5, ["knee_valgus"], left=True)), make_track())
    seen = []
    out = render_annotated_video(clip, analysis, tmp_path / "out.mp4", max_side=None,
                                 progress=lambda i, n: seen.append((i, n)))
    assert out == tmp_path / "out.mp4"
    codec, frames = decode(out)
    assert codec == "h264"
    assert len(frames) == 20
    assert frames[0].shape == (240, 320, 3)
    assert seen[-1] == (20, 20) and [i for i, _ in seen] == list(range(1, 21))
    xy = figure(320, 240)
    assert red_dominant(patch(frames[10], mid(xy, L_HIP, L_KNEE), 1), margin=40)   # t = 1.0: inside the rep
    assert green_dominant(patch(frames[18], mid(xy, L_HIP, L_KNEE), 1), margin=30)  # t = 1.8: after it
    assert not (tmp_path / "out.mp4.tmp").exists() and len(list(tmp_path.glob(".out.mp4.*"))) == 0


def test_render_downscales_and_skips_frames_without_a_track_sample(clip, tmp_path):
    analysis = FakeAnalysis(result_with(), make_track(drop=[5]))
    out = render_annotated_video(clip, analysis, tmp_path / "small.mp4", max_side=160)
    info = probe(out)
    assert (info.width, info.height, info.codec) == (160, 120, "h264")
    _, frames = decode(out)
    assert len(frames) == 20
    xy = figure(160, 120)
    at = mid(xy, L_SHOULDER, L_HIP)
    assert patch(frames[4], at).mean() > patch(frames[5], at).mean() + 60  # frame 5 had no landmarks


def test_render_with_an_empty_track_and_no_reps(clip, tmp_path):
    analysis = FakeAnalysis(result_with(problems=[{"code": "no_person", "message": "No person was found."}]),
                            PoseTrack.empty(0, 0))
    out = render_annotated_video(clip, analysis, tmp_path / "empty.mp4", max_side=None)
    assert len(decode(out)[1]) == 20


def test_render_mirrored_analysis_draws_on_the_stored_frames(clip, tmp_path):
    # analyze_track(mirrored=True) returns the mirrored track; the person's true left leg is the one
    # the model called "right" on the stored (selfie) frames
    raw = make_track()
    analysis = FakeAnalysis(result_with(rep(1, 0.5, 1.0, 1.5, ["knee_valgus"], left=True), mirrored=True),
                            raw.mirrored())
    _, frames = decode(render_annotated_video(clip, analysis, tmp_path / "m.mp4", max_side=None))
    xy = figure(320, 240)
    assert red_dominant(patch(frames[10], mid(xy, R_HIP, R_KNEE), 1), margin=40)
    assert green_dominant(patch(frames[10], mid(xy, L_HIP, L_KNEE), 1), margin=30)


def test_render_streams_frames(clip, tmp_path, monkeypatch):
    """Frames are pulled one at a time and written before the next one is decoded."""
    events = []
    real_iter, real_write = render.iter_frames, render.H264Writer.write

    def frames(*a, **kw):
        for f in real_iter(*a, **kw):
            events.append("decode")
            yield f

    def write(self, rgb, t_s=None):
        events.append("write")
        return real_write(self, rgb, t_s)

    monkeypatch.setattr(render, "iter_frames", frames)
    monkeypatch.setattr(render.H264Writer, "write", write)
    render_annotated_video(clip, FakeAnalysis(result_with(), make_track()), tmp_path / "s.mp4", max_side=None)
    assert events == ["decode", "write"] * 20


# --------------------------------------------------------------------------------------------------
# bottom_frames
# --------------------------------------------------------------------------------------------------


def test_bottom_frames_one_thumbnail_per_rep_in_one_pass(clip, monkeypatch):
    calls = []
    real_iter = render.iter_frames

    def counting(*a, **kw):
        calls.append(kw)
        return real_iter(*a, **kw)

    monkeypatch.setattr(render, "iter_frames", counting)
    res = result_with(rep(1, 0.2, 0.5, 0.8), rep(2, 0.9, 1.22, 1.4, ["knee_valgus"], left=True),
                      rep(3, 1.5, 5.0, 6.0))  # bottom after the clip's end: the last frame
    thumbs = bottom_frames(clip, FakeAnalysis(res, make_track()), max_side=160)
    assert len(calls) == 1 and calls[0]["max_side"] == 160
    assert sorted(thumbs) == [1, 2, 3]
    for img in thumbs.values():
        assert img.shape == (120, 160, 3) and img.dtype == np.uint8
    # frame i has grey level 20 + 10 i: check the bottom-right corner, clear of drawing
    def level(img):
        return img[-10:, -10:].mean()
    assert abs(level(thumbs[1]) - 70) < 6    # t = 0.5 -> frame 5
    assert abs(level(thumbs[2]) - 140) < 6   # t = 1.22 -> nearest frame 12
    assert abs(level(thumbs[3]) - 210) < 6   # past the end -> frame 19
    xy = figure(160, 120)
    assert red_dominant(patch(thumbs[2], mid(xy, L_KNEE, L_ANKLE), 0), margin=40)
    assert changed_rows(np.full_like(thumbs[1], 70), thumbs[1])[0] == 0  # "Rep 1" banner at the top


def test_bottom_frames_without_reps_decodes_nothing(clip, monkeypatch):
    monkeypatch.setattr(render, "iter_frames", lambda *a, **kw: pytest.fail("decoded without reps"))
    assert bottom_frames(clip, FakeAnalysis(result_with(), make_track())) == {}


def test_bottom_frames_from_images_picks_the_nearest_kept_frame():
    """The live page keeps small frames in memory (no video file): same drawing, nearest time."""
    images = [(i / 10, blank(120, 160, 20 + 10 * i)) for i in range(20)]
    res = result_with(rep(1, 0.2, 0.52, 0.8), rep(2, 0.9, 1.18, 1.4, ["knee_valgus"], left=True),
                      rep(3, 1.5, 5.0, 6.0))  # no kept frame near 5.0 s: left out
    res["video"] = {"fps": 10.0}
    thumbs = bottom_frames_from_images(images, FakeAnalysis(res, make_track()))
    assert sorted(thumbs) == [1, 2]
    assert abs(thumbs[1][-10:, -10:].mean() - 70) < 6    # t = 0.52 -> frame 5
    assert abs(thumbs[2][-10:, -10:].mean() - 140) < 6   # t = 1.18 -> frame 12
    assert red_dominant(patch(thumbs[2], mid(figure(160, 120), L_KNEE, L_ANKLE), 0), margin=40)
    assert bottom_frames_from_images([], FakeAnalysis(res, make_track())) == {}


# --------------------------------------------------------------------------------------------------
# Real clip
# --------------------------------------------------------------------------------------------------


@pytest.mark.videos
def test_real_clip_end_to_end(tmp_path):
    """MediaPipe on the shortest real clip, then the annotated video and the bottom thumbnails.

    Saves /tmp/overlay_real_annotated.png and /tmp/overlay_real_bottom.png for a human look.
    """
    path = shared_clip(REAL_CLIP)
    from vision.analysis import analyze_video

    analysis = analyze_video(path)
    reps = analysis.result["reps"]
    assert reps, "the short high-bar clip has one rep"
    out = render_annotated_video(path, analysis, tmp_path / "annotated.mp4", max_side=720)
    src, info = probe(path), probe(out)
    assert info.codec == "h264"
    assert max(info.width, info.height) == 720
    assert abs(info.width / info.height - src.width / src.height) < 0.02
    codec, frames = decode(out)
    assert len(frames) == len(analysis.track)
    thumbs = bottom_frames(path, analysis, max_side=480)
    assert sorted(thumbs) == [r["index"] for r in reps]
    assert all(max(img.shape[:2]) == 480 for img in thumbs.values())
    # keep one of each for a human look
    bottom_t = reps[0]["bottom_s"]
    k = int(np.argmin([abs(f.t_s - bottom_t) for f in iter_frames(out)]))
    cv2.imwrite("/tmp/overlay_real_annotated.png", cv2.cvtColor(frames[k], cv2.COLOR_RGB2BGR))
    cv2.imwrite("/tmp/overlay_real_bottom.png", cv2.cvtColor(thumbs[reps[0]["index"]], cv2.COLOR_RGB2BGR))
