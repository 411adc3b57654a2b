"""bench/montecarlo.py: reads the measured noise model, runs, counts every rep once, and its exact
(noise-free, camera in front) draws give the verdicts the geometry dictates."""


import numpy as np

import montecarlo as mc


def test_noise_model_json_has_what_the_bench_reads():
    noise = mc.load_noise(mc.DEFAULT_NOISE)
    assert set(noise["jitter_sd_px"]) == {"hip", "knee", "ankle", "heel", "toe"}
    for row in noise["jitter_sd_px"].values():
        assert len(row) == len(noise["leg_bin_edges_px"]) + 1
        assert all(np.isfinite(v) and 0 < v < 20 for v in row)
    assert 0 < noise["per_foot_sd_deg"] < 30
    assert 0 < noise["toe_drift_sd_shank"] < 0.5


def test_tiny_run_counts_add_up():
    records = mc.run(8, seed=5, noise=mc.load_noise())
    assert len(records) == 8
    c = mc.counts(records)
    assert c["good"] + c["caving"] == c["judged"] + c["not_judged"] == c["found"] > 0
    assert c["good_judged"] + c["caving_judged"] == c["judged"]
    assert c["good_clear"] + c["good_possible"] <= c["good_judged"]
    assert "| all |" in mc.tables(records)
    assert all(rep["depth"] in ("shallow", "not judged", "ok") for r in records for rep in r["rep_results"])
    assert mc.depth_table(records).startswith("| truth |")
    assert mc.run(3, seed=5, noise=mc.load_noise()) == records[:3]   # deterministic


def _exact(cave, turn_out):
    p = mc.draw_params(np.random.default_rng(0), single_leg_share=0.0)
    p.update(kind="squat", cave=cave, caving=cave > 0.3, turn_out_deg=turn_out, yaw_deg=0.0, pitch_deg=10.0,
             depth_deg=35.0, stance_half=0.13, leg_px=180.0, reps=3, rep_s=2.4, gap_s=0.8)
    return mc.simulate_set(p, None)


def test_exact_good_set_is_never_clear():
    rec = _exact(-0.2, 15.0)
    assert rec["found"] == 3
    assert all(r["view"] == "front" for r in rec["rep_results"])
    assert not any(r["verdict"] == "clear" or r["flag"] for r in rec["rep_results"])


def test_exact_caving_set_is_clear():
    rec = _exact(1.0, 10.0)
    assert rec["found"] == 3
    assert all(r["view"] == "front" and r["verdict"] == "clear" and r["flag"] for r in rec["rep_results"])


def test_what_if_turn_out_sd_narrows_the_engine_band_only_inside_the_block():
    """``--turn-out-sd``: a knee 0.6 foot lengths inside a 30° foot line, exact landmarks, is only
    `possible` within the engine's measured 9° band; with a 0.5° band it is `clear`; afterwards the
    engine's thresholds are its own again."""
    from vision.thresholds import PROFILES

    measured = PROFILES["bodyweight"].thresholds.turn_out_error_one_foot.value
    assert [r["verdict"] for r in _exact(0.6, 30.0)["rep_results"]] == ["possible"] * 3
    with mc.engine_turn_out_sd(0.5):
        assert all(p.thresholds.turn_out_error_one_foot.value == 0.5 for p in PROFILES.values())
        assert [r["verdict"] for r in _exact(0.6, 30.0)["rep_results"]] == ["clear"] * 3
    assert PROFILES["bodyweight"].thresholds.turn_out_error_one_foot.value == measured
    assert [r["verdict"] for r in _exact(0.6, 30.0)["rep_results"]] == ["possible"] * 3


def test_noise_model_reads_the_foot_a_second_way_from_the_heel():
    """bench/noise_model.json carries the heel → toe turn-out beside the toe point's, per clip, and how
    closely their left-right disagreements follow each other (BENCHMARKS.md quotes it)."""
    import json

    turn = json.loads(mc.DEFAULT_NOISE.read_text())["turn_out"]
    assert -1.0 <= turn["heel_toe_half_diff_correlation"] <= 1.0 and 0 < turn["heel_per_foot_sd_deg"] < 30
    for clip in turn["per_clip"].values():
        assert abs(clip["heel_half_diff_deg"] - (clip["heel_left_deg"] - clip["heel_right_deg"]) / 2) < 1e-9


