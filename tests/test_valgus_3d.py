"""Knee valgus against the feet, lunges from any angle, single-leg squats: 3D synthetic skeletons.

The skeletons (``skeleton3d``) are built in 3D with the knee's position relative to the foot known
exactly, then projected by a camera from the front, at 45° or from the side, looking down 8°.
"""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from skeleton3d import (FOOT, FS, dip, LEFT, RIGHT, SCALE, SHANK, lunge_pose, project, single_leg_pose, squat_pose,
                        reverse_lunge_pose, step_down_pose,
                        squat_set, track_of)
from vision import geometry as g
from vision.analysis import AnalysisOptions, analyze_track
from vision.thresholds import Thresholds

TH = Thresholds()


def run(track, **kw):
    io = {k: kw.pop(k) for k in ("video_info", "source") if k in kw}
    return analyze_track(track, AnalysisOptions(**kw), **io).result


def _leg_points(pose: dict, side: int, yaw: float = 0.0, pitch: float = 0.0) -> dict:
    return {name: project(np.asarray(pose[side][name]), yaw, pitch) for name in ("ankle", "knee", "toe")}


@settings(max_examples=60, deadline=None)
@given(turn_out=st.floats(0, 45), cave=st.floats(-0.5, 1.0), q=st.floats(0.2, 1.0), side=st.sampled_from([LEFT, RIGHT]))
def test_knee_inside_foot_line_is_exact_in_orthographic_front_view(turn_out, cave, q, side):
    """From the shank's foreshortening and the toe's sideways offset, the knee's distance inside
    the foot line (foot lengths) is recovered exactly, for any turn-out, depth and caving."""
    stand = _leg_points(squat_pose(0.0, turn_out_deg=turn_out), side)
    bent = _leg_points(squat_pose(q, turn_out_deg=turn_out, cave=cave), side)
    out = 1.0 if side == LEFT else -1.0          # +x in the image is the person's left
    shank_px = SHANK * SCALE
    lateral = lambda p, ref: out * (p[0] - ref[0]) / shank_px   # noqa: E731
    travel = lateral(bent["knee"], bent["ankle"]) - lateral(stand["knee"], stand["ankle"])
    forward = g.out_of_plane_length(bent["ankle"], bent["knee"], shank_px) / shank_px
    foot = FOOT / SHANK
    tan_phi = g.foot_turn_out_tan(lateral(stand["toe"], stand["ankle"]), foot)
    assert np.isclose(tan_phi, np.tan(np.radians(turn_out)), atol=1e-9)
    assert np.isclose(g.knee_inside_foot_line(travel, forward, tan_phi, foot), cave * q, atol=1e-6)


def test_foot_turn_out_is_clipped_to_a_squat_stance_seen_off_the_front():
    assert np.isclose(g.foot_turn_out_tan(0.95, 1.0), np.tan(np.radians(65)))
    assert np.isclose(g.foot_turn_out_tan(-0.9, 1.0), np.tan(np.radians(-35)))
    assert np.isclose(g.foot_turn_out_tan(np.sin(np.radians(-20)), 1.0), np.tan(np.radians(-20)))
    assert g.out_of_plane_length(np.zeros(2), np.array([3.0, 4.0]), 5.0) == 0.0
    assert np.isclose(g.out_of_plane_length(np.zeros(2), np.array([0.0, 3.0]), 5.0), 4.0)


@pytest.mark.parametrize("turn_out", [0, 15, 30, 40])
@pytest.mark.parametrize("depth_deg", [35, 22])
def test_knees_inside_the_toe_line_are_flagged_at_any_turn_out(turn_out, depth_deg):
    """Knees that drift 0.9 foot lengths inside the line over the toes (two and a half foot breadths):
    clear, both knees, whether the feet point ahead or out 40°, deep or shallow — also where KASR
    stays above 1. (At 0.7 a turned-out deep squat is within the foot line's own error band, two
    standard deviations of the toe point's turn-out: possible, unless another measure agrees.)"""
    res = run(track_of(squat_set(2, turn_out_deg=turn_out, depth_deg=depth_deg, cave=0.9), noise_px=0.5))
    assert res["view"] == "front" and res["summary"]["rep_count"] == 2
    for rep in res["reps"]:
        assert "knee_valgus" in rep["flags"], rep["metrics"]
        assert rep["valgus"]["left"] and rep["valgus"]["right"]
        for leg in ("left", "right"):
            assert rep["metrics"][f"knee_toe_{leg}"] >= TH.knee_toe_inside.value
            assert abs(rep["metrics"][f"foot_turn_out_{leg}_deg"] - turn_out) < 3


