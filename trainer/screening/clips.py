"""One analysed clip read as a screening step: the knees' pattern over the set and its numbers with their error.

The engine judges each rep (``reps[*].valgus``); a screening needs the set: did the knees cave in as a
pattern, only now and then, or not at all, and how far, with the error band each measure carries on this
clip. Pure functions on the engine's JSON dict (``schema_version`` 1.0); nothing here changes it.
"""

from __future__ import annotations

import math
import statistics
from typing import Any, Mapping, Sequence

from vision import faults
from trainer.session_compare import finite_or_none, mean, metric, reps  # noqa: F401 (read as clips.*)

CLEAR, POSSIBLE, NONE, NOT_JUDGED = faults.CLEAR, faults.POSSIBLE, faults.NONE, faults.NOT_JUDGED
# A set "caves" as a pattern when at least half its judged reps are clear [heuristic]: one clear rep
# of five is shown but is not called the person's pattern (the engine's own per-rep false-clear rate on
# good reps is 0.7 %, BENCHMARKS.md, but a single rep can still be a one-off).
PATTERN_SHARE = 0.5
LEGS = ("left", "right")


def sd(values: Sequence[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.stdev(vals) if len(vals) >= 2 else None


def leg_verdict(rep: Mapping[str, Any], leg: str) -> str:
    """One knee's verdict on one rep: clear (it caved), possible (its leg is in ``possible_legs``), none, or
    not_judged."""
    verdict = faults.valgus_verdict(rep)
    v = rep.get("valgus") or {}
    if verdict == CLEAR:
        return CLEAR if v.get(leg) or not (v.get("left") or v.get("right")) else (
            POSSIBLE if leg in (v.get("possible_legs") or []) else NONE)
    if verdict == POSSIBLE:
        return POSSIBLE if leg in (v.get("possible_legs") or []) or not v.get("possible_legs") else NONE
    return verdict


def knee_pattern(rep_list: Sequence[Mapping[str, Any]], leg: str | None = None) -> dict[str, Any]:
    """The set's knee pattern (both knees, or one ``leg``): counts of clear / possible / none / not judged reps
    and the set's status:

    * ``clear``: clear on at least half the judged reps (the pattern);
    * ``possible``: some reps clear or possible, fewer than half clear;
    * ``none``: every judged rep none;
    * ``not_judged``: no rep could be judged (view, size, no reps).
    """
    verdicts = [faults.valgus_verdict(r) if leg is None else leg_verdict(r, leg) for r in rep_list]
    n = {k: verdicts.count(k) for k in (CLEAR, POSSIBLE, NONE, NOT_JUDGED)}
    judged = n[CLEAR] + n[POSSIBLE] + n[NONE]
    if judged == 0:
        status = NOT_JUDGED
    elif n[CLEAR] >= PATTERN_SHARE * judged:
        status = CLEAR
    elif n[CLEAR] or n[POSSIBLE]:
        status = POSSIBLE
    else:
        status = NONE
    return {"status": status, "reps": len(verdicts), "judged": judged, "clear": n[CLEAR],
            "possible": n[POSSIBLE], "none": n[NONE], "not_judged": n[NOT_JUDGED]}


def caved_legs(rep_list: Sequence[Mapping[str, Any]]) -> list[str]:
    """The knees that caved (clear) on at least one rep, left first."""
    return [leg for leg in LEGS if any(leg_verdict(r, leg) == CLEAR for r in rep_list)]


def foot_line(rep_list: Sequence[Mapping[str, Any]], leg: str) -> dict[str, float] | None:
    """The knee's mean distance inside its foot line (foot lengths) over the reps, with the half-width of its
    error band on this clip (``knee_toe`` minus its low end ``knee_toe_low``: two SD of the toe point's
    turn-out error plus the camera's look-down, vision/valgus.py). None when the feet were not seen."""
    pairs = [(metric(r, f"knee_toe_{leg}"), metric(r, f"knee_toe_low_{leg}")) for r in rep_list]
    pairs = [(v, lo) for v, lo in pairs if v is not None and lo is not None]
    if not pairs:
        return None
    return {"value": sum(v for v, _ in pairs) / len(pairs),
            "band": sum(max(v - lo, 0.0) for v, lo in pairs) / len(pairs), "reps": len(pairs)}


def median_depth(rep_list: Sequence[Mapping[str, Any]]) -> float | None:
    vals = [v for v in (metric(r, "squat_depth") for r in rep_list) if v is not None]
    return statistics.median(vals) if vals else None


def usable(analysis: Mapping[str, Any] | None) -> tuple[bool, str]:
    """Whether a step's clip gave anything to read, and if not, why (in words)."""
    if not analysis:
        return False, "was skipped"
    if not reps(analysis):
        probs = "; ".join(str(p.get("message") or p.get("code")) for p in analysis.get("problems") or [])
        return False, "showed no squat reps" + (f" ({probs})" if probs else "")
    return True, ""


def flagged(rep_list: Sequence[Mapping[str, Any]], flag: str) -> int:
    return sum(1 for r in rep_list if flag in (r.get("flags") or []))


def flag_direction(rep_list: Sequence[Mapping[str, Any]], flag: str) -> list[str]:
    """The ``direction`` of each rep's ``flag`` detail where the engine gives one (lateral shift)."""
    out = []
    for r in rep_list:
        for d in r.get("flag_details") or []:
            if isinstance(d, Mapping) and d.get("code") == flag and d.get("direction"):
                out.append(str(d["direction"]))
    return out


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, digits)
