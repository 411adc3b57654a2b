"""ui.presenters: the result dict → table rows, tiles, chart data and texts (pure, no Streamlit)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ui import presenters as P
from vision.thresholds import Thresholds


def _rep(index, start, bottom, end, flags=(), severity="ok", view="front", valgus=None, not_judged=None,
         cues=None, confidence=0.9, knee=95.0):
    return {
        "index": index, "start_s": start, "bottom_s": bottom, "end_s": end, "flags": list(flags),
        "metrics": {"knee_flexion_deg": knee, "depth_ratio": -0.2, "kasr_min": 0.9},
        "confidence": confidence, "cues": cues or ["Good rep: nothing to correct from this camera angle."],
        "view": view, "severity": severity, "flag_details": [],
        "valgus": valgus or {"left": False, "right": False, "phase": None},
        "not_judged": not_judged or {},
    }


SIDE_NJ = {"valgus": "Knee valgus needs a front view: film facing the camera.",
           "asymmetry": "Needs a front view.", "lateral_shift": "Needs a front view."}
FRONT_NJ = {"forward_lean": "Trunk lean needs a side view: turn 90° to the camera.",
            "heel_rise": "Heel rise needs a side view: turn 90° to the camera."}


@pytest.fixture()
def result():
    return {
        "view": "front",
        "view_confidence": 0.91,
        "quality": {"score": 1.0, "notes": ["Whole body in frame and clearly visible."]},
        "reps": [
            _rep(1, 0.304, 1.037, 1.771, not_judged=FRONT_NJ),
            _rep(2, 2.5, 3.24, 3.971, flags=["shallow", "knee_valgus", "asymmetry"], severity="major",
                 valgus={"left": True, "right": False, "phase": "ascent"}, not_judged=FRONT_NJ,
                 cues=["Your left knee caved in on the way up: push the knees out over your toes as you stand up.",
                       "Go a little deeper."], confidence=0.924),
            _rep(3, 4.8, 5.6, 6.3, flags=["lateral_shift"], severity="minor", not_judged=FRONT_NJ,
                 cues=["Sit straight down: your hips drifted to your left."], confidence=None),
        ],
        "summary": {"rep_count": 3, "valgus_reps": 1, "shallow_reps": 1, "flagged_reps": 2, "worst_rep": 2,
                    "main_cue": "Your left knee caved in on the way up: push the knees out over your toes as you "
                                "stand up."},
        "problems": [],
        "thresholds": Thresholds().to_dict(),
        "disclaimer": "Screening aid, not a diagnosis.",
    }


# --- formatting -------------------------------------------------------------------------------


def test_small_formatters():
    assert P.fmt_seconds(3.456) == "3.5 s"
    assert P.fmt_seconds(None) == "–"
    assert P.fmt_seconds(float("nan")) == "–"
    assert P.time_range(0.304, 1.771) == "0.3–1.8 s"
    assert P.time_range(None, 2) == "?–2.0 s"
    assert P.fmt_duration(45.4) == "45 s"
    assert P.fmt_duration(125) == "2 min 05 s"
    assert P.fmt_duration(None) == "–"


def test_progress_text_eta_from_rate():
    # 50 of 200 frames in 10 s → 5 frames/s → 150 left → 30 s
    assert P.progress_text(50, 200, 10.0) == (0.25, "Analysing: frame 50 of 200 · about 30 s left")
    assert P.progress_text(200, 200, 40.0) == (1.0, "Analysing: frame 200 of 200")
    assert P.progress_text(0, 200, 0.0) == (0.0, "Analysing: frame 0 of 200")
    assert P.progress_text(7, 0, 1.0) == (0.0, "Analysing: 7 frames")
    # the frame count is an estimate: more frames than expected stays at 100%
    assert P.progress_text(210, 200, 5.0)[0] == 1.0


# --- header ----------------------------------------------------------------------------------


def test_view_text(result):
    assert P.view_text(result) == "Front view (confidence 91%)"
    assert P.view_text({"view": "oblique", "view_confidence": 0.6}) == "Angled (about 45°) (confidence 60%)"
    assert P.view_text({"view": "unknown", "view_confidence": 0.0}) == "Unknown"
    assert P.view_text({}) == "Unknown"


def test_quality_and_problems(result):
    assert P.quality_notes(result) == ["Whole body in frame and clearly visible."]
    assert P.problem_messages(result) == []
    assert P.problem_messages({"problems": [{"code": "no_person", "message": "No person was found."}]}) == [
        "No person was found."]


def test_not_judged_merges_clip_and_reps(result):
    assert P.not_judged(result) == FRONT_NJ
    side = {"not_judged": {"valgus": "clip-level reason"}, "reps": [_rep(1, 0, 1, 2, view="side", not_judged=SIDE_NJ)]}
    assert P.not_judged(side) == {"valgus": "clip-level reason", "asymmetry": "Needs a front view.",
                                  "lateral_shift": "Needs a front view."}


def test_refilm_tips(result):
    assert P.refilm_tips(result) == [P.REFILM_TIPS["forward_lean"], P.REFILM_TIPS["heel_rise"]]
    side = {"view": "side", "reps": [_rep(1, 0, 1, 2, view="side", not_judged=SIDE_NJ)], "problems": []}
    assert P.refilm_tips(side) == [P.REFILM_TIPS["valgus"], P.REFILM_TIPS["asymmetry"], P.REFILM_TIPS["lateral_shift"]]
    # already filmed from the side: no "film from the side" tip for depth (the engine's reason says what to do)
    occluded = {"view": "side", "reps": [_rep(1, 0, 1, 2, view="side", not_judged={"depth": "hips hidden"})],
                "problems": []}
    assert P.refilm_tips(occluded) == []
    none = {"reps": [], "problems": [{"code": "no_person", "message": "No person."}]}
    assert P.refilm_tips(none) == [P.GENERIC_REFILM_TIP]
    assert P.refilm_tips({"reps": [_rep(1, 0, 1, 2)], "problems": []}) == []
    # a file that ends early is not a filming problem: no re-filming tip for it alone
    cut = [{"code": "video_incomplete", "message": "Only 0.8 s of 6.3 s could be read: …"}]
    assert P.refilm_tips({"reps": [_rep(1, 0, 1, 2)], "problems": cut}) == []
    assert P.refilm_tips({"reps": [], "problems": cut + none["problems"]}) == [P.GENERIC_REFILM_TIP]
    assert P.problem_messages({"problems": cut}) == [cut[0]["message"]]


# --- tiles -----------------------------------------------------------------------------------


def test_summary_tiles(result):
    tiles = P.summary_tiles(result)
    assert [(t["label"], t["value"]) for t in tiles] == [
        ("Reps", "3"), ("Reps with knee valgus", "1 of 3"), ("Shallow reps", "1 of 3"), ("Worst rep", "Rep 2")]
    assert all(t["help"] for t in tiles)
    assert P.main_cue(result).startswith("Your left knee caved in")


def test_summary_tiles_side_view_says_valgus_not_judged():
    res = {"reps": [_rep(1, 0, 1, 2, view="side", not_judged=SIDE_NJ)],
           "summary": {"rep_count": 1, "valgus_reps": 0, "shallow_reps": 0, "worst_rep": None}}
    tiles = {t["label"]: t["value"] for t in P.summary_tiles(res)}
    assert tiles == {"Reps": "1", "Reps with knee valgus": "not judged", "Shallow reps": "0 of 1",
                     "Worst rep": "none"}


def test_summary_tiles_no_reps():
    tiles = {t["label"]: t["value"] for t in P.summary_tiles({"reps": [], "summary": {"rep_count": 0}})}
    assert tiles == {"Reps": "0", "Reps with knee valgus": "not judged", "Shallow reps": "0 of 0",
                     "Worst rep": "none"}


# --- rep table -------------------------------------------------------------------------------


def test_rep_rows_exact(result):
    rows = P.rep_rows(result)
    assert rows == [
        {"Rep": 1, "Time": "0.3–1.8 s", "Verdict": "OK", "Depth": "≈ OK", "Valgus L": "ok", "Valgus R": "ok",
         "Other flags": "–", "Confidence": "90%", "Cue": "Good rep: nothing to correct from this camera angle."},
        {"Rep": 2, "Time": "2.5–4.0 s", "Verdict": "Major", "Depth": "≈ Shallow", "Valgus L": "caved in (ascent)",
         "Valgus R": "ok", "Other flags": "asymmetry", "Confidence": "92%",
         "Cue": "Your left knee caved in on the way up: push the knees out over your toes as you stand up."},
        {"Rep": 3, "Time": "4.8–6.3 s", "Verdict": "Minor", "Depth": "≈ OK", "Valgus L": "ok", "Valgus R": "ok",
         "Other flags": "hip shift", "Confidence": "–", "Cue": "Sit straight down: your hips drifted to your left."},
    ]


def test_depth_and_valgus_cells_side_view():
    rep = _rep(1, 0, 1, 2, flags=["shallow", "forward_lean"], severity="minor", view="side", not_judged=SIDE_NJ,
               knee=84.6)
    assert P.depth_verdict(rep) == "Shallow · 85° knee"
    assert P.depth_verdict(_rep(1, 0, 1, 2, view="side", knee=None)) == "OK"
    assert P.valgus_cell(rep, "left") == "not judged"
    assert P.valgus_cell(rep, "right") == "not judged"
    assert P.other_flags(rep) == "forward lean"
    assert P.depth_verdict(_rep(1, 0, 1, 2, view="oblique", not_judged={"depth": "angled"})) == "not judged"
    both = _rep(1, 0, 1, 2, flags=["knee_valgus"], valgus={"left": True, "right": True, "phase": None})
    assert (P.valgus_cell(both, "left"), P.valgus_cell(both, "right")) == ("caved in", "caved in")


def test_rep_table_dataframe(result):
    df = P.rep_table(result)
    assert list(df.columns) == P.TABLE_COLUMNS
    assert len(df) == 3
    assert df["Verdict"].tolist() == ["OK", "Major", "Minor"]
    empty = P.rep_table({"reps": []})
    assert list(empty.columns) == P.TABLE_COLUMNS and len(empty) == 0


def test_severity_colours():
    assert P.severity_css("OK") == P.SEVERITY_CSS["ok"]
    assert P.severity_css("Minor") == P.SEVERITY_CSS["minor"]
    assert P.severity_css("Major") == P.SEVERITY_CSS["major"]
    assert P.severity_css("major") == P.SEVERITY_CSS["major"]
    assert P.severity_css("something else") == ""
    assert P.SEVERITY_CSS["ok"].startswith("background-color: #d4f4dd")     # green
    assert P.SEVERITY_CSS["minor"].startswith("background-color: #ffe8b3")  # amber
    assert P.SEVERITY_CSS["major"].startswith("background-color: #ffd0d0")  # red
    assert P.cell_css("caved in (bottom)") == P.SEVERITY_CSS["major"]
    assert P.cell_css("≈ Shallow") == P.SEVERITY_CSS["minor"]
    assert P.cell_css("ok") == ""


def test_styled_table_colours_each_verdict_cell(result):
    html = P.styled_rep_table(result).to_html()
    for sev in ("ok", "minor", "major"):
        assert P.SEVERITY_CSS[sev].split(";")[0] in html


# --- chart data ------------------------------------------------------------------------------


def _signals(n=5):
    t = np.arange(n) / 10.0
    return SimpleNamespace(
        t=t,
        valid=np.array([True, True, False, True, True])[:n],
        depth=np.array([0.0, 0.2, 0.4, np.nan, 0.1])[:n],
        knee_flexion=np.column_stack([np.arange(n) * 10.0, np.arange(n) * 11.0]),
        kasr=np.array([0.9, 0.8, 0.7, 0.75, 0.95])[:n],
    )


def test_chart_frame_long_form_with_gaps():
    df = P.chart_frame(_signals())
    assert list(df.columns) == ["t", "value", "series", "panel"]
    assert df["series"].unique().tolist() == ["Left knee", "Right knee", "KASR", "Depth"]
    assert len(df) == 4 * 5
    depth = df[df["series"] == "Depth"]["value"].tolist()
    assert depth[:2] == [0.0, 0.2] and math.isnan(depth[2]) and math.isnan(depth[3]) and depth[4] == 0.1
    right = df[df["series"] == "Right knee"]["value"].tolist()
    assert right[0] == 0.0 and right[1] == 11.0 and math.isnan(right[2]) and right[3] == 33.0
    assert set(df["panel"]) == {p for p, _, _ in P.CHART_PANELS}


def test_chart_panels_hide_kasr_unless_valgus_is_judged(result):
    names = [p for p, _, _ in P.CHART_PANELS]
    assert P.chart_panels(result) == names
    side = {"view": "side", "reps": [_rep(1, 0, 1, 2, view="side", not_judged=SIDE_NJ)]}
    assert P.chart_panels(side) == [n for n in names if not n.startswith("KASR")]
    assert P.chart_panels({"view": "front", "reps": []}) == names
    assert P.chart_panels({"view": "unknown", "reps": []}) == [n for n in names if not n.startswith("KASR")]
    df = P.chart_frame(_signals(), panels=P.chart_panels(side))
    assert df["series"].unique().tolist() == ["Left knee", "Right knee", "Depth"]


def test_chart_frame_thins_long_clips_and_handles_none():
    n = 5000
    sig = SimpleNamespace(t=np.arange(n) / 30.0, valid=np.ones(n, bool), depth=np.zeros(n),
                          knee_flexion=np.zeros((n, 2)), kasr=np.ones(n))
    df = P.chart_frame(sig, max_points=500)
    assert (df["series"] == "KASR").sum() == 500
    assert P.chart_frame(None).empty
    assert list(P.chart_frame(None).columns) == ["t", "value", "series", "panel"]


def test_rep_bands(result):
    bands = P.rep_bands(result)
    assert bands.to_dict("records") == [
        {"start_s": 0.304, "end_s": 1.771, "rep": 1, "severity": "ok", "label": "Rep 1"},
        {"start_s": 2.5, "end_s": 3.971, "rep": 2, "severity": "major", "label": "Rep 2"},
        {"start_s": 4.8, "end_s": 6.3, "rep": 3, "severity": "minor", "label": "Rep 3"},
    ]
    assert P.rep_bands({"reps": []}).empty


def test_threshold_rules(result):
    rules = P.threshold_rules(result)
    assert rules.to_dict("records") == [
        {"panel": "KASR (knee ÷ ankle width)", "value": 0.8, "label": "valgus below 0.8"},
        {"panel": "Depth signal (0 standing, about 0.5 at parallel)", "value": 0.15, "label": "min rep depth 0.15"},
    ]
    side = dict(result, view="side")
    assert P.threshold_rules(side)["label"].tolist()[0] == "parallel ≈ 110°"


# --- thresholds / norms ----------------------------------------------------------------------


def test_threshold_rows_and_markdown():
    th = Thresholds().to_dict()
    rows = P.threshold_rows(th)
    assert [r["name"] for r in rows] == list(th)
    kasr = next(r for r in rows if r["name"] == "kasr_min")
    assert kasr == {"name": "kasr_min", "value": 0.8, "unit": "ratio", "source": th["kasr_min"]["source"],
                    "heuristic": True}
    md = P.threshold_markdown({"kasr_min": th["kasr_min"], "fppa_displacement": th["fppa_displacement"]})
    assert md == ("- **kasr_min** = 0.8 ratio — [heuristic] knees < 80% of ankle width (KASR concept: Noyes, "
                  "Mizner 2012)\n"
                  "- **fppa_displacement** = 10.6 deg — FPPA change from standing ≥ 10.6° (Holden 2017, prospective "
                  "PFP predictor)")


def test_single_leg_norm_by_sex():
    th = Thresholds().to_dict()
    assert P.single_leg_norm(th, "female") == ["Single-leg FPPA norm (women): up to 13°"]
    assert P.single_leg_norm(th, "male") == ["Single-leg FPPA norm (men): up to 9°"]
    assert P.single_leg_norm(th, "not specified") == [
        "Single-leg FPPA norm: up to 13° (sex not specified: the higher, women's bound is used, so nobody is "
        "over-flagged; men's norm is 9°)"]
    assert (P.engine_sex("female"), P.engine_sex("male"), P.engine_sex("not specified")) == ("female", "male", None)


# --- live ------------------------------------------------------------------------------------


def test_parse_ice_servers():
    assert P.parse_ice_servers(None) == ([], None)
    assert P.parse_ice_servers("  ") == ([], None)
    servers = [{"urls": ["stun:stun.example.org:3478"]}]
    assert P.parse_ice_servers(json.dumps(servers)) == (servers, None)
    assert P.parse_ice_servers(json.dumps({"iceServers": servers})) == (servers, None)
    bad, err = P.parse_ice_servers("{not json")
    assert bad == [] and "not valid JSON" in err
    bad, err = P.parse_ice_servers('[{"url": "stun:x"}]')
    assert bad == [] and "must be a JSON list" in err


def test_live_summary():
    assert P.live_summary(0, None) == {"reps": 0, "verdict": "No rep yet", "severity": "ok", "tone": "ok",
                                       "cue": None}
    rep = _rep(3, 0, 1, 2, flags=["knee_valgus"], severity="major",
               valgus={"left": False, "right": True, "phase": "bottom"}, cues=["Push the knees out."])
    assert P.live_summary(3, rep) == {"reps": 3, "verdict": "Knees caved in (right)", "severity": "major",
                                      "tone": "major", "cue": "Push the knees out."}
    assert P.live_summary(1, _rep(1, 0, 1, 2))["verdict"] == "Good rep"


def test_presenters_do_not_import_streamlit():
    code = "import sys; import ui.presenters; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(Path(__file__).resolve().parents[1]))
    assert out.stdout.strip() == "False"


def test_dataframe_types(result):
    assert isinstance(P.rep_table(result), pd.DataFrame)


# --- spoken feedback (live page) ------------------------------------------------------------------


def test_spoken_feedback_says_a_short_cue_only_for_a_fault():
    clean = {"index": 2, "flags": [], "flag_details": []}
    assert P.spoken_feedback(clean) == {"text": None, "beep": True}
    assert P.spoken_feedback(clean, say_number=True) == {"text": "2.", "beep": True}
    valgus = {"index": 3, "flags": ["knee_valgus"], "flag_details": [{"code": "knee_valgus", "severity": "major"}]}
    assert P.spoken_feedback(valgus) == {"text": "Knees out.", "beep": False}
    assert P.spoken_feedback(valgus, say_number=True)["text"] == "3. Knees out."


def test_spoken_feedback_most_serious_first_at_most_two():
    rep = {"index": 1, "flags": ["shallow", "asymmetry", "knee_valgus"],
           "flag_details": [{"code": "shallow", "severity": "minor"}, {"code": "asymmetry", "severity": "minor"},
                            {"code": "knee_valgus", "severity": "major"}]}
    assert P.spoken_feedback(rep)["text"] == "Knees out. Go deeper."
    assert set(P.SPOKEN_CUES) == set(P.FLAG_LABELS)  # every fault the engine flags has words
    # an unknown future flag is not spoken (and does not make the rep "clean")
    assert P.spoken_feedback({"index": 1, "flags": ["new_fault"]}) == {"text": None, "beep": False}


# --- a "possible" knee verdict: shown apart, never a fault ---------------------------------------------

POSSIBLE_LEFT = {"left": False, "right": False, "phase": None, "verdict": "possible", "possible_legs": ["left"],
                 "decided_by": ["foot_line"]}


def _possible_result():
    """Rep 1 clear (right knee), rep 2 possible (left knee, no flag), rep 3 no sign; the engine's summary."""
    reps = [
        _rep(1, 0.0, 0.5, 1.0, flags=["knee_valgus"], severity="major", not_judged=FRONT_NJ,
             valgus={"left": False, "right": True, "phase": "bottom", "verdict": "clear", "possible_legs": [],
                     "decided_by": ["foot_line", "knee_shift"]}),
        _rep(2, 1.5, 2.0, 2.5, not_judged=FRONT_NJ, valgus=dict(POSSIBLE_LEFT)),
        _rep(3, 3.0, 3.5, 4.0, not_judged=FRONT_NJ,
             valgus={"left": False, "right": False, "phase": None, "verdict": "none", "possible_legs": [],
                     "decided_by": []}),
    ]
    return {"view": "front", "reps": reps,
            "summary": {"rep_count": 3, "valgus_reps": 1, "possible_valgus_reps": 1, "shallow_reps": 0,
                        "flagged_reps": 1, "worst_rep": 1, "main_cue": "Knees out."}}


