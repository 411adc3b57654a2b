"""Re-test: a re-screen compared with the previous one finding by finding, and the trend over screenings.

A change is called real only when it is larger than the measurement's error (corrective.md §7: "call a
change real only beyond the MDC"); otherwise "not meaningful". The errors:

* knee-to-wall: MDC 1.9 cm (Powden 2015, intra-rater: the same trainer re-tests);
* the knee's distance inside its foot line: both screenings' own error bands added in quadrature;
* FPPA of the single-leg squat: 9 deg (Munro 2012 SDD 7.5-8.9 deg);
* knee/ankle width ratio (KASR): 0.10 [heuristic, trainer.session_compare];
* the share of front-squat reps with clear caving: 2 reps or 25 percentage points [heuristic, as
  trainer.session_compare];
* forward lean (trunk ahead of the shin): 9 deg, a 2D angle's SDD borrowed from FPPA [heuristic];
* heel rise: 0.05 shank lengths, the heel point's own movement (vision/thresholds.py) [heuristic].

The branch and the single-leg ratings are categories: shown side by side, never called a measured change.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from trainer.screening.findings import KTW_MDC_CM
from trainer.session_compare import ANGLE_SDD_DEG, KASR_THRESHOLD, VALGUS_COUNT_THRESHOLD, VALGUS_RATE_THRESHOLD

REAL_IMPROVED, REAL_WORSE = "real: improved", "real: worse"
NOT_MEANINGFUL = "not meaningful (within measurement error)"
NOT_COMPARABLE = "not comparable (not measured in both screenings)"
HEEL_RISE_ERROR = 0.05  # shank lengths: MediaPipe's heel point moves this much with a forward knee (thresholds.py)
_EPS = 1e-9

# key -> (label, unit, better, fixed error or None (own bands), basis)
MEASURES: dict[str, tuple[str, str, str, float | None, str]] = {
    "knee_to_wall_left_cm": ("Knee-to-wall, left", "cm", "higher", KTW_MDC_CM, "MDC 1.9 cm (Powden 2015)"),
    "knee_to_wall_right_cm": ("Knee-to-wall, right", "cm", "higher", KTW_MDC_CM, "MDC 1.9 cm (Powden 2015)"),
    "front_foot_line_left": ("Left knee inside its foot line (front squat)", "foot lengths", "lower", None,
                             "both screenings' own foot-line error bands, in quadrature"),
    "front_foot_line_right": ("Right knee inside its foot line (front squat)", "foot lengths", "lower", None,
                              "both screenings' own foot-line error bands, in quadrature"),
    "front_kasr_mean": ("Knee/ankle width ratio (front squat)", "ratio", "higher", KASR_THRESHOLD, "0.10 (heuristic)"),
    "single_leg_fppa_left_deg": ("Left single-leg squat knee angle (FPPA)", "deg", "lower", ANGLE_SDD_DEG,
                                 "SDD 7.5-8.9 deg (Munro 2012)"),
    "single_leg_fppa_right_deg": ("Right single-leg squat knee angle (FPPA)", "deg", "lower", ANGLE_SDD_DEG,
                                  "SDD 7.5-8.9 deg (Munro 2012)"),
    "side_forward_lean_deg": ("Forward lean, trunk ahead of the shin (side squat)", "deg", "lower", ANGLE_SDD_DEG,
                              "9 deg, a 2D angle's SDD (Munro 2012, borrowed: heuristic)"),
    "side_heel_rise": ("Heel rise (side squat)", "shank lengths", "lower", HEEL_RISE_ERROR,
                       "0.05, the heel point's own movement (heuristic)"),
}


def _verdict(change: float, error: float, better: str) -> tuple[bool, str]:
    if abs(change) <= error + _EPS:
        return False, NOT_MEANINGFUL
    improved = change > 0 if better == "higher" else change < 0
    return True, REAL_IMPROVED if improved else REAL_WORSE


def _value(m: Mapping[str, Any] | None) -> float | None:
    if not isinstance(m, Mapping):
        return None
    v = m.get("value")
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def compare_screenings(previous: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """Compare two screening results (dicts from :func:`trainer.screening.build_screening`), measure by measure.

    Returns ``{"previous_date", "current_date", "entries"[], "categories"[]}``; each entry ``{key, label, unit,
    previous, current, change, error, basis, real, verdict}`` where ``real`` is True only beyond ``error``.
    """
    pm, cm = previous.get("measurements") or {}, current.get("measurements") or {}
    entries = []
    for key, (label, unit, better, fixed, basis) in MEASURES.items():
        p, c = _value(pm.get(key)), _value(cm.get(key))
        entry: dict[str, Any] = {"key": key, "label": label, "unit": unit, "previous": p, "current": c,
                                 "change": None, "error": fixed, "basis": basis, "better": better, "real": False}
        if p is None or c is None:
            entries.append({**entry, "verdict": NOT_COMPARABLE})
            continue
        error = fixed if fixed is not None else math.hypot(pm[key].get("band") or 0.0, cm[key].get("band") or 0.0)
        change = round(c - p, 6)
        real, verdict = _verdict(change, error, better)
        entries.append({**entry, "change": round(change, 3), "error": round(error, 3), "real": real,
                        "verdict": verdict})
    entries.append(_valgus_rate_entry(pm.get("front_clear_reps"), cm.get("front_clear_reps")))
    categories = [
        {"key": "branch", "label": "Heels-raised test", "previous": (previous.get("branch") or {}).get("title"),
         "current": (current.get("branch") or {}).get("title")},
    ]
    for leg in ("left", "right"):
        prev_r = ((previous.get("single_leg") or {}).get(leg) or {}).get("rating")
        curr_r = ((current.get("single_leg") or {}).get(leg) or {}).get("rating")
        categories.append({"key": f"single_leg_{leg}", "label": f"Single-leg squat, {leg}", "previous": prev_r,
                           "current": curr_r})
    for c in categories:
        c["note"] = ("a category: a change of rating is not a measured change (raters agree 73-87 %, Crossley 2011)"
                     if c["key"].startswith("single_leg") else "a category, read with the measures above")
    return {"previous_date": previous.get("screened_on"), "current_date": current.get("screened_on"),
            "entries": entries, "categories": categories}


def _valgus_rate_entry(prev: Mapping[str, Any] | None, curr: Mapping[str, Any] | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"key": "front_clear_reps", "label": "Front-squat reps with the knees clearly caving in",
                             "unit": "share of reps", "previous": None, "current": None, "change": None,
                             "error": VALGUS_RATE_THRESHOLD, "better": "lower", "real": False,
                             "basis": "2 reps or 25 percentage points (heuristic, as trainer/session_compare.py)"}
    if not prev or not curr or not prev.get("judged") or not curr.get("judged"):
        return {**entry, "verdict": NOT_COMPARABLE}
    p, c = prev["clear"] / prev["judged"], curr["clear"] / curr["judged"]
    change = round(c - p, 6)
    count_change = curr["clear"] - prev["clear"]
    real = change != 0 and (abs(count_change) >= VALGUS_COUNT_THRESHOLD or abs(change) >= VALGUS_RATE_THRESHOLD - _EPS)
    verdict = (REAL_IMPROVED if change < 0 else REAL_WORSE) if real else NOT_MEANINGFUL
    return {**entry, "previous": round(p, 3), "current": round(c, 3), "change": round(change, 3), "real": real,
            "verdict": verdict, "previous_count": prev["clear"], "current_count": curr["clear"]}


def trend(screenings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per screening, in the order given (oldest first): its date, branch, the measures' values,
    the single-leg ratings and whether a plan was given, for a chart or a table."""
    rows = []
    for s in screenings:
        m = s.get("measurements") or {}
        row = {"screened_on": s.get("screened_on"), "branch": (s.get("branch") or {}).get("branch"),
               "referral": bool((s.get("referral") or {}).get("refer")),
               "plan": [i["id"] for i in (s.get("plan") or {}).get("items", [])]}
        for key in MEASURES:
            row[key] = _value(m.get(key))
        fc = m.get("front_clear_reps") or {}
        row["front_clear_share"] = round(fc["clear"] / fc["judged"], 3) if fc.get("judged") else None
        for leg in ("left", "right"):
            row[f"single_leg_{leg}"] = ((s.get("single_leg") or {}).get(leg) or {}).get("rating")
        rows.append(row)
    return rows