@pytest.mark.parametrize("turn_out, stance_half, depth_deg", [(30, 0.13, 35), (40, 0.13, 35), (40, 0.20, 40)])
def test_turned_out_feet_hide_caving_from_the_ankle_measures(turn_out, stance_half, depth_deg):
    """The case the ankle-referenced measures miss: feet out 30–40°, knees inside the toes but still
    wider than the ankles (KASR > 1, the knee moved outwards relative to its ankle), in a hip-width
    and a wide deep squat. With the turn-out estimate capped at 30° the 40° stances read as tracking
    well. Only the foot line sees it, so it decides alone: 0.45 foot lengths inside is within its
    error band (the turn-out 2 × 9° lower, a foot 10 % longer, the camera's look-down angle) —
    possible, not a fault; a whole foot length inside is past it — clear."""
    for cave, verdict in ((0.45, "possible"), (1.0, "clear")):
        rep = run(track_of(squat_set(1, turn_out_deg=turn_out, stance_half=stance_half, depth_deg=depth_deg,
                                     cave=cave), noise_px=0.5))["reps"][0]
        m = rep["metrics"]
        if cave == 0.45:  # the premise: the ankle-referenced measures see nothing
            assert m["kasr_min"] > 1.0 and m["knee_shift_left"] < 0 and m["knee_shift_right"] < 0, m
        assert rep["valgus"]["verdict"] == verdict, (cave, m)
        assert "foot_line" in rep["valgus"]["decided_by"]
        assert ("knee_valgus" in rep["flags"]) == (verdict == "clear")
        if verdict == "possible":
            assert m["knee_toe_left"] >= TH.knee_toe_inside.value > m["knee_toe_low_left"]
            assert not rep["valgus"]["left"] and sorted(rep["valgus"]["possible_legs"]) == ["left", "right"]
            assert not any("knee" in c.lower() for c in rep["cues"]), rep["cues"]   # never a cue


@pytest.mark.parametrize("cave, verdict", [(0.0, "none"), (0.6, "possible"), (1.5, "clear")])
def test_a_deep_squat_whose_knees_cave_half_way_down_and_up_is_judged_there(cave, verdict):
    """Knees that cave only around half way down and up (depth ≈ 0.26 of a 0.61 peak: under half of
    it) and track the toes at the bottom, feet out 30°: judged on every frame at least half way to
    parallel, not only the deepest half of the rep (which read 0.27 here); where they were furthest
    in is on the way down or up."""
    t = np.arange(int(9 * FS)) / FS
    q = dip(t, [(1.0, 2.4), (4.2, 2.4)])
    bump = cave * np.exp(-((q - 0.5) / 0.12) ** 2) / np.maximum(q, 1e-3)   # foot lengths at q, over q
    res = run(track_of([squat_pose(float(x), depth_deg=45, turn_out_deg=30, cave=float(b)) for x, b in zip(q, bump)],
                       noise_px=0.5))
    assert res["summary"]["rep_count"] == 2
    assert [r["valgus"]["verdict"] for r in res["reps"]] == [verdict] * 2
    assert res["summary"]["valgus_reps"] == (2 if verdict == "clear" else 0)
    assert res["summary"]["possible_valgus_reps"] == (2 if verdict == "possible" else 0)
    if cave:
        key = "phase" if verdict == "clear" else "possible_phase"
        assert all(r["valgus"][key] in ("descent", "ascent") for r in res["reps"])


@pytest.mark.parametrize("turn_out", [0, 15, 30, 40])
@pytest.mark.parametrize("depth_deg", [35, 22])
def test_knees_over_the_toes_are_not_flagged(turn_out, depth_deg):
    res = run(track_of(squat_set(2, turn_out_deg=turn_out, depth_deg=depth_deg), noise_px=0.5))
    assert res["summary"]["rep_count"] == 2
    assert res["summary"]["valgus_reps"] == 0
    for rep in res["reps"]:
        assert abs(rep["metrics"]["knee_toe_left"]) < TH.knee_toe_inside.value