def test_possible_rep_in_the_table_is_its_own_words_and_colour():
    rows = P.rep_rows(_possible_result())
    assert [(r["Valgus L"], r["Valgus R"]) for r in rows] == [
        ("ok", "caved in (bottom)"), ("possible — look", "ok"), ("ok", "ok")]
    assert rows[1]["Verdict"] == "OK" and rows[1]["Other flags"] == "–"  # not a fault
    assert P.cell_css("possible — look") == P.POSSIBLE_CSS == \
        "background-color: #fff7c2; color: #5c4b00; font-style: italic"
    assert P.cell_css("possible — look · over the toes") == P.POSSIBLE_CSS
    assert P.POSSIBLE_CSS not in P.SEVERITY_CSS.values()
    html = P.styled_rep_table(_possible_result()).to_html()
    assert "#fff7c2" in html and "#ffd0d0" in html  # the possible cell pale yellow, the caved-in one red


def test_possible_rep_naming_no_leg_or_both_shows_on_both_cells():
    for legs in ([], ["left", "right"]):
        rep = _rep(1, 0, 1, 2, valgus={**POSSIBLE_LEFT, "possible_legs": legs})
        assert (P.valgus_cell(rep, "left"), P.valgus_cell(rep, "right")) == ("possible — look", "possible — look")


