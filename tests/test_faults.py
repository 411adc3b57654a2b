"""vision.faults: the one table of fault wording, cues_for, and the knee-valgus verdict helpers;
the pages, the overlay, the PDF report, the CLI and the session comparison read them (pure, fast)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vision import faults as F

ROOT = Path(__file__).resolve().parents[1]
CODES = ("knee_valgus", "shallow", "forward_lean", "heel_rise", "lateral_shift", "asymmetry")


def _rep(flags=(), verdict=None, left=False, right=False, possible_legs=None, decided_by=None, not_judged=None,
         severity=None, index=1):
    valgus = {"left": left, "right": right, "phase": "bottom" if (left or right) else None}
    if verdict is not None:
        valgus.update(verdict=verdict, possible_legs=list(possible_legs or []), decided_by=list(decided_by or []))
    return {"index": index, "start_s": 0.0, "bottom_s": 0.5, "end_s": 1.0, "flags": list(flags),
            "flag_details": [{"code": c, "severity": "minor"} for c in flags], "confidence": 0.9,
            "cues": ["Good rep: nothing to correct from this camera angle."], "view": "front",
            "severity": severity or ("minor" if flags else "ok"), "metrics": {}, "valgus": valgus,
            "not_judged": not_judged or {}}


# --- the table ----------------------------------------------------------------------------------


def test_every_fault_has_every_field():
    assert F.FAULT_ORDER == CODES  # most important first: the order verdicts are listed in
    for code, f in F.FAULTS.items():
        assert f.code == code
        for field in ("label", "long_label", "cue", "spoken", "metric"):
            value = getattr(f, field)
            assert isinstance(value, str) and value.strip() == value and value, (code, field)
        assert f.label == f.label.lower(), code
        assert f.long_label[0].isupper() and f.spoken[0].isupper(), code
        assert f.views and set(f.views) <= {"front", "side", "oblique"}, code


def test_views_are_the_engines_views():
    from vision.view import METRIC_VIEWS, WHY_NOT

    for f in F.FAULTS.values():
        assert f.views == METRIC_VIEWS[f.metric], f.code
        assert f.metric in WHY_NOT, f.code


def test_labels_as_shown():
    assert [F.label(c) for c in CODES] == ["knee valgus", "shallow", "forward lean", "heel rise", "hip shift",
                                           "asymmetry"]
    assert [F.label(c, capital=True) for c in CODES] == ["Knee valgus", "Shallow", "Forward lean", "Heel rise",
                                                         "Hip shift", "Asymmetry"]
    assert [F.long_label(c) for c in CODES] == ["Knees caved in", "Not deep enough", "Leaning forward",
                                                "Heels lifted", "Hips shifted", "Knees uneven"]
    assert [F.spoken_cue(c) for c in CODES] == ["Knees out", "Go deeper", "Chest up", "Heels down",
                                                "Sit straight down", "Even knees"]
    # a code from a newer engine: readable, never spoken
    assert (F.label("new_fault"), F.label("new_fault", capital=True), F.long_label("new_fault"),
            F.spoken_cue("new_fault")) == ("new fault", "New fault", "New fault", None)


# --- cues_for: the same strings as vision.assess.cues_for gave -------------------------------------


@pytest.mark.parametrize("flags,expected", [
    ([], ["Good rep: nothing to correct from this camera angle."]),
    ([{"code": "knee_valgus", "severity": "major", "legs": ["left"], "phase": "ascent"}],
     ["Your left knee caved in on the way up: push the knees out over your toes as you stand up."]),
    ([{"code": "knee_valgus", "severity": "minor", "legs": ["left", "right"], "phase": "descent"}],
     ["Both knees caved in on the way down: push the knees out over your toes."]),
    ([{"code": "knee_valgus", "severity": "minor", "legs": [], "phase": "bottom"}],
     ["Your knees caved in at the bottom: push the knees out over your toes."]),
    ([{"code": "knee_valgus", "severity": "minor"}],  # no phase: the old wording, space and all
     ["Your knees caved in : push the knees out over your toes."]),
    ([{"code": "shallow", "severity": "minor"}],
     ["Go a little deeper: aim for the hip crease level with or below the top of the knee."]),
    ([{"code": "forward_lean", "severity": "minor"}],
     ["Keep your chest up: your trunk leaned further forward than your shins."]),
    ([{"code": "heel_rise", "severity": "minor"}], ["Keep your heels down: shift your weight to mid-foot."]),
    ([{"code": "lateral_shift", "severity": "minor", "direction": "left"}],
     ["Sit straight down: your hips drifted to your left."]),
    ([{"code": "lateral_shift", "severity": "minor"}], ["Sit straight down: your hips drifted to your side."]),
    ([{"code": "asymmetry", "severity": "minor"}],
     ["Your two knees moved differently: film again and check the weaker side."]),
    ([{"code": "new_fault", "severity": "major"}], ["Good rep: nothing to correct from this camera angle."]),
    # most serious first; the engine's order on ties
    ([{"code": "shallow", "severity": "minor"}, {"code": "heel_rise", "severity": "ok"},
      {"code": "knee_valgus", "severity": "major", "legs": ["right"], "phase": "bottom"},
      {"code": "asymmetry", "severity": "minor"}],
     ["Your right knee caved in at the bottom: push the knees out over your toes.",
      "Go a little deeper: aim for the hip crease level with or below the top of the knee.",
      "Your two knees moved differently: film again and check the weaker side.",
      "Keep your heels down: shift your weight to mid-foot."]),
])
def test_cues_for_gives_todays_strings(flags, expected):
    assert F.cues_for(flags) == expected


def test_cues_for_does_not_modify_its_input():
    flags = [{"code": "shallow", "severity": "minor"}, {"code": "knee_valgus", "severity": "major"}]
    before = [dict(f) for f in flags]
    F.cues_for(flags)
    assert flags == before


# --- every place reads the same table ---------------------------------------------------------------


def test_presenters_overlay_pdf_and_speech_read_the_table():
    from trainer import pdf_report
    from ui import presenters as P
    from vision.overlay import verdict_text

    for code in CODES:
        f = F.FAULTS[code]
        assert P.FLAG_LABELS[code] == f.label
        assert P.SPOKEN_CUES[code] == f.spoken
        assert pdf_report._flag_label(code) == F.label(code, capital=True)
        assert verdict_text({"flags": [code], "flag_details": [], "valgus": {}}) == f.long_label
        rep = {"flags": [code], "flag_details": [{"code": code, "severity": "major"}]}
        assert P.spoken_feedback(rep)["text"] == f.spoken + "."
    assert P.other_flags({"flags": ["forward_lean", "heel_rise", "lateral_shift"]}) == \
        "forward lean, heel rise, hip shift"


@pytest.mark.parametrize("path", ["ui/presenters.py", "vision/overlay.py", "trainer/pdf_report.py",
                                  "ui/live_page.py", "ui/live_controller.py", "ui/results_view.py"])
def test_no_module_keeps_its_own_wording_table(path):
    """A fault's words spelt out again outside vision/faults.py are a second table that can drift."""
    src = (ROOT / path).read_text()
    for f in F.FAULTS.values():
        words = {f.long_label, f.spoken} | ({f.label} if f.label != f.code else set())
        for text in words:
            assert f'"{text}"' not in src, f"{path} spells out {text!r} itself"
        assert not re.search(rf'"{f.code}"\s*:\s*"{re.escape(f.long_label.split()[0])}', src), (path, f.code)