def test_wide_stance_knees_pushed_out_over_the_toes_is_good():
    res = run(track_of(squat_set(2, turn_out_deg=30, stance_half=0.22, cave=-0.3), noise_px=0.5))
    assert res["summary"]["rep_count"] == 2 and res["summary"]["valgus_reps"] == 0
    assert all(r["metrics"]["knee_toe_left"] < 0 for r in res["reps"])


@pytest.mark.parametrize("cave, caught", [(0.0, False), (0.9, True)])
def test_feet_under_the_hips_filmed_square_are_a_front_view_and_judged(cave, caught):
    """A narrow stance, ankles 0.27 torso lengths apart (feet under the hips or closer), filmed
    square: the view is front, from the shoulders and the head, and the knees are judged there —
    good knees not flagged, knees 0.9 foot lengths inside their line caught. (When the front view
    asked for ankles 0.3 torso lengths apart, this stance read oblique: knees possible at most and
    the advice to film facing the camera, which the person was.)"""
    res = run(track_of(squat_set(2, stance_half=0.04, turn_out_deg=10, cave=cave), noise_px=0.5))
    assert res["summary"]["rep_count"] == 2
    for rep in res["reps"]:
        assert rep["view"] == "front"
        assert (rep["valgus"]["verdict"] == "clear") is caught, rep["valgus"]


@settings(max_examples=25, deadline=None)
@given(yaw=st.floats(-30, 30), turn_out=st.floats(0, 30), pitch=st.floats(0, 25))
def test_the_feet_read_how_far_the_camera_is_turned(yaw, turn_out, pitch):
    """Half the two feet's turn-out difference in the picture is the camera's turn from the way
    they point (one foot looks turned out by the yaw more, the other less), whatever the person's
    own turn-out: within 2° from a level camera. A camera looking down over-reads it, by up to 5°
    at 25°: the toe's sideways offset is read against the standing shank, which looking down
    foreshortens (over-reading the turn only makes a view oblique sooner). A grid and 300 random
    draws read −1.4° to +4.7°. Turn-out up to 30°: a foot turned out 40° seen from 30° to its side
    looks turned 70°, past the 65° a foot's reading is clipped to, and the turn reads 2.5-3° short."""
    from vision.rep_frames import RepFrames
    from vision.reps import segment_reps
    from vision.signals import clean_track, compute_signals
    from vision.valgus import feet_yaw_deg

    sig = compute_signals(clean_track(track_of(squat_set(1, turn_out_deg=turn_out), yaw_deg=yaw, pitch_deg=pitch)))
    (win,), _ = segment_reps(sig.t, sig.depth, TH)
    error = feet_yaw_deg(RepFrames.of(sig, win, TH), TH) - abs(yaw)
    assert -2.0 < error < 2.0 + 0.14 * pitch    # 2° level, 5.5° at 25° down


@pytest.mark.parametrize("yaw", [0, 12, 18, -18])
def test_a_trunk_leaning_past_the_shins_keeps_a_slightly_turned_front_view(yaw):
    """Squats whose trunk leans 30° further than the shins, filmed up to 18° off the front: the head
    comes forward and, seen from a little to the side, sits off the shoulder midline while loaded,
    as a turning body's would; the planted feet show the camera within 20° of square, so the knees
    are still judged from the front (knees 0.9 foot lengths inside their line: clear). At 25°, feet
    and head alike say turned: oblique. (With the head alone, 18° read oblique.)"""
    res = run(track_of(squat_set(2, turn_out_deg=15, trunk_extra_deg=30, cave=0.9), yaw_deg=yaw, noise_px=0.3))
    assert res["summary"]["rep_count"] == 2
    assert [r["view"] for r in res["reps"]] == ["front", "front"]
    assert all(r["valgus"]["verdict"] == "clear" for r in res["reps"])
    turned = run(track_of(squat_set(2, turn_out_deg=15, trunk_extra_deg=30, cave=0.9), yaw_deg=25, noise_px=0.3))
    assert [r["view"] for r in turned["reps"]] == ["oblique", "oblique"]


