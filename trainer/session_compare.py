"""Per-session summary numbers and session-to-session comparison (pure functions, no I/O).

Both the client-history store (``trainer.store``) and the PDF report (``trainer.pdf_report``)
use these, so a number in the database, on the trend chart and in the report is always
computed the same way from the engine's analysis dict.

Thresholds for a "meaningful" change
------------------------------------
A change between two sessions is only called meaningful when it is larger than the error
of the measurement itself; otherwise the honest answer is "no detectable change".

* FPPA (frontal-plane projection angle) and left/right asymmetry angles: 9 degrees.
  Munro et al. 2012 (2D FPPA in single-leg squat / landing) report a smallest detectable
  difference of 7.5-8.9 degrees; 9 degrees is that range rounded up.
* KASR (knee-to-ankle separation ratio): 0.10. HEURISTIC - no published SDD for a
  phone-video KASR; 0.10 is roughly the rep-to-rep spread we expect from 2D landmarks.
* Valgus rep rate (share of reps flagged ``knee_valgus``): HEURISTIC - meaningful only if
  the number of valgus reps changed by >= 2 or the rate changed by >= 25 percentage points.
  (Literal reading of the spec: either condition is enough. Note that with very short sets
  a single rep flipping can move the rate by >= 25 points.)
* Depth ratio: 0.15. HEURISTIC.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

# --- thresholds (see module docstring for sources) -------------------------------------
ANGLE_SDD_DEG = 9.0  # Munro 2012: SDD 7.5-8.9 deg for 2D FPPA, rounded up
KASR_THRESHOLD = 0.10  # heuristic
DEPTH_RATIO_THRESHOLD = 0.15  # heuristic
VALGUS_COUNT_THRESHOLD = 2  # reps, heuristic
VALGUS_RATE_THRESHOLD = 0.25  # 25 percentage points, heuristic

NOT_MEANINGFUL = "not meaningful (within measurement error)"
NOT_COMPARABLE_VIEW = "not comparable (not measured in both sessions)"
NOT_COMPARABLE_REPS = "not comparable (no reps in one of the sessions)"
IMPROVED = "improved"
WORSE = "worse"

_EPS = 1e-9  # guards the threshold tests against float noise such as 0.72 - 0.62


def finite_or_none(value: Any) -> float | None:
    """A finite float, or None for None / NaN / inf / non-numbers."""
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def mean(values: Iterable[float | None]) -> float | None:
    """The mean of the values that are not None; None when there are none."""
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def reps(analysis: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """An analysis result's rep dicts (none for None: a skipped screening step)."""
    if not analysis:
        return []
    return [r for r in (analysis.get("reps") or []) if isinstance(r, Mapping)]


def metric(rep: Mapping[str, Any], key: str) -> float | None:
    """A rep's metric ``key`` as a finite float, or None."""
    metrics = rep.get("metrics") or {}
    return finite_or_none(metrics.get(key)) if isinstance(metrics, Mapping) else None


def _flags(rep: Mapping[str, Any]) -> set[str]:
    return {str(f) for f in (rep.get("flags") or [])}


_FRONTAL_METRICS = ("fppa_left_deg", "fppa_right_deg", "valgus_left", "valgus_right", "kasr_min")


def valgus_measurable(analysis: Mapping[str, Any]) -> bool:
    """Whether this recording could judge knee valgus at all. A side view cannot; nor can
    a recording whose reps carry no frontal-plane metric (all None) and no valgus flag.
    Used so that "0 valgus reps" from a side view is reported as n/a, not as 0%."""
    if str(analysis.get("view") or "").lower() == "side":
        return False
    if not isinstance(analysis.get("reps"), list):
        return True  # summary-only dict: trust its counts
    for rep in reps(analysis):
        if any(f.startswith("knee_valgus") for f in _flags(rep)):
            return True
        if any(metric(rep, k) is not None for k in _FRONTAL_METRICS):
            return True
    return False


def summarise_analysis(analysis: Mapping[str, Any]) -> dict[str, Any]:
    """The per-session numbers stored with each session and used by the trend chart.

    Counts come from the ``reps`` list when present (falling back to ``summary``); means
    skip reps whose metric is None (the camera view could not judge it). All values are
    plain Python numbers or None.

    * ``fppa_mean_deg`` / ``fppa_worst_deg``: per rep the worse (larger) of the left/right
      FPPA, then the mean / the maximum over reps. Larger = more valgus.
    * ``valgus_rate``: valgus reps / reps; None with no reps or when the view cannot
      judge valgus (see :func:`valgus_measurable`).
    * ``kasr_mean``: mean of per-rep ``kasr_min`` (lower = knees closer together).
    * ``depth_mean``: mean ``depth_ratio``; ``asymmetry_mean_deg``: mean ``asymmetry_deg``.
    """
    rep_list = reps(analysis)
    summary = analysis.get("summary") or {}
    if "reps" in analysis and isinstance(analysis.get("reps"), list):
        rep_count = len(rep_list)
        valgus_reps = sum(
            1 for r in rep_list if any(f.startswith("knee_valgus") for f in _flags(r))
        )
        shallow_reps = sum(1 for r in rep_list if "shallow" in _flags(r))
    else:
        rep_count = int(finite_or_none(summary.get("rep_count")) or 0)
        valgus_reps = int(finite_or_none(summary.get("valgus_reps")) or 0)
        shallow_reps = int(finite_or_none(summary.get("shallow_reps")) or 0)

    worst_side = []
    for r in rep_list:
        sides = [v for v in (metric(r, "fppa_left_deg"), metric(r, "fppa_right_deg")) if v is not None]
        worst_side.append(max(sides) if sides else None)
    worst_vals = [v for v in worst_side if v is not None]

    return {
        "rep_count": rep_count,
        "valgus_reps": valgus_reps,
        "shallow_reps": shallow_reps,
        "valgus_rate": (valgus_reps / rep_count)
        if rep_count and valgus_measurable(analysis)
        else None,
        "fppa_left_mean_deg": mean(metric(r, "fppa_left_deg") for r in rep_list),
        "fppa_right_mean_deg": mean(metric(r, "fppa_right_deg") for r in rep_list),
        "fppa_mean_deg": mean(worst_side),
        "fppa_worst_deg": max(worst_vals) if worst_vals else None,
        "kasr_mean": mean(metric(r, "kasr_min") for r in rep_list),
        "depth_mean": mean(metric(r, "depth_ratio") for r in rep_list),
        "asymmetry_mean_deg": mean(metric(r, "asymmetry_deg") for r in rep_list),
    }


