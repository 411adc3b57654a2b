"""The single-leg squat rated good / fair / poor per side (Crossley 2011), from what the video measures.

Crossley 2011 (AJSM 39:866, corrective.md §2 [moderate]) rates 5 single-leg squats on five criteria:
overall impression, trunk posture, pelvis "in space", hip joint and knee joint; good performers had better
hip-abductor function. The engine judges, from the front, two of them:

* **knee**: the standing knee's valgus verdict per rep (FPPA against single-leg norms, Herrington & Munro
  2010, confirmed by its foot line: vision/valgus.py);
* **overall impression**, in part: whether the 5 reps were completed as single-leg squats.

Trunk, pelvis and hip are not measured here (the engine reports no lateral trunk lean, pelvic drop or
single-leg shift): the trainer judges them by eye. The rating below is therefore this program's mapping
[heuristic], not Crossley's panel rating: ``good`` when the knee stayed over the foot on every judged rep
and 5 reps were done, ``poor`` when the knee caved in clearly on at least half the judged reps, ``fair``
otherwise (an occasional or only possible caving, or fewer than 5 reps).
"""

from __future__ import annotations

from typing import Any, Mapping

from trainer.screening import clips
from trainer.screening.sources import MODERATE, cite

GOOD, FAIR, POOR = "good", "fair", "poor"
PROTOCOL_REPS = 5  # Crossley 2011: 5 consecutive single-leg squats


def _standing_leg(rep: Mapping[str, Any]) -> str | None:
    leg = (rep.get("metrics") or {}).get("standing_leg")
    return str(leg) if leg in clips.LEGS else None


def rate_single_leg(analysis: Mapping[str, Any] | None, leg: str) -> dict[str, Any]:
    """Rate one side's single-leg squat clip (``leg``: the leg the person stood on, as filmed).

    Returns ``{"leg", "rating" (good/fair/poor or None), "reasons"[], "criteria"{knee, overall, trunk, pelvis,
    hip}, "knee" (the knee pattern), "reps", "fppa_mean_deg", "fppa_norm_deg", "grade", "sources"[]}``;
    ``rating`` is None when the clip could not be rated, with the reason.
    """
    base: dict[str, Any] = {"leg": leg, "rating": None, "grade": MODERATE, "sources": cite(["crossley2011"]),
                            "criteria": {"trunk": "not measured: judge by eye", "pelvis": "not measured: judge by eye",
                                         "hip": "not measured: judge by eye"}}
    ok, why = clips.usable(analysis)
    if not ok:
        return {**base, "reasons": [f"The {leg} single-leg squat {why}: not rated."]}
    reps = [r for r in clips.reps(analysis) if r.get("stance") == "single_leg"]
    if not reps:
        return {**base, "reasons": [f"No single-leg squat was recognised in the {leg} clip (the reps were squats on "
                                    "both legs): not rated."]}
    on_leg = [r for r in reps if _standing_leg(r) in (leg, None)]
    if not on_leg:
        other = _standing_leg(reps[0])
        return {**base, "reasons": [f"The {leg} clip shows squats standing on the {other} leg: not rated (was the "
                                    "clip given for the wrong side?)."]}
    knee = clips.knee_pattern(on_leg, leg)
    fppa = clips.mean([clips.metric(r, f"fppa_{leg}_deg") for r in on_leg])
    norm = clips.mean([clips.metric(r, "fppa_norm_deg") for r in on_leg])
    done = len(on_leg) >= PROTOCOL_REPS
    criteria = {**base["criteria"],
                "knee": {clips.NONE: "met: the knee stayed over the foot", clips.CLEAR: "not met: the knee caved in",
                         clips.POSSIBLE: "uncertain: caving possible or occasional",
                         clips.NOT_JUDGED: "not judged"}[knee["status"]],
                "overall": (f"met: {len(on_leg)} single-leg reps" if done else
                            f"not met: {len(on_leg)} of {PROTOCOL_REPS} single-leg reps counted")}
    out = {**base, "criteria": criteria, "knee": knee, "reps": len(on_leg), "fppa_mean_deg": clips.rounded(fppa, 1),
           "fppa_norm_deg": clips.rounded(norm, 1)}
    if knee["status"] == clips.NOT_JUDGED:
        return {**out, "reasons": [f"The {leg} knee could not be judged (camera angle, thigh foreshortened, or the "
                                   "person too small): not rated."]}
    if knee["status"] == clips.CLEAR:
        rating, why = POOR, f"the {leg} knee caved in on {knee['clear']} of {knee['judged']} judged reps"
    elif knee["status"] == clips.NONE and done:
        rating, why = GOOD, f"the {leg} knee stayed over the foot on all {knee['judged']} judged reps"
    else:
        parts = []
        if knee["status"] == clips.POSSIBLE:
            parts.append(f"caving clear on {knee['clear']} and possible on {knee['possible']} of {knee['judged']} reps")
        if not done:
            parts.append(f"only {len(on_leg)} of {PROTOCOL_REPS} reps")
        rating, why = FAIR, "; ".join(parts)
    return {**out, "rating": rating,
            "reasons": [f"{rating.capitalize()}: {why}. Rated on the knee and rep completion only; trunk, pelvis "
                        "and hip are the trainer's to judge by eye."]}