@pytest.mark.parametrize("yaw", [0, 45, -45, 90])
def test_lunges_are_rejected_from_every_view(yaw):
    res = run(track_of(squat_set(3, pose=lunge_pose), yaw_deg=yaw, noise_px=0.5))
    assert res["reps"] == [], (yaw, res["view"])
    assert "no_squats" in {p["code"] for p in res["problems"]}
    assert len(res["rejected_dips"]) == 3
    assert all("lunge" in d["reason"] for d in res["rejected_dips"])


@pytest.mark.parametrize("yaw", [135, 160])
def test_a_lunge_whose_front_thigh_reads_steep_is_still_a_lunge(yaw, monkeypatch):
    """Seen from behind at an angle, with the near (front) leg drawn lower and larger than it is (a
    close camera's perspective, or MediaPipe misplacing it), the front thigh reads steep and the
    thighs differ by less than the thigh test needs, as on the shared oblique reverse-lunge clip
    (0.40-0.44). The shins still tell: the rear one lies on the floor while the front one stands."""
    from vision import thresholds
    from vision.landmarks import L_ANKLE, L_FOOT, L_HEEL, L_HIP, L_KNEE

    track = track_of(squat_set(3, pose=lunge_pose), yaw_deg=yaw, noise_px=0.5)
    xy = track.xy.copy()
    thigh_px = np.linalg.norm(xy[0, L_KNEE] - xy[0, L_HIP])
    drop = np.maximum(xy[:, L_HIP, 1] + 0.6 * thigh_px - xy[:, L_KNEE, 1], 0.0)  # front thigh ≥ 0.6 tall
    for j in (L_KNEE, L_ANKLE, L_HEEL, L_FOOT):   # the whole front leg below the hip, so its shin stays upright
        xy[:, j, 1] += drop
    track = replace(track, xy=xy)
    res = run(track)
    assert res["reps"] == [] and len(res["rejected_dips"]) == 3, (yaw, res["rejected_dips"])
    assert all("lunge" in d["reason"] for d in res["rejected_dips"])
    bodyweight = thresholds.PROFILES["bodyweight"]   # the thighs alone miss it:
    monkeypatch.setitem(thresholds.PROFILES, "bodyweight", replace(
        bodyweight, thresholds=thresholds._with(bodyweight.thresholds, lunge_shin_asymmetry=float("inf"))))
    assert run(track)["summary"]["rep_count"] == 3


@pytest.mark.parametrize("yaw", [45, -45])
def test_a_free_leg_held_out_flat_is_not_a_lunge(yaw):
    """A shallow single-leg squat, the free leg raised in front: from 45° its shin reads as flat as a
    lunge's rear shin (≈ 0.1) while the standing shin stays upright (≈ 0.9), but its knee is up
    near the hip, not down below the other knee."""
    res = run(track_of(squat_set(2, pose=single_leg_pose, depth_deg=20), yaw_deg=yaw, noise_px=0.5),
              profile="single-leg")
    assert res["summary"]["rep_count"] == 2, (yaw, res["rejected_dips"])


def test_front_single_leg_squat_is_seen_as_one_and_its_caving_knee_flagged():
    """Default profile: one foot held off the floor through the rep → a single-leg squat, seen
    from the front (judged from shoulders and head, not from the feet), the standing knee judged."""
    good = run(track_of(squat_set(2, pose=single_leg_pose), noise_px=0.5))
    caving = run(track_of(squat_set(2, pose=single_leg_pose, cave=0.6), noise_px=0.5))
    for res in (good, caving):
        assert res["view"] == "front" and res["summary"]["rep_count"] == 2
        assert all(r["stance"] == "single_leg" and r["metrics"]["standing_leg"] == "left" for r in res["reps"])
        assert "lateral_shift" in res["reps"][0]["not_judged"]
    assert good["summary"]["valgus_reps"] == 0
    assert caving["summary"]["valgus_reps"] == 2
    assert all(r["valgus"]["left"] and not r["valgus"]["right"] for r in caving["reps"])