# (key in summarise_analysis, label, unit, threshold, which direction is better, basis)
_CONTINUOUS_METRICS: tuple[tuple[str, str, str, float, str, str], ...] = (
    ("fppa_left_mean_deg", "Left knee FPPA (mean)", "deg", ANGLE_SDD_DEG, "lower",
     "SDD 7.5-8.9 deg for 2D FPPA (Munro 2012)"),
    ("fppa_right_mean_deg", "Right knee FPPA (mean)", "deg", ANGLE_SDD_DEG, "lower",
     "SDD 7.5-8.9 deg for 2D FPPA (Munro 2012)"),
    ("kasr_mean", "Knee/ankle separation ratio (mean KASR)", "ratio", KASR_THRESHOLD, "higher",
     "heuristic"),
    ("depth_mean", "Depth ratio (mean)", "ratio", DEPTH_RATIO_THRESHOLD, "higher", "heuristic"),
    ("asymmetry_mean_deg", "Left/right asymmetry (mean)", "deg", ANGLE_SDD_DEG, "lower",
     "SDD 7.5-8.9 deg for 2D angles (Munro 2012)"),
)


def _direction(change: float, better: str) -> str:
    improved = change < 0 if better == "lower" else change > 0
    return IMPROVED if improved else WORSE


def compare_sessions(prev: Mapping[str, Any], curr: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Compare two analysis dicts (previous session, this session), metric by metric.

    Returns one dict per metric, in a fixed order::

        {"metric", "label", "unit", "previous", "current", "change", "threshold",
         "threshold_basis", "better" ("lower"/"higher"), "meaningful": bool,
         "verdict": "improved" | "worse" | NOT_MEANINGFUL | NOT_COMPARABLE_*}

    ``change`` is ``current - previous`` (None when either side is missing). A change is
    ``meaningful`` only when it exceeds the measurement error (see module docstring); a
    metric missing from either session is never meaningful. The valgus-rate entry also
    carries ``previous_count``/``current_count``/``count_change`` and
    ``previous_reps``/``current_reps``; its ``change`` is in rate units (0.25 = 25 points).
    """
    a = summarise_analysis(prev)
    b = summarise_analysis(curr)
    out: list[dict[str, Any]] = []

    # valgus rep rate
    entry: dict[str, Any] = {
        "metric": "valgus_rate",
        "label": "Reps with knee valgus",
        "unit": "rate",
        "previous": a["valgus_rate"],
        "current": b["valgus_rate"],
        "previous_count": a["valgus_reps"],
        "current_count": b["valgus_reps"],
        "previous_reps": a["rep_count"],
        "current_reps": b["rep_count"],
        "change": None,
        "count_change": None,
        "threshold": VALGUS_RATE_THRESHOLD,
        "count_threshold": VALGUS_COUNT_THRESHOLD,
        "threshold_basis": "heuristic: >= 2 reps or >= 25 percentage points",
        "better": "lower",
        "meaningful": False,
    }
    if a["valgus_rate"] is None or b["valgus_rate"] is None:
        no_reps = a["rep_count"] == 0 or b["rep_count"] == 0
        entry["verdict"] = NOT_COMPARABLE_REPS if no_reps else NOT_COMPARABLE_VIEW
    else:
        change = round(b["valgus_rate"] - a["valgus_rate"], 9)
        count_change = b["valgus_reps"] - a["valgus_reps"]
        meaningful = (
            abs(count_change) >= VALGUS_COUNT_THRESHOLD
            or abs(change) >= VALGUS_RATE_THRESHOLD - _EPS
        )
        entry.update(change=change, count_change=count_change, meaningful=meaningful)
        if meaningful and change != 0:
            entry["verdict"] = _direction(change, "lower")
        elif meaningful:
            # more (or fewer) valgus reps, but in the same proportion of a longer/shorter set
            entry["meaningful"] = False
            entry["verdict"] = NOT_MEANINGFUL
        else:
            entry["verdict"] = NOT_MEANINGFUL
    out.append(entry)

    for key, label, unit, threshold, better, basis in _CONTINUOUS_METRICS:
        p, c = a[key], b[key]
        entry = {
            "metric": key,
            "label": label,
            "unit": unit,
            "previous": p,
            "current": c,
            "change": None,
            "threshold": threshold,
            "threshold_basis": basis,
            "better": better,
            "meaningful": False,
        }
        if p is None or c is None:
            no_reps = a["rep_count"] == 0 or b["rep_count"] == 0
            entry["verdict"] = NOT_COMPARABLE_REPS if no_reps else NOT_COMPARABLE_VIEW
        else:
            change = round(c - p, 9)
            meaningful = abs(change) > threshold + _EPS
            entry.update(change=change, meaningful=meaningful)
            entry["verdict"] = _direction(change, better) if meaningful else NOT_MEANINGFUL
        out.append(entry)
    return out
