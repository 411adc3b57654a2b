"""The heels-raised squat against the flat one: does the ankle or the hip/trunk control drive the caving?

Bell 2008 (corrective.md §2, [moderate]): knees whose caving a heel lift corrects point to the ankle
(less plantarflexion strength, stronger hips), not to weak hips. So, at matched depth:

* the caving gone with the heels raised, by more than the measurement's clip-to-clip error
  → ``ankle`` ("ankle mobility probably contributes");
* still clearly caving, no measure better beyond its error → ``hip_control`` ("hip and trunk control");
* anything in between (a partial change, a measure better but the knees still caving, caving gone by
  the verdicts but not beyond the error), and a flat squat whose caving was only "possible"
  → ``no_clear_conclusion``, said so with the reason.

Each clip's own error: the foot line's band (``knee_toe`` − ``knee_toe_low``, two SD of the toe point's
turn-out error and the camera's look-down on that clip) of both clips added in quadrature, as two
independent re-films; KASR's heuristic 0.10 (trainer.session_compare) or twice the standard error of the
two clips' rep-to-rep spread, the larger. FPPA is not compared: in deep bilateral squats it over-reads
(planar cross-talk, biomechanics.md: use knee/ankle widths there) and is often n/a (thigh foreshortened).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from trainer.screening import clips
from trainer.screening.sources import MODERATE, cite
from trainer.session_compare import KASR_THRESHOLD

ANKLE, HIP_CONTROL, NO_CLEAR, NOT_TESTED, NOT_NEEDED = (
    "ankle", "hip_control", "no_clear_conclusion", "not_tested", "not_needed")
BRANCH_TITLES = {
    ANKLE: "Ankle mobility probably contributes",
    HIP_CONTROL: "Hip and trunk control",
    NO_CLEAR: "No clear conclusion",
    NOT_TESTED: "Not tested: the heels-raised squat was not filmed",
    NOT_NEEDED: "Not needed: the knees did not cave in",
}
# Reps are compared only at matched depth: squat_depth (hip-ankle drop, 0 standing, ~0.5 parallel) within
# 0.10 of each other [heuristic]: on the engine's scale 0.12 is ~60 deg of knee flexion and 0.5 ~110 deg
# (vision/thresholds.py), so 0.10 is ~13 deg of knee flexion. A shallower squat caves less, so without this
# a heels-raised set that simply did not go as deep would read as "caving gone".
DEPTH_MATCH = 0.10
MIN_MATCHED_REPS = 2  # [heuristic] one rep per clip could be a one-off
BETTER, WORSE, WITHIN = "better", "worse", "within error"


def matched_reps(a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]],
                 tol: float = DEPTH_MATCH) -> tuple[list, list]:
    """The reps of each clip whose depth lies within ``tol`` of some rep of the other clip."""
    da = [(r, clips.metric(r, "squat_depth")) for r in a]
    db = [(r, clips.metric(r, "squat_depth")) for r in b]
    keep_a = [r for r, d in da if d is not None and any(e is not None and abs(d - e) <= tol for _, e in db)]
    keep_b = [r for r, d in db if d is not None and any(e is not None and abs(d - e) <= tol for _, e in da)]
    return keep_a, keep_b


def _reading(change: float, error: float, lower_is_better: bool) -> str:
    gain = -change if lower_is_better else change
    if gain > error:
        return BETTER
    if gain < -error:
        return WORSE
    return WITHIN


def compare_measures(flat: Sequence[Mapping[str, Any]], raised: Sequence[Mapping[str, Any]],
                     legs: Sequence[str]) -> list[dict[str, Any]]:
    """Each knee measure both clips have, flat vs heels raised, with its clip-to-clip error and the reading
    (better / worse / within error). ``legs``: the knees that caved flat."""
    out: list[dict[str, Any]] = []
    for leg in legs:
        f, h = clips.foot_line(flat, leg), clips.foot_line(raised, leg)
        if f and h:
            change, error = h["value"] - f["value"], math.hypot(f["band"], h["band"])
            out.append({"measure": "foot_line", "leg": leg, "unit": "foot lengths inside the foot line",
                        "flat": clips.rounded(f["value"]), "heels_raised": clips.rounded(h["value"]),
                        "change": clips.rounded(change), "error": clips.rounded(error),
                        "error_basis": "both clips' own foot-line error bands (2 SD of the toe point's turn-out "
                                       "error and the camera's look-down), added in quadrature",
                        "reading": _reading(change, error, lower_is_better=True)})
    kf = [clips.metric(r, "kasr_min") for r in flat]
    kh = [clips.metric(r, "kasr_min") for r in raised]
    mf, mh = clips.mean(kf), clips.mean(kh)
    if mf is not None and mh is not None:
        spread = 0.0
        sf, sh = clips.sd(kf), clips.sd(kh)
        if sf is not None and sh is not None:
            nf, nh = sum(v is not None for v in kf), sum(v is not None for v in kh)
            spread = 2 * math.sqrt(sf ** 2 / nf + sh ** 2 / nh)
        error = max(KASR_THRESHOLD, spread)
        change = mh - mf
        out.append({"measure": "kasr", "leg": "both", "unit": "knee/ankle width ratio",
                    "flat": clips.rounded(mf), "heels_raised": clips.rounded(mh), "change": clips.rounded(change),
                    "error": clips.rounded(error),
                    "error_basis": "0.10 (heuristic, trainer/session_compare.py) or twice the standard error of the "
                                   "two clips' rep-to-rep spread, the larger",
                    "reading": _reading(change, error, lower_is_better=False)})
    return out


def _result(branch: str, reasons: list[str], **extra: Any) -> dict[str, Any]:
    sources = ["bell2008", "lima2018"] + (["hip_conflicting"] if branch == HIP_CONTROL else [])
    return {"branch": branch, "title": BRANCH_TITLES[branch], "reasons": reasons, "grade": MODERATE,
            "sources": cite(sources), **extra}


def heel_lift_test(flat: Mapping[str, Any] | None, raised: Mapping[str, Any] | None) -> dict[str, Any]:
    """Compare the flat front squat (step 1) with the heels-raised one (step 3); see the module docstring.

    Returns ``{"branch", "title", "reasons"[], "grade", "sources"[], "flat", "heels_raised", "depth",
    "measures"[]}`` (the last four where they could be read). Every branch says why in ``reasons``.
    """
    ok, why = clips.usable(flat)
    if not ok:
        return _result(NOT_TESTED, [f"The front squat (step 1) {why}: the knees could not be judged."])
    flat_reps = clips.reps(flat)
    pattern = clips.knee_pattern(flat_reps)
    if pattern["status"] == clips.NOT_JUDGED:
        return _result(NO_CLEAR, ["The front squat could not judge the knees (camera angle or the person too "
                                  "small in the picture): re-film it from the front."], flat=pattern)
    if pattern["status"] == clips.NONE:
        return _result(NOT_NEEDED, ["The knees did not cave in on any rep of the front squat, so the "
                                    "heels-raised squat has nothing to tell apart."], flat=pattern)
    if pattern["status"] == clips.POSSIBLE:
        return _result(NO_CLEAR, [f"The flat squat's caving was only possible or occasional ({pattern['clear']} "
                                  f"clear and {pattern['possible']} possible of {pattern['judged']} reps): there is "
                                  "no clear caving for the heels-raised squat to remove."], flat=pattern)
    ok, why = clips.usable(raised)
    if not ok:
        return _result(NOT_TESTED, [f"The knees caved in on the flat squat, but the heels-raised squat {why}: "
                                    "ankle and hip cannot be told apart without it."], flat=pattern)
    flat_m, raised_m = matched_reps(flat_reps, clips.reps(raised))
    depth = {"flat_median": clips.rounded(clips.median_depth(flat_reps)),
             "heels_raised_median": clips.rounded(clips.median_depth(clips.reps(raised))),
             "tolerance": DEPTH_MATCH, "flat_matched_reps": len(flat_m), "heels_raised_matched_reps": len(raised_m)}
    if min(len(flat_m), len(raised_m)) < MIN_MATCHED_REPS:
        return _result(NO_CLEAR, [f"The two squats did not reach matched depth (median depth {depth['flat_median']} "
                                  f"flat, {depth['heels_raised_median']} heels raised; fewer than "
                                  f"{MIN_MATCHED_REPS} reps each within {DEPTH_MATCH}): re-film the heels-raised "
                                  "squat to the same depth."], flat=pattern, depth=depth)
    flat_p, raised_p = clips.knee_pattern(flat_m), clips.knee_pattern(raised_m)
    common = {"flat": flat_p, "heels_raised": raised_p, "depth": depth}
    if flat_p["status"] != clips.CLEAR:
        return _result(NO_CLEAR, ["At matched depth the flat squat's caving is not a pattern "
                                  f"({flat_p['clear']} clear of {flat_p['judged']} reps)."], **common)
    if raised_p["status"] == clips.NOT_JUDGED:
        return _result(NO_CLEAR, ["The heels-raised squat could not judge the knees (camera angle or size): "
                                  "re-film it from the front."], **common)
    measures = compare_measures(flat_m, raised_m, clips.caved_legs(flat_m))
    common["measures"] = measures
    better = [m for m in measures if m["reading"] == BETTER]
    worse = [m for m in measures if m["reading"] == WORSE]
    said = _measure_words(measures)
    if not measures:
        return _result(NO_CLEAR, ["No knee measure was read in both clips, so the change cannot be compared with "
                                  "its error."], **common)
    if raised_p["status"] == clips.NONE and better and not worse:
        return _result(ANKLE, [f"The knees caved in on {flat_p['clear']} of {flat_p['judged']} flat reps and on none "
                               f"of {raised_p['judged']} with the heels raised, at matched depth.",
                               f"Beyond the clip-to-clip error: {said}."], **common)
    if raised_p["status"] == clips.CLEAR and not better:
        return _result(HIP_CONTROL, [f"With the heels raised the knees still clearly caved in ({raised_p['clear']} of "
                                     f"{raised_p['judged']} reps, against {flat_p['clear']} of {flat_p['judged']} "
                                     "flat), at matched depth.",
                                     f"No measure better beyond the clip-to-clip error: {said}."], **common)
    return _result(NO_CLEAR, [f"A partial change: with the heels raised {raised_p['clear']} clear and "
                              f"{raised_p['possible']} possible of {raised_p['judged']} reps (flat: "
                              f"{flat_p['clear']} clear of {flat_p['judged']}).", f"Measures: {said}.",
                              "Neither 'caving gone' nor 'still clearly caving': the ankle/hip question stays open; "
                              "the knee-to-wall test and the single-leg squat may help."], **common)


def _measure_words(measures: Sequence[Mapping[str, Any]]) -> str:
    names = {"foot_line": "knee inside its foot line", "kasr": "knee/ankle width ratio"}
    parts = []
    for m in measures:
        leg = "" if m["leg"] == "both" else f" ({m['leg']})"
        parts.append(f"{names[m['measure']]}{leg} {m['flat']} -> {m['heels_raised']}, change {m['change']:+} "
                     f"against an error of {m['error']}: {m['reading']}")
    return "; ".join(parts)