@pytest.mark.parametrize("yaw", [0, 20, -20, 45, 90])
def test_a_step_down_off_a_box_is_a_single_leg_squat_from_any_view(yaw):
    """Forward step-down on the left leg: the free foot ends *below* the standing one (the lowest
    foot is not the standing foot) and moves with the body; never a lunge, never two legs."""
    res = run(track_of(squat_set(2, pose=step_down_pose), yaw_deg=yaw, noise_px=0.5))
    assert res["rejected_dips"] == [] and res["summary"]["rep_count"] == 2, (yaw, res["rejected_dips"])
    assert all(r["stance"] == "single_leg" for r in res["reps"])


@pytest.mark.parametrize("yaw", [0, 45, 90])
def test_a_reverse_lunge_is_not_taken_for_a_step_down(yaw, monkeypatch):
    """Its stepping foot also leaves and comes back, but the leg bends to put the knee near the
    floor; a step-down's free leg hangs straight. Even when the lunge test misses (as on the shared
    oblique reverse-lunge clip), the stepping foot does not make the rep a single-leg squat."""
    from vision import movement

    assert run(track_of(squat_set(2, pose=reverse_lunge_pose), yaw_deg=yaw, noise_px=0.5))["reps"] == []
    monkeypatch.setattr(movement, "lunge_like", lambda rf, th, look_down_tan=0.0: False)
    res = run(track_of(squat_set(2, pose=reverse_lunge_pose), yaw_deg=yaw, noise_px=0.5))
    assert not any(r["stance"] == "single_leg" for r in res["reps"])


@pytest.mark.parametrize("yaw", [0, 10, 20, -10])
def test_front_step_down_judges_the_standing_knee(yaw):
    good = run(track_of(squat_set(2, pose=step_down_pose), yaw_deg=yaw, noise_px=0.5))
    caving = run(track_of(squat_set(2, pose=step_down_pose, cave=0.8), yaw_deg=yaw, noise_px=0.5))
    for res in (good, caving):
        assert res["view"] == "front"
        assert all(r["metrics"]["standing_leg"] == "left" for r in res["reps"])
    assert good["summary"]["valgus_reps"] == 0
    assert caving["summary"]["valgus_reps"] == 2
    assert all(r["valgus"]["left"] and not r["valgus"]["right"] for r in caving["reps"])


@pytest.mark.parametrize("yaw", [10, 20])
def test_a_slightly_turned_camera_does_not_make_a_good_pistol_cave(yaw):
    """FPPA reads a pistol's forward-travelling knee as 28-48° of 'valgus' at 10-20° of camera yaw
    (planar cross-talk); the foot line, which knows where the knee travels, says it is over the toes."""
    res = run(track_of(squat_set(2, pose=single_leg_pose), yaw_deg=yaw, noise_px=0.5))
    assert res["summary"]["rep_count"] == 2 and res["summary"]["valgus_reps"] == 0
    assert all(r["metrics"]["fppa_left_deg"] > 13 for r in res["reps"])  # FPPA alone would have flagged


@pytest.mark.parametrize("cave, verdict", [(0.6, "none"), (1.0, "clear")])
def test_hidden_feet_are_not_judged_against_the_toes_and_say_what_that_misses(cave, verdict):
    """Feet turned out 30° and hidden: knees 0.6 foot lengths inside the toes sit right over the
    ankles, which the ankle measures cannot tell from a good squat with the feet ahead; the reason
    says exactly that. Knees a whole foot length inside move in past the ankles: still caught."""
    res = run(track_of(squat_set(2, turn_out_deg=30, cave=cave), foot_visibility=0.1, noise_px=0.5))
    for rep in res["reps"]:
        assert rep["metrics"]["knee_toe_left"] is None and rep["metrics"]["knee_toe_right"] is None
        why = rep["not_judged"]["knee_toe_left"]
        assert "feet" in why and "inside the toes are not seen" in why
        assert rep["valgus"]["verdict"] == verdict and "foot_line" not in rep["valgus"]["decided_by"]