# --- knee valgus verdicts: new JSON and old ------------------------------------------------------------


def test_valgus_verdict_of_new_json():
    assert F.valgus_verdict(_rep(["knee_valgus"], "clear", left=True)) == "clear"
    assert F.valgus_verdict(_rep([], "possible", possible_legs=["left"])) == "possible"
    assert F.valgus_verdict(_rep([], "none")) == "none"
    assert F.valgus_verdict(_rep([], "not_judged", not_judged={"valgus": "side view"})) == "not_judged"
    # the flag is what is counted and spoken, so it wins; a "clear" without it is not shown as a fault
    assert F.valgus_verdict(_rep(["knee_valgus"], "possible")) == "clear"
    assert F.valgus_verdict(_rep([], "clear")) == "none"
    assert F.valgus_verdict(_rep([], "something new")) == "none"


def test_valgus_verdict_of_old_json_without_verdict():
    assert "verdict" not in _rep(["knee_valgus"], left=True)["valgus"]
    assert F.valgus_verdict(_rep(["knee_valgus"], left=True)) == "clear"
    assert F.valgus_verdict(_rep(["shallow"])) == "none"
    assert F.valgus_verdict(_rep([], not_judged={"valgus": "Knee valgus needs a front view."})) == "not_judged"
    assert F.valgus_verdict({"flags": []}) == "none"
    assert F.valgus_verdict({}) == "none"
    assert F.valgus_verdict({"flags": None, "valgus": None, "not_judged": None}) == "none"


def test_valgus_judged():
    assert F.valgus_judged(_rep([], "possible"))
    assert F.valgus_judged(_rep(["knee_valgus"], left=True))
    assert not F.valgus_judged(_rep([], "not_judged"))  # even with the reason under another key
    assert not F.valgus_judged(_rep([], not_judged={"valgus": "too small"}))