def test_valgus_cell_not_judged_verdict_and_old_rep_without_verdict():
    nj = _rep(1, 0, 1, 2, valgus={"left": False, "right": False, "phase": None, "verdict": "not_judged"},
              not_judged={"knee_toe_left": "feet not seen"})
    assert P.valgus_cell(nj, "left") == "not judged"
    old = _rep(1, 0, 1, 2, flags=["knee_valgus"], severity="major",
               valgus={"left": True, "right": False, "phase": "descent"})
    assert "verdict" not in old["valgus"]
    assert (P.valgus_cell(old, "left"), P.valgus_cell(old, "right")) == ("caved in (descent)", "ok")
    # the legs of a non-fault verdict are never "caved in", whatever the per-leg booleans say
    odd = _rep(1, 0, 1, 2, valgus={**POSSIBLE_LEFT, "left": True})
    assert P.valgus_cell(odd, "left") == "possible — look"


def test_summary_tiles_show_possible_reps_apart_from_the_count():
    tiles = {t["label"]: t for t in P.summary_tiles(_possible_result())}
    valgus = tiles["Reps with knee valgus"]
    assert valgus["value"] == "1 of 3" and valgus["note"] == "1 possible — look"
    assert valgus["help"].endswith("Possible (possible — look at this rep): The measures disagree or the margin is "
                                   "within the measurement error; not counted as a fault.")
    # counted from the reps when the summary (older engine output) lacks the number
    res = _possible_result()
    del res["summary"]["possible_valgus_reps"]
    res["reps"][2]["valgus"] = dict(POSSIBLE_LEFT)
    assert {t["label"]: t.get("note") for t in P.summary_tiles(res)}["Reps with knee valgus"] == "2 possible — look"