def test_from_behind_the_toes_are_not_trusted_and_the_ankles_still_judge():
    """From behind the toes are hidden behind the heels: no foot line (with the reason), while the
    knees caving towards the midline are still caught against the ankles."""
    res = run(track_of(squat_set(2, turn_out_deg=0, cave=0.9), yaw_deg=180, noise_px=0.5))
    assert res["view"] == "front" and res["summary"]["rep_count"] == 2
    for rep in res["reps"]:
        assert rep["metrics"]["knee_toe_left"] is None and "behind" in rep["not_judged"]["knee_toe_left"]
        assert "knee_valgus" in rep["flags"]
    good = run(track_of(squat_set(2, turn_out_deg=30), yaw_deg=180, noise_px=0.5))
    assert good["summary"]["valgus_reps"] == 0


def test_one_foots_stray_toe_point_does_not_make_its_knee_cave():
    """Both feet turned out 15°, knees over the toes, but the left toe point sits as if that foot were
    turned out 28° (one toe point's error; 17° vs 39° for the same foot in a shared clip and its
    mirror image): the stance's two feet are read together, which halves the error, so the left
    knee is not called inside its toe line."""
    from vision.landmarks import L_ANKLE, L_FOOT

    track = track_of(squat_set(2, turn_out_deg=15, depth_deg=38), noise_px=0.5)
    xy = track.xy.copy()
    foot_px = FOOT * SCALE
    # the left toe placed as a 28° turn-out would put it (image +x is the person's left)
    xy[:, L_FOOT, 0] = xy[:, L_ANKLE, 0] + foot_px * np.sin(np.radians(28))
    res = run(replace(track, xy=xy))
    assert res["summary"]["rep_count"] == 2 and res["summary"]["valgus_reps"] == 0, \
        [r["metrics"]["knee_toe_left"] for r in res["reps"]]


def test_fppa_is_not_reported_while_the_thigh_points_at_the_camera():
    rep = run(track_of(squat_set(1, depth_deg=40), noise_px=0.5))["reps"][0]
    assert rep["metrics"]["fppa_left_deg"] is None and rep["metrics"]["fppa_disp_left_deg"] is None
    assert "foreshortened" in rep["not_judged"]["fppa_left"]


@pytest.mark.parametrize("lead_s", [0.0, 0.4, 1.0])
def test_a_set_that_starts_soon_after_the_clip_keeps_its_first_rep(lead_s):
    assert run(track_of(squat_set(3, lead_s=lead_s), noise_px=0.5))["summary"]["rep_count"] == 3


@pytest.mark.parametrize("extra_frames", [0, 1, 2])
def test_a_clip_that_stops_as_the_last_rep_ends_keeps_it(extra_frames):
    """The clip is cut a frame or two after the last rep's end: every rule that reads frames
    around the rep's ends stays inside the clip (a shared clip re-filmed at 15 fps ended there and
    crashed a first version of the bow rule)."""
    poses = squat_set(2, depth_deg=30)
    ends = [r["end_s"] for r in run(track_of(poses))["reps"]]
    cut = int(round(ends[-1] * FS)) + 1 + extra_frames
    assert run(track_of(poses[:cut], noise_px=0.3))["summary"]["rep_count"] == 2


def test_a_hinge_is_not_a_squat():
    """Trunk tipped ~60° further than the shins (a deadlift-like hinge), seen from the front."""
    res = run(track_of(squat_set(2, depth_deg=25, trunk_extra_deg=60), noise_px=0.5))
    assert res["reps"] == [] and all("hinge" in d["reason"] for d in res["rejected_dips"])


@pytest.mark.parametrize("yaw", [0, 45, 90])
def test_bowing_under_the_bar_to_rack_it_is_not_a_rep(yaw):
    """A quarter bend whose trunk tips forward to ~60° as the legs straighten (the lifter bows to
    set the bar in the hooks) and only later stands up to walk out: the dip never ends standing
    tall, so it is no squat."""
    t = np.arange(int(7.0 * FS)) / FS
    q = dip(t, [(1.0, 2.4)])
    # from the bottom on, held for a second after the legs straighten, then upright again
    bow = 60.0 * np.clip((t - 2.2) / 1.0, 0.0, 1.0) * np.clip((4.8 - t) / 0.5, 0.0, 1.0)
    res = run(track_of([squat_pose(float(a), depth_deg=30, bow_deg=float(b)) for a, b in zip(q, bow)],
                       yaw_deg=yaw, noise_px=0.5))
    assert res["reps"] == []
    assert any("bent far over as the legs straightened" in d["reason"] for d in res["rejected_dips"])


