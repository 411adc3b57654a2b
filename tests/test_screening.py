"""The guided screening's decision rules (trainer/screening) on constructed analysis results, with exact answers.

Each constructed result has the fields of the engine's JSON contract the screening reads (``reps[*].valgus``,
``metrics``, ``flags``, ``flag_details``, ``stance``, ``view``, ``summary``), so the rules are tested on the
shape the engine really writes.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from trainer.screening import build_screening, compare_screenings, trend
from trainer.screening import findings as fx
from trainer.screening.heel_lift import heel_lift_test, matched_reps
from trainer.screening.plan import load_exercises
from trainer.screening.single_leg import rate_single_leg
from trainer.screening.sources import GRADES, SOURCES


def rep(i: int, verdict: str = "none", *, legs=("left", "right"), depth: float = 0.45, toe=(0.0, 0.0),
        band: float = 0.3, kasr: float = 1.05, flags=(), stance: str = "double_leg", standing_leg=None,
        fppa=None, details=(), view: str = "front", lean=None, heel=None, shift: float = 0.03) -> dict:
    """One rep as the engine writes it. ``verdict`` clear: the ``legs`` caved; possible: they might have."""
    clear = verdict == "clear"
    metrics = {"squat_depth": depth, "kasr_min": kasr, "knee_toe_left": toe[0], "knee_toe_right": toe[1],
               "knee_toe_low_left": toe[0] - band, "knee_toe_low_right": toe[1] - band,
               "fppa_left_deg": None, "fppa_right_deg": None, "asymmetry_deg": 2.0, "lateral_shift": shift,
               "trunk_tibia_divergence_deg": lean, "heel_rise": heel}
    if stance == "single_leg":
        metrics.update(standing_leg=standing_leg, fppa_norm_deg=13.0, asymmetry_deg=None, lateral_shift=None,
                       kasr_min=None, **{f"fppa_{standing_leg}_deg": fppa})
    return {"index": i, "flags": (["knee_valgus"] if clear else []) + list(flags), "metrics": metrics,
            "valgus": {"left": clear and "left" in legs, "right": clear and "right" in legs, "verdict": verdict,
                       "possible_legs": list(legs) if verdict == "possible" else [], "decided_by": [],
                       "evidence": {}},
            "stance": stance, "view": view, "flag_details": list(details), "not_judged": {}}


def result(reps: list[dict], view: str = "front", name: str = "clip.mp4") -> dict:
    return {"schema_version": "1.0", "view": view, "source": {"file": name}, "reps": reps, "problems": [],
            "summary": {"rep_count": len(reps), "valgus_reps": sum("knee_valgus" in r["flags"] for r in reps)},
            "engine": {"version": "test"}}


CAVING = result([rep(i, "clear", toe=(0.8, 0.5), kasr=0.60) for i in range(1, 6)], name="caving.mp4")
GOOD = result([rep(i, "none", toe=(0.0, 0.0), kasr=1.10) for i in range(1, 6)], name="good.mp4")


# --------------------------------------------------------------------------- heels raised vs flat


def test_caving_gone_with_the_heels_raised_is_the_ankle_branch():
    out = heel_lift_test(CAVING, GOOD)
    assert out["branch"] == "ankle"
    readings = {(m["measure"], m["leg"]): m["reading"] for m in out["measures"]}
    # 0.8 -> 0.0 against hypot(0.3, 0.3) = 0.42: better; 0.5 -> 0.0: better; KASR 0.6 -> 1.1 against 0.10: better
    assert readings == {("foot_line", "left"): "better", ("foot_line", "right"): "better", ("kasr", "both"): "better"}
    assert out["measures"][0]["error"] == pytest.approx(0.42, abs=0.005)
    assert {s["id"] for s in out["sources"]} == {"bell2008", "lima2018"}


def test_still_clearly_caving_with_the_heels_raised_is_the_hip_control_branch():
    out = heel_lift_test(CAVING, CAVING)
    assert out["branch"] == "hip_control"
    assert {m["reading"] for m in out["measures"]} == {"within error"}
    assert "hip_conflicting" in {s["id"] for s in out["sources"]}


def test_a_partial_change_is_no_clear_conclusion():
    # with the heels raised: 2 clear of 5 (below half: not the pattern), 3 possible; the measures within the error
    partial = result([rep(i, "clear" if i <= 2 else "possible", toe=(0.7, 0.45), kasr=0.58) for i in range(1, 6)])
    out = heel_lift_test(CAVING, partial)
    assert out["branch"] == "no_clear_conclusion"
    assert out["heels_raised"]["status"] == "possible"
    assert "partial change" in out["reasons"][0].lower()


def test_caving_gone_by_the_verdicts_but_not_beyond_the_error_is_no_clear_conclusion():
    # the knees read "none" with the heels raised, but every measure moved less than its clip-to-clip error
    barely = result([rep(i, "clear", toe=(0.45, 0.45), kasr=0.75) for i in range(1, 6)])
    near = result([rep(i, "none", toe=(0.3, 0.3), kasr=0.8) for i in range(1, 6)])
    out = heel_lift_test(barely, near)
    assert out["branch"] == "no_clear_conclusion"
    assert {m["reading"] for m in out["measures"]} == {"within error"}


def test_a_flat_squat_whose_caving_was_only_possible_is_no_clear_conclusion():
    maybe = result([rep(i, "possible", toe=(0.3, 0.1)) for i in range(1, 6)])
    out = heel_lift_test(maybe, GOOD)
    assert out["branch"] == "no_clear_conclusion"
    assert "only possible" in out["reasons"][0]


def test_no_caving_needs_no_heels_raised_test_and_a_missing_one_is_not_tested():
    assert heel_lift_test(GOOD, None)["branch"] == "not_needed"
    out = heel_lift_test(CAVING, None)
    assert out["branch"] == "not_tested" and "cannot be told apart" in out["reasons"][0]
    assert heel_lift_test(None, GOOD)["branch"] == "not_tested"


def test_unmatched_depth_gives_no_conclusion():
    shallow = result([rep(i, "none", depth=0.25, kasr=1.1) for i in range(1, 6)])
    out = heel_lift_test(CAVING, shallow)
    assert out["branch"] == "no_clear_conclusion" and "matched depth" in out["reasons"][0]
    a, b = matched_reps(CAVING["reps"], shallow["reps"])
    assert (a, b) == ([], [])
    a, b = matched_reps(CAVING["reps"], result([rep(1, depth=0.36), rep(2, depth=0.34)])["reps"])
    assert len(a) == 5 and len(b) == 1  # 0.36 is within 0.10 of 0.45; 0.34 is not


# --------------------------------------------------------------------------- single-leg squat


def sl(leg: str, verdicts: list[str], fppa: float = 8.0) -> dict:
    return result([rep(i, v, legs=(leg,), stance="single_leg", standing_leg=leg, fppa=fppa)
                   for i, v in enumerate(verdicts, 1)])


def test_single_leg_ratings_per_side():
    assert rate_single_leg(sl("left", ["none"] * 5), "left")["rating"] == "good"
    assert rate_single_leg(sl("left", ["clear"] * 3 + ["none"] * 2), "left")["rating"] == "poor"
    assert rate_single_leg(sl("right", ["clear"] + ["none"] * 4), "right")["rating"] == "fair"
    assert rate_single_leg(sl("right", ["none"] * 3), "right")["rating"] == "fair"  # 3 of 5 reps done
    wrong = rate_single_leg(sl("right", ["none"] * 5), "left")
    assert wrong["rating"] is None and "standing on the right" in wrong["reasons"][0]
    assert rate_single_leg(None, "left")["rating"] is None
    both_legs = rate_single_leg(GOOD, "left")
    assert both_legs["rating"] is None and "No single-leg squat" in both_legs["reasons"][0]


# --------------------------------------------------------------------------- hand entries and other findings


def test_knee_to_wall_cut_off_and_left_right_difference_against_the_mdc():
    by = {f["id"]: f for f in fx.knee_to_wall((9.0, 10.8))}
    assert by["knee_to_wall_left"]["status"] == "fault"      # 9.0 < 10.1 cm (36.5 deg / 3.6 deg per cm)
    assert by["knee_to_wall_right"]["status"] == "ok"
    assert by["knee_to_wall_difference"]["status"] == "ok"   # 1.8 cm <= 1.9 cm MDC
    by = {f["id"]: f for f in fx.knee_to_wall((12.0, 14.0))}
    assert by["knee_to_wall_difference"]["status"] == "fault"
    assert by["knee_to_wall_difference"]["numbers"]["lower_side"] == "left"
    assert fx.KTW_CUTOFF_CM == 10.1
    assert fx.knee_to_wall(None)[0]["status"] == "not_concluded"


def test_forward_lean_and_heel_rise_are_read_with_the_ankle_findings():
    side = result([rep(i, "not_judged", view="side", lean=25.0, heel=0.14, flags=("forward_lean", "heel_rise"))
                   for i in range(1, 4)], view="side")
    limited = {f["id"]: f for f in fx.side_view(side, ankle=True)}
    assert limited["forward_lean"]["status"] == "fault" and "fits" in limited["forward_lean"]["observation"]
    normal = {f["id"]: f for f in fx.side_view(side, ankle=False)}
    assert "probably does not explain" in normal["heel_rise"]["observation"]
    untested = {f["id"]: f for f in fx.side_view(side, ankle=None)}
    assert untested["heel_rise"]["next"] == "Measure knee-to-wall per side."
    front_only = fx.side_view(GOOD, ankle=None)
    assert front_only[0]["status"] == "not_concluded"


def test_lateral_shift_and_asymmetry_per_side():
    shifted = result([rep(i, toe=(0.3, 0.1), flags=("lateral_shift", "asymmetry"), shift=0.15,
                          details=[{"code": "lateral_shift", "direction": "left"}]) for i in range(1, 5)])
    by = {f["id"]: f for f in fx.shift_and_asymmetry(shifted)}
    assert by["lateral_shift"]["status"] == "fault" and by["lateral_shift"]["numbers"]["toward"] == "left"
    assert by["asymmetry"]["status"] == "fault" and by["asymmetry"]["numbers"]["worse_side"] == "left"
    assert "Certification convention (ISSA)" in by["lateral_shift"]["convention"]


# --------------------------------------------------------------------------- the whole screening and its plan


def screening(**kw) -> dict:
    analyses = kw.pop("analyses", {"front": CAVING, "heels_raised": GOOD})
    return build_screening(analyses, screened_on=kw.pop("on", date(2026, 12, 7)), **kw)


def test_pain_means_referral_and_no_plan():
    s = screening(knee_to_wall_cm=(8.0, 8.5), pain=True, pain_where="left knee, front")
    assert s["referral"]["refer"] is True and "see a clinician" in s["referral"]["text"]
    assert "left knee, front" in s["referral"]["text"]
    assert s["plan"]["items"] == [] and "Pain was reported" in s["plan"]["withheld"]
    assert s["branch"]["branch"] == "ankle"  # the findings are still shown to the trainer


def test_every_plan_item_is_traceable_to_a_finding_and_a_source():
    cases = [dict(), dict(analyses={"front": CAVING, "heels_raised": CAVING}),
             dict(analyses={"front": CAVING}, knee_to_wall_cm=(8.0, 12.5)),
             dict(analyses={"front": CAVING, "heels_raised": GOOD, "single_leg_left": sl("left", ["clear"] * 5)})]
    for kw in cases:
        s = screening(**kw)
        ids = {f["id"]: f for f in s["findings"]}
        assert s["plan"]["items"], kw
        assert len(s["plan"]["items"]) <= 4
        for item in s["plan"]["items"]:
            assert item["for_findings"], item["id"]
            for fid in item["for_findings"]:
                assert ids[fid]["status"] in ("fault", "possible"), (fid, ids[fid]["status"])
            assert item["sources"] and all(src["id"] in SOURCES for src in item["sources"])
            assert item["grade"] in GRADES
            assert all(item[k] for k in ("purpose", "dose", "regression", "progression"))
        assert {src["id"] for i in s["plan"]["items"] for src in i["sources"]} <= {x["id"] for x in s["sources"]}


def test_the_branch_chooses_the_plan():
    ankle = {i["id"] for i in screening()["plan"]["items"]}
    hip = {i["id"] for i in screening(analyses={"front": CAVING, "heels_raised": CAVING})["plan"]["items"]}
    assert "calf_stretch" in ankle and "hip_abduction_band_walk" not in ankle
    assert {"hip_abduction_band_walk", "step_up"} <= hip and "calf_stretch" not in hip
    nothing = screening(analyses={"front": GOOD}, knee_to_wall_cm=(12.0, 12.5), pain=False)
    assert nothing["plan"]["items"] == [] and "No corrective exercise" in nothing["plan"]["note"]


def test_what_the_evidence_does_not_support_is_said_plainly():
    s = screening()
    texts = " ".join(n["text"] for n in s["plan"]["not_supported"])
    assert "mini-band around the knees is not a fix" in texts
    assert "does not predict one person's injury" in texts
    assert "convention" in texts
    knees = next(f for f in s["findings"] if f["id"] == "knees_front")
    assert knees["convention"].startswith("Certification convention (NASM), not a diagnosis")


def test_skipped_steps_say_what_could_not_be_concluded_and_the_result_is_json():
    s = screening(analyses={"front": CAVING})
    skipped = {n["finding"] for n in s["not_concluded"]}
    assert {"heel_lift", "knee_to_wall", "side_view", "single_leg_left", "single_leg_right", "pain"} <= skipped
    assert s["branch"]["branch"] == "not_tested"
    assert [st["status"] for st in s["steps"]] == ["analysed", "skipped", "skipped", "skipped", "skipped"]
    assert json.loads(json.dumps(s, allow_nan=False)) == s
    assert s["retest_on"] == "2027-01-04" and s["screened_on"] == "2026-12-07"
    assert screening(retest_weeks=6)["retest_on"] == "2027-01-18"
    with pytest.raises(ValueError):
        screening(knee_to_wall_cm=(-3, 9))
    with pytest.raises(ValueError):
        build_screening({"squat": GOOD})


def test_the_exercise_file_cites_only_known_sources_with_grades():
    data = load_exercises()
    assert len(data["exercises"]) >= 6
    for ex in data["exercises"]:
        assert ex["grade"] in GRADES and ex["sources"] and ex["client_why"] and ex["client_how"]
    assert all(s in SOURCES for n in data["not_supported"] for s in n["sources"])


# --------------------------------------------------------------------------- re-test


def test_a_rescreen_inside_the_error_is_not_meaningful_and_beyond_it_is_real():
    first = screening(knee_to_wall_cm=(8.0, 11.0), on=date(2026, 12, 7))
    small = screening(knee_to_wall_cm=(9.5, 11.5), on=date(2027, 1, 4))     # +1.5 cm < 1.9 cm MDC
    big = screening(knee_to_wall_cm=(10.5, 11.0), on=date(2027, 1, 4),      # +2.5 cm > 1.9 cm MDC
                    analyses={"front": GOOD})
    c = {e["key"]: e for e in compare_screenings(first, small)["entries"]}
    assert c["knee_to_wall_left_cm"]["verdict"] == "not meaningful (within measurement error)"
    assert c["knee_to_wall_left_cm"]["real"] is False and c["knee_to_wall_left_cm"]["change"] == 1.5
    assert c["front_foot_line_left"]["verdict"].startswith("not meaningful")  # the same clip: no change
    assert c["front_clear_reps"]["verdict"].startswith("not meaningful")
    c = {e["key"]: e for e in compare_screenings(first, big)["entries"]}
    assert c["knee_to_wall_left_cm"]["verdict"] == "real: improved" and c["knee_to_wall_left_cm"]["real"]
    assert c["front_kasr_mean"]["verdict"] == "real: improved"               # 0.60 -> 1.10, error 0.10
    assert c["front_clear_reps"]["verdict"] == "real: improved"              # 5 of 5 -> 0 of 5
    worse = screening(knee_to_wall_cm=(5.5, 11.0))
    c = {e["key"]: e for e in compare_screenings(first, worse)["entries"]}
    assert c["knee_to_wall_left_cm"]["verdict"] == "real: worse"
    assert c["single_leg_fppa_left_deg"]["verdict"].startswith("not comparable")


def test_trend_over_screenings():
    rows = trend([screening(knee_to_wall_cm=(8.0, 11.0)),
                  screening(knee_to_wall_cm=(10.5, 11.0), analyses={"front": GOOD}, on=date(2027, 1, 4))])
    assert [r["screened_on"] for r in rows] == ["2026-12-07", "2027-01-04"]
    assert [r["knee_to_wall_left_cm"] for r in rows] == [8.0, 10.5]
    assert [r["front_clear_share"] for r in rows] == [1.0, 0.0]
    assert [r["branch"] for r in rows] == ["ankle", "not_needed"]


def test_the_client_handout_fits_one_page_with_a_full_plan_and_the_report_names_every_plan_grade():
    from pypdf import PdfReader
    import io

    from trainer.screening.pdf import pages, render_handout_pdf, render_screening_pdf

    side = result([rep(i, "not_judged", view="side", lean=25.0, heel=0.14, flags=("forward_lean", "heel_rise"))
                   for i in range(1, 4)], view="side")
    s = screening(analyses={"front": CAVING, "heels_raised": GOOD, "side": side,
                            "single_leg_left": sl("left", ["clear"] * 5)}, knee_to_wall_cm=(7.0, 12.0), pain=False)
    assert len(s["plan"]["items"]) == 4
    handout = render_handout_pdf(s, client_name="Ксения Łukasz")
    assert pages(handout) == 1
    report = render_screening_pdf(s, client_name="Ксения Łukasz")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(report)).pages).split())
    for item in s["plan"]["items"]:
        assert f"[evidence: {item['grade']}]" in text
    assert "Re-test on 2027-01-04" in text and "Your squat check: Ксения Łukasz" in text
