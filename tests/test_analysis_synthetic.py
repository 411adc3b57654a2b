"""The whole analysis (``analyze_track``) on synthetic squatters with known faults."""

import json

import numpy as np
import pytest
from dataclasses import replace

from synthetic import GROUND, L, flexion_profile, front_squat_track, side_squat_track
from vision.analysis import AnalysisOptions, analyze_track
from vision.export import to_csv, to_json
from vision.landmarks import L_ANKLE, L_KNEE, R_KNEE

FS = 30.0
T = np.arange(0, 12, 1 / FS)
THREE_REPS = [(1, 2.0, 130), (4, 2.0, 130), (7, 2.0, 130)]


def run(track, **kw):
    io = {k: kw.pop(k) for k in ("video_info", "source") if k in kw}
    return analyze_track(track, AnalysisOptions(**kw), **io).result


def flags(result):
    return [r["flags"] for r in result["reps"]]


def test_front_good_squats_no_valgus():
    res = run(front_squat_track(T, flexion_profile(T, THREE_REPS), knee_track=0.3, noise_px=1.0))
    assert res["view"] == "front" and res["summary"]["rep_count"] == 3
    assert all("knee_valgus" not in f for f in flags(res))
    assert res["problems"] == []


def test_front_bilateral_valgus_is_flagged_on_that_rep_only():
    kt = np.where((T > 3.5) & (T < 6.5), -0.35, 0.3)   # rep 2 caves in
    res = run(front_squat_track(T, flexion_profile(T, THREE_REPS), knee_track=kt, noise_px=1.0))
    assert ["knee_valgus" in f for f in flags(res)] == [False, True, False]
    rep = res["reps"][1]
    assert rep["valgus"]["left"] and rep["valgus"]["right"]
    assert rep["metrics"]["kasr_min"] < 0.8 < res["reps"][0]["metrics"]["kasr_min"]
    assert "caved in" in rep["cues"][0]


def test_valgus_only_on_the_way_up_is_caught():
    """Knees track out on the way down and cave only during the ascent."""
    theta = flexion_profile(T, [(1, 2.0, 130)])
    kt = np.where(T < 2.1, 0.3, -0.35)   # bottom at t = 2.0
    res = run(front_squat_track(T, theta, knee_track=kt))
    rep = res["reps"][0]
    assert "knee_valgus" in rep["flags"]
    assert rep["valgus"]["phase"] == "ascent"
    assert "on the way up" in rep["cues"][0]


def test_one_knee_caves_per_leg_verdict_and_mirroring():
    theta = flexion_profile(T, [(1, 2.0, 100)])
    track = front_squat_track(T, theta, knee_track=0.3)
    # left knee moves inward instead of out (the right keeps tracking out)
    xy = track.xy.copy()
    half = np.radians(theta) / 2
    xy[:, L_KNEE, 0] = track.xy[:, L_ANKLE, 0] - 0.45 * L * np.sin(half)
    track = replace(track, xy=xy)
    res = run(track)
    rep = res["reps"][0]
    assert "knee_valgus" in rep["flags"] and rep["valgus"]["left"] and not rep["valgus"]["right"]
    # the same squat seen in a mirror: the model would call that knee "right"; mirrored=True undoes it
    mirror_raw = track.mirrored()
    assert run(mirror_raw)["reps"][0]["valgus"]["right"]
    assert run(mirror_raw, mirrored=True)["reps"][0]["valgus"]["left"]


def test_side_view_depth_lean_heels_and_valgus_not_judged():
    theta = flexion_profile(T, [(1, 2.0, 100), (4, 2.0, 140), (7, 2.0, 140)])
    lift = np.where((T > 7) & (T < 9), 0.25 * np.sin(np.pi * (T - 7) / 2), 0.0)
    res = run(side_squat_track(T, theta, heel_lift=lift))
    assert res["view"] == "side"
    f = flags(res)
    assert "shallow" in f[0] and "shallow" not in f[1] and "shallow" not in f[2]
    assert "heel_rise" in f[2] and "heel_rise" not in f[1]
    assert all("knee_valgus" not in x for x in f)
    assert "valgus" in res["reps"][0]["not_judged"]
    assert res["reps"][1]["metrics"]["knee_flexion_deg"] == pytest.approx(140, abs=3)
    lean = run(side_squat_track(T, theta, trunk_lean_extra=30))
    assert all("forward_lean" in x for x in flags(lean)[1:])


def test_no_person():
    track = front_squat_track(T, np.zeros_like(T))
    track = replace(track, people=np.zeros(len(T), int), xy=np.full_like(track.xy, np.nan),
                    visibility=np.zeros_like(track.visibility))
    res = run(track)
    assert res["reps"] == [] and [p["code"] for p in res["problems"]] == ["no_person"]


def test_several_people_reported():
    track = front_squat_track(T, flexion_profile(T, THREE_REPS))
    res = run(replace(track, people=np.full(len(T), 2)))
    assert "multiple_people" in {p["code"] for p in res["problems"]}