@pytest.mark.parametrize("yaw", [0, 45, 90])
def test_a_squat_that_leans_forward_at_the_bottom_but_ends_tall_counts(yaw):
    """A low-bar-like squat: trunk 50° from vertical at the bottom, upright at both ends."""
    res = run(track_of(squat_set(3, depth_deg=30, trunk_extra_deg=20), yaw_deg=yaw, noise_px=0.5))
    assert res["summary"]["rep_count"] == 3


@pytest.mark.parametrize("yaw", [0, 20])
def test_a_quarter_squat_leaning_forward_under_a_high_camera_counts(yaw):
    """Quarter squats (shins 22°) whose trunk leans 27° further, filmed from a camera looking down
    25° (high on a wall): each rep ends where the depth crosses its exit threshold with the knees
    still bent and the trunk still leaning, which that camera reads as 45°. The person then
    stands tall; the reps count. (Judged at the crossing alone, every rep was a bow.)"""
    res = run(track_of(squat_set(3, depth_deg=22, trunk_extra_deg=27, rep_s=2.0, gap_s=0.8), yaw_deg=yaw,
                       pitch_deg=25, noise_px=0.3))
    assert res["summary"]["rep_count"] == 3, res["rejected_dips"]


def test_a_trunk_tracked_upside_down_does_not_reject_the_rep():
    """Shoulders tracked below the hips as a rep ends (a lifter hidden behind the plates) is a
    tracking failure, not a bow: the rep still counts."""
    from skeleton3d import TORSO
    from vision.landmarks import L_SHOULDER, R_SHOULDER
    poses = squat_set(2, depth_deg=35)
    track = track_of(poses, noise_px=0.5)
    xy = track.xy.copy()
    sl = slice(int(2.85 * FS), int(3.3 * FS))            # the first rep's last rise and end (≈ 3.0 s)
    xy[sl, [L_SHOULDER, R_SHOULDER], 1] += 2.2 * TORSO * 400.0   # shoulders below the hips
    assert run(replace(track, xy=xy))["summary"]["rep_count"] == 2


def _edited(poses: list[dict], cut_s: float, *, yaw_after: float = 90.0):
    """One set filmed by two cameras at once, edited with a hard cut at ``cut_s`` from the front
    camera to one at ``yaw_after`` (grey-level change: a spike at the cut, as ``vision.shots`` sees)."""
    front, other = track_of(poses, noise_px=0.5), track_of(poses, yaw_deg=yaw_after, noise_px=0.5, seed=1)
    cut = int(round(cut_s * FS))
    xy = np.concatenate([front.xy[:cut], other.xy[cut:]])
    score = np.full(len(poses), 0.004)
    score[cut] = 0.3
    return replace(front, xy=xy, cut_score=score)


@pytest.mark.parametrize("yaw_after", [90, 45])
def test_an_edit_between_two_cameras_inside_a_rep_keeps_the_rep(yaw_after):
    """Cut from the front to the side camera half-way down rep 2 (of 3): three reps, the second
    judged on the side shot's frames, its descent's duration not guessed."""
    poses = squat_set(3, depth_deg=35)              # reps start at 1.0, 4.2, 7.4 s, 2.4 s each
    res = run(_edited(poses, cut_s=4.2 + 0.6, yaw_after=yaw_after))
    assert res["summary"]["rep_count"] == 3
    second = res["reps"][1]
    assert second["start_s"] == pytest.approx(4.8, abs=0.05) and second["metrics"]["descent_s"] is None
    assert "cuts to another shot" in second["not_judged"]["descent_s"]
    assert res["reps"][0]["metrics"]["descent_s"] > 0


def test_an_edit_that_jumps_to_a_standing_shot_does_not_invent_a_rep():
    """Cut half-way down rep 2 to a shot of the person standing (a later moment): rep 2 is not
    counted, the others are."""
    poses = squat_set(3, depth_deg=35)
    cut = int(round(4.8 * FS))
    standing = [squat_pose(0.0)] * int(0.8 * FS)
    spliced = poses[:cut] + standing + poses[int(round(6.6 * FS)):]
    res = run(_edited(spliced, cut_s=4.8))
    assert res["summary"]["rep_count"] == 2