def test_foot_wander_moves_only_the_feet_by_the_measured_amount():
    """``--foot-wander``: every foot point (ankle, heel, toe) moves together by the planted feet's
    wander measured on real reps (bench/noise_model.json ``foot_wander``); nothing else changes."""
    from vision.landmarks import L_ANKLE, L_FOOT, L_HEEL, L_HIP, R_ANKLE, R_FOOT, R_HEEL

    noise = mc.load_noise()
    assert len(noise["foot_wander_leg"]) >= 20 and 0 < np.median(noise["foot_wander_leg"]) < 0.2
    p = mc.draw_params(np.random.default_rng(2), single_leg_share=0.0)
    still, wander = mc.synth_track(p, noise), mc.synth_track(p, noise, foot_wander=True)
    feet = [L_ANKLE, L_HEEL, L_FOOT, R_ANKLE, R_HEEL, R_FOOT]
    others = [j for j in range(still.xy.shape[1]) if j not in feet]
    assert np.array_equal(still.xy[:, others], wander.xy[:, others])
    moved = wander.xy[:, feet] - still.xy[:, feet]
    assert np.allclose(moved[:, 0], moved[:, 1]) and np.allclose(moved[:, 0], moved[:, 2])   # one foot, one offset
    leg_px = np.linalg.norm(still.xy[0, L_HIP] - still.xy[0, L_ANKLE])
    spread = 2 * np.percentile(np.linalg.norm(moved[:, 0] - np.median(moved[:, 0], axis=0), axis=-1), 75) / leg_px
    assert 0.2 * min(noise["foot_wander_leg"]) <= spread <= 2 * max(noise["foot_wander_leg"])


def test_perspective_camera_far_away_is_the_orthographic_one():
    """``skeleton3d.project_perspective`` becomes ``project`` (same yaw, the pitch from the camera to
    its aim point) when the camera is far away, at any yaw and pitch."""
    import skeleton3d as s3

    pts = np.random.default_rng(1).uniform([-0.3, 0.0, -0.3], [0.3, 1.0, 0.3], (50, 3))
    for yaw, pitch in [(0.0, 0.0), (20.0, 15.0), (-30.0, 28.0), (45.0, 5.0)]:
        far = 1e5
        height = 0.5 + far * np.tan(np.radians(pitch))
        assert np.abs(s3.project_perspective(pts, yaw, height, far) - s3.project(pts, yaw, pitch)).max() < 0.01


def test_perspective_camera_looks_down_at_the_feet_more_than_at_the_hips():
    """A phone near the person looks down at the feet more steeply than at the hips, as a real
    one does: a foot's forward step drops lower in the picture than the same step at hip height,
    and the set keeps every other draw of the orthographic run."""
    import skeleton3d as s3

    step = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.1], [0.0, 0.53, 0.0], [0.0, 0.53, 0.1]])
    y = s3.project_perspective(step, 0.0, camera_height=0.8, distance=1.4)[:, 1]
    assert (y[1] - y[0]) > 2 * (y[3] - y[2]) > 0
    p = mc.draw_params(np.random.default_rng(3), single_leg_share=0.0)
    q = mc.perspective_camera(p)
    assert {k: q[k] for k in p if k != "pitch_deg"} == {k: p[k] for k in p if k != "pitch_deg"}
    assert q["pitch_deg"] > q["hip_pitch_deg"]
    assert 0.17 <= q["camera_height"] <= 0.98 and 0.7 <= q["distance"] <= 2.5
    assert mc.simulate_set(q, mc.load_noise())["found"] >= 1


def test_depth_table_scores_a_parallel_and_a_quarter_squat_from_a_level_and_a_steep_camera():
    """The depth scoring: exact draws, a level camera and one looking down 30° at a parallel squat
    (thighs level: never ``shallow``) and a quarter squat (thighs 50° from vertical: ``shallow`` from
    the level camera)."""
    recs = []
    for depth_deg, pitch in ((35.0, 0.0), (35.0, 30.0), (20.0, 0.0)):
        p = mc.draw_params(np.random.default_rng(1), single_leg_share=0.0)
        p.update(kind="squat", cave=0.0, caving=False, turn_out_deg=15.0, yaw_deg=0.0, pitch_deg=pitch,
                 depth_deg=depth_deg, stance_half=0.13, leg_px=180.0, reps=2, rep_s=2.4, gap_s=0.8)
        recs.append(mc.simulate_set(p, None))
    parallel_level, parallel_steep, quarter_level = ([rep["depth"] for rep in r["rep_results"]] for r in recs)
    assert parallel_level == ["ok", "ok"] and "shallow" not in parallel_steep and quarter_level == ["shallow", "shallow"]
    table = mc.depth_table(recs)
    assert "| deep (thigh ≥ 80°) | 0-10° | 2 | 0.0 | 0.0 | 100.0 |" in table
    assert "| shallow (thigh ≤ 55° from vertical) | 0-10° | 2 | 100.0 | 0.0 | 0.0 |" in table