def test_body_cut_off_gives_problem_and_no_reps():
    track = front_squat_track(T, flexion_profile(T, THREE_REPS))
    res = run(replace(track, height=int(GROUND - 50)))   # ankles below the bottom edge
    codes = {p["code"] for p in res["problems"]}
    assert "body_cut_off" in codes and res["reps"] == []


def test_standing_still_is_no_squats():
    res = run(front_squat_track(T, np.zeros_like(T), noise_px=1.0))
    assert res["reps"] == [] and {p["code"] for p in res["problems"]} == {"no_squats"}


def test_json_contract_fields_and_strict_json():
    res = run(front_squat_track(T, flexion_profile(T, THREE_REPS)), video_info={"fps": 30.0, "frames": len(T),
              "duration_s": 12.0, "width": 640, "height": 720})
    doc = json.loads(to_json(res))
    assert {"schema_version", "video", "view", "reps", "problems"} <= doc.keys()
    assert {"fps", "frames", "duration_s", "width", "height"} <= doc["video"].keys()
    assert doc["view"] in ("front", "side", "oblique", "unknown")
    for i, rep in enumerate(doc["reps"], 1):
        assert rep["index"] == i
        assert rep["start_s"] < rep["bottom_s"] < rep["end_s"]
        assert isinstance(rep["flags"], list) and isinstance(rep["metrics"], dict)
        assert 0.0 <= rep["confidence"] <= 1.0 and rep["cues"]
    assert to_csv(res).count("\n") == 1 + len(doc["reps"])


def _single_leg_track(knee_in_px: float):
    """Front view single-leg squat to 70° on the left leg (hip over the foot): the right foot is
    lifted and kept there; the left knee drifts ``knee_in_px``·sin(θ/2) towards the midline."""
    theta = flexion_profile(T, [(1, 2.0, 70), (4, 2.0, 70), (7, 2.0, 70)])
    track = front_squat_track(T, theta, knee_track=0.0, hip_half=60.0, ankle_half=60.0)
    xy = track.xy.copy()
    for j in (R_KNEE + 2, R_KNEE + 4, R_KNEE + 6):     # right ankle, heel, toe: lifted 0.6 L
        xy[:, j, 1] -= 0.6 * L
    xy[:, L_KNEE, 0] -= knee_in_px * np.sin(np.radians(theta) / 2)
    return replace(track, xy=xy)


def test_single_leg_profile_uses_sex_specific_fppa_norms():
    # at the bottom the knee is 7.4 px in: atan(7.4/65.6) + atan(7.4/93.4) ≈ 11° of FPPA
    mild = _single_leg_track(knee_in_px=7.4 / np.sin(np.radians(35)))
    female = run(mild, profile="single-leg", sex="female")
    male = run(mild, profile="single-leg", sex="male")
    assert female["summary"]["rep_count"] == male["summary"]["rep_count"] == 3
    fppa = female["reps"][0]["metrics"]["fppa_left_deg"]
    assert 9 < fppa < 13, fppa                      # between the two norms...
    verdicts = lambda res: [r["valgus"]["verdict"] for r in res["reps"]]  # noqa: E731
    assert verdicts(female) == ["none"] * 3           # ...normal for a woman (≤ 13°)
    # ...above normal for a man (> 9°), by less than FPPA's own ~3° error and with the foot line short of
    # its threshold (0.30 of 0.35 foot lengths): a look, not a flag (``single_leg_fppa_foot_agreement``)
    assert verdicts(male) == ["possible"] * 3 and all("knee_valgus" not in f for f in flags(male))
    assert male["reps"][0]["valgus"]["possible_legs"] == ["left"] and male["reps"][0]["metrics"]["standing_leg"] == "left"
    # further in, the foot line agrees: a flag for both
    clear = _single_leg_track(knee_in_px=12 / np.sin(np.radians(35)))
    for sex in ("female", "male"):
        assert all("knee_valgus" in f for f in flags(run(clear, profile="single-leg", sex=sex)))
    assert run(_single_leg_track(0.0), profile="single-leg", sex="male")["summary"]["valgus_reps"] == 0


def test_one_ankle_point_off_around_the_bottom_loses_no_rep():
    """A front view: one ankle point off for half a second around the deepest point (as MediaPipe's
    did on a re-encoded real rep) changes nothing about the rep: it counts."""
    t = np.arange(0, 5, 1 / 30)
    theta = flexion_profile(t, [(1.0, 2.5, 120)])
    squat = front_squat_track(t, theta, noise_px=0.5)
    bottom = int(np.argmax(theta))
    glitch = squat.xy.copy()
    glitch[bottom - 7:bottom + 8, L_ANKLE, 1] += 0.2 * (2 * L)
    res = run(replace(squat, xy=glitch))
    assert res["summary"]["rep_count"] == 1, res["rejected_dips"]