def _feet_at_bottom_edge(track, beyond: float):
    """Move the picture up so the ankles sit ``beyond`` × the frame height below its bottom edge
    (a close-up that cuts the feet); the heels and toes fall further out."""
    from vision.landmarks import L_ANKLE, R_ANKLE

    ankle_y = np.nanmax(track.xy[:, [L_ANKLE, R_ANKLE], 1])
    return replace(track, xy=track.xy + np.array([0.0, track.height * (1 + beyond) - ankle_y]))


def test_ankles_on_the_frame_edge_still_count_but_heels_out_of_frame_are_not_judged():
    """Ankles estimated 1% of the frame below its edge: on the edge, the reps count and depth is
    judged; the heels are out of the picture, so heel rise says why it was not judged."""
    res = run(_feet_at_bottom_edge(track_of(squat_set(3, depth_deg=35), yaw_deg=90, noise_px=0.5), 0.01))
    assert res["summary"]["rep_count"] == 3
    for rep in res["reps"]:
        assert rep["metrics"]["heel_rise"] is None and "out of the picture" in rep["not_judged"]["heel_rise"]
        assert rep["metrics"]["squat_depth"] is not None


def test_feet_well_out_of_frame_are_not_counted():
    res = run(_feet_at_bottom_edge(track_of(squat_set(3, depth_deg=35), yaw_deg=90, noise_px=0.5), 0.08))
    assert res["summary"]["rep_count"] == 0
    assert "body_cut_off" in {p["code"] for p in res["problems"]}


@pytest.mark.parametrize("roll", [-5.0, 5.0])
def test_a_camera_rolled_a_few_degrees_does_not_shift_the_hips_sideways(roll):
    """A phone held 5° off level: the hips' descent runs 5° off image vertical, which read as a
    sideways drift of ~0.1 ankle widths (the flag's threshold) when measured along image x. Measured
    across the person's own standing axis it is what the level camera reads."""
    track = track_of(squat_set(2, turn_out_deg=15, depth_deg=38), noise_px=0.5)
    r = np.radians(roll)
    centre = np.array([track.width / 2, track.height / 2])
    rot = np.array([[np.cos(r), -np.sin(r)], [np.sin(r), np.cos(r)]])
    rolled = replace(track, xy=(track.xy - centre) @ rot.T + centre)
    level, tilted = run(track), run(rolled)
    assert tilted["summary"]["rep_count"] == 2
    for a, b in zip(level["reps"], tilted["reps"]):
        assert "lateral_shift" not in b["flags"]
        assert abs(a["metrics"]["lateral_shift"] - b["metrics"]["lateral_shift"]) < 0.02


@pytest.mark.parametrize("yaw", [0, 26])
def test_a_person_too_small_for_the_pose_model_is_not_judged_at_the_knees(tmp_path, yaw):
    """The same caving set, its landmarks found on a copy scaled to 0.3 (legs ≈ 59 px where the pose
    model looked): the knees are not judged, the user is told to film closer, the reps still count.
    Off the front too (26°: an oblique view, whose knees are judged clear on the foot line)."""
    from vision.analysis import rescale_track
    from vision.track import PoseTrack

    track = track_of(squat_set(2, turn_out_deg=15, cave=0.8), yaw_deg=yaw, noise_px=0.5)
    assert run(track)["summary"]["valgus_reps"] == 2
    assert {r["view"] for r in run(track)["reps"]} == {"front" if yaw == 0 else "oblique"}
    small = rescale_track(replace(track, xy=track.xy * 0.3, width=192, height=216), track.width, track.height)
    assert small.pose_scale == pytest.approx(0.3)
    small.save(tmp_path / "t.npz")
    assert PoseTrack.load(tmp_path / "t.npz").pose_scale == pytest.approx(0.3)
    res = run(small)
    assert res["summary"]["rep_count"] == 2 and res["summary"]["valgus_reps"] == 0
    assert all("film closer" in r["not_judged"]["valgus"].lower() for r in res["reps"])
    assert all(r["metrics"]["leg_px"] < 75 for r in res["reps"])
    assert "person_too_small" in {p["code"] for p in res["problems"]}
    assert "person_too_small" not in {p["code"] for p in run(track)["problems"]}