def test_summary_tiles_without_possible_reps_are_as_before(result):
    assert all("note" not in t for t in P.summary_tiles(result))
    side = {"reps": [_rep(1, 0, 1, 2, view="side", not_judged=SIDE_NJ)],
            "summary": {"rep_count": 1, "valgus_reps": 0, "possible_valgus_reps": 0, "worst_rep": None}}
    assert all("note" not in t for t in P.summary_tiles(side))


def test_thumbnail_caption():
    res = _possible_result()
    assert P.thumbnail_caption(1, res["reps"][0]) == \
        "Rep 1 at 0.5 s: Major — Good rep: nothing to correct from this camera angle."
    assert P.thumbnail_caption(2, res["reps"][1]) == ("Rep 2 at 2.0 s: OK — Good rep: nothing to correct from this "
                                                      "camera angle. · Knees: possible (left) — look at this rep")
    assert P.thumbnail_caption(3, res["reps"][2]).endswith("camera angle.")


def test_a_possible_rep_is_never_spoken():
    possible = _possible_result()["reps"][1]
    assert P.spoken_feedback(possible) == {"text": None, "beep": True}
    assert P.spoken_feedback(possible, say_number=True) == {"text": "2.", "beep": True}
    shallow = {**possible, "flags": ["shallow"], "flag_details": [{"code": "shallow", "severity": "minor"}]}
    assert P.spoken_feedback(shallow) == {"text": "Go deeper.", "beep": False}
    old = {"index": 1, "flags": ["knee_valgus"], "flag_details": [], "valgus": {"left": True, "right": False}}
    assert P.spoken_feedback(old) == {"text": "Knees out.", "beep": False}


def test_live_summary_of_a_possible_rep():
    rep = _possible_result()["reps"][1]
    assert P.live_summary(2, rep) == {"reps": 2, "verdict": "Knees: possible (left) — look", "severity": "ok",
                                      "tone": "possible",
                                      "cue": "Good rep: nothing to correct from this camera angle."}
    shallow = {**rep, "flags": ["shallow"], "severity": "minor"}
    summary = P.live_summary(2, shallow)
    assert (summary["verdict"], summary["tone"]) == ("Not deep enough; Knees: possible (left) — look", "minor")