def test_possible_legs_text_and_measures():
    rep = _rep([], "possible", possible_legs=["right", "left", "middle"], decided_by=["foot_line", "kasr"])
    assert F.possible_legs(rep) == ["left", "right"]
    assert F.possible_text(rep) == "Knees: possible — look"
    assert F.possible_text(_rep([], "possible", possible_legs=["left"])) == "Knees: possible (left) — look"
    assert F.possible_text(_rep([], "possible")) == "Knees: possible — look"
    assert F.possible_text(_rep(["knee_valgus"], "clear", left=True)) is None
    assert F.possible_text(_rep([], "none")) is None
    assert F.possible_legs(_rep(["knee_valgus"], "clear", left=True, possible_legs=["left"])) == []
    assert F.decided_by(rep) == ["foot_line", "kasr"]
    assert F.decided_by_text(rep) == "knee vs the line over the foot; knee/ankle separation ratio"
    assert F.decided_by_text(_rep(["knee_valgus"], left=True)) == ""
    assert set(F.MEASURES) == {"foot_line", "both_feet", "knee_shift", "kasr", "within_set", "fppa"}


def test_possible_wording():
    assert F.POSSIBLE_LABEL == "possible — look at this rep"
    assert F.POSSIBLE_SHORT == "possible — look"
    assert F.POSSIBLE_EXPLANATION == ("The measures disagree or the margin is within the measurement error; "
                                      "not counted as a fault.")


def test_possible_valgus_reps_from_the_summary_or_counted():
    reps = [_rep(["knee_valgus"], "clear", left=True), _rep([], "possible"), _rep([], "possible"), _rep([], "none")]
    assert F.possible_valgus_reps({"reps": reps, "summary": {"possible_valgus_reps": 5}}) == 5
    assert F.possible_valgus_reps({"reps": reps, "summary": {"valgus_reps": 1}}) == 2
    assert F.possible_valgus_reps({"reps": [_rep(["knee_valgus"], left=True)], "summary": {}}) == 0  # old JSON
    assert F.possible_valgus_reps({}) == 0


# --- a possible rep is never counted as a fault -----------------------------------------------------


def test_session_compare_does_not_count_possible_reps_as_valgus():
    from trainer.session_compare import compare_sessions, summarise_analysis

    def analysis(reps):
        for r in reps:
            r["metrics"] = {"fppa_left_deg": 10.0, "fppa_right_deg": 9.0, "kasr_min": 0.9}
        return {"view": "front", "reps": reps,
                "summary": {"rep_count": len(reps), "valgus_reps": sum("knee_valgus" in r["flags"] for r in reps),
                            "possible_valgus_reps": sum(r["valgus"].get("verdict") == "possible" for r in reps)}}

    now = analysis([_rep(["knee_valgus"], "clear", left=True), _rep([], "possible", possible_legs=["left"]),
                    _rep([], "possible"), _rep([], "none")])
    s = summarise_analysis(now)
    assert (s["rep_count"], s["valgus_reps"], s["valgus_rate"]) == (4, 1, 0.25)
    before = analysis([_rep(["knee_valgus"], "clear", left=True)] + [_rep([], "none") for _ in range(3)])
    rate = next(e for e in compare_sessions(before, now) if e["metric"] == "valgus_rate")
    assert (rate["previous_count"], rate["current_count"], rate["change"]) == (1, 1, 0.0)
    # only possible reps: 0 valgus, still measurable (a front view that judged the knees)
    only = analysis([_rep([], "possible"), _rep([], "possible")])
    assert (summarise_analysis(only)["valgus_reps"], summarise_analysis(only)["valgus_rate"]) == (0, 0.0)


def test_cli_summary_lists_possible_reps_apart():
    from vision.__main__ import summary_text

    reps = [_rep(["knee_valgus"], "clear", left=True, index=1), _rep([], "possible", index=2),
            _rep(["shallow"], "possible", index=3)]
    result = {"source": {"file": "a.mp4"}, "view": "front", "problems": [], "reps": reps,
              "summary": {"rep_count": 3, "valgus_reps": 1, "shallow_reps": 1, "possible_valgus_reps": 2}}
    lines = summary_text(result).splitlines()
    assert lines[0] == "a.mp4: 3 rep(s), view front, 1 with knee valgus (+2 possible — look, not counted), 1 shallow"
    assert "  knee_valgus  " in lines[1] + "  "
    assert "knee valgus possible — look" in lines[2] and "shallow, knee valgus possible — look" in lines[3]
    old = {**result, "reps": [_rep(["knee_valgus"], left=True)], "summary": {"rep_count": 1, "valgus_reps": 1,
                                                                             "shallow_reps": 0}}
    assert summary_text(old).splitlines()[0] == "a.mp4: 1 rep(s), view front, 1 with knee valgus, 0 shallow"
    assert "possible" not in summary_text(old)
