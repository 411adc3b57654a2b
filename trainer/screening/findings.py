"""The screening's findings, one small rule each, every one with its numbers, error and sources.

A finding is a plain dict::

    {"id", "title", "status": "fault" | "ok" | "possible" | "not_concluded" | "refer",
     "observation": str, "numbers": {...}, "error": str, "grade": str, "sources": [{id, citation, url}],
     "convention": str | None,   # a certification's muscle hypothesis, labelled as such
     "next": str | None}         # the follow-up test to run

``status`` "not_concluded" means the step was skipped or could not be read; the observation says why.
"""

from __future__ import annotations

from typing import Any, Mapping

from trainer.screening import clips
from trainer.screening.sources import CONVENTION, HEURISTIC, MODERATE, WEAK, cite

FAULT, OK, POSSIBLE, NOT_CONCLUDED, REFER = "fault", "ok", "possible", "not_concluded", "refer"


def _pattern_status(flagged: int, judged: int) -> str:
    """A flag on at least ``clips.PATTERN_SHARE`` of the judged reps is the person's pattern (a
    fault); on fewer it is worth a look (possible); on none it is ok."""
    if flagged and flagged >= clips.PATTERN_SHARE * judged:
        return FAULT
    return POSSIBLE if flagged else OK


# Knee-to-wall (weight-bearing lunge) test, corrective.md §2:
KTW_MDC_CM = 1.9  # Powden 2015: MDC 1.6 cm inter-rater, 1.9 cm intra-rater; the larger, as one trainer re-tests
CM_PER_DEG = 1 / 3.6  # Physiopedia: 1 cm of knee-to-wall distance ~ 3.6 deg of dorsiflexion
KTW_CUTOFF_DEG = 36.5  # Backman 2011: the research cut-off (inclinometer)
KTW_CUTOFF_CM = round(KTW_CUTOFF_DEG * CM_PER_DEG, 1)  # 10.1 cm; practitioners use < 10 cm ("restricted")
KTW_PLAUSIBLE_CM = (0.0, 30.0)  # an entry outside this is a typing error, not a measurement

CONVENTION_KNEES_IN = ("Certification convention (NASM), not a diagnosis: probably overactive adductors, TFL, biceps "
                       "femoris (short head), vastus lateralis; probably underactive gluteus medius/maximus, VMO.")
CONVENTION_LEAN = ("Certification convention (NASM), not a diagnosis: probably overactive calves and hip flexors; "
                   "probably underactive gluteus maximus and erector spinae.")
CONVENTION_SHIFT = ("Certification convention (ISSA), not a diagnosis: adductors and hip flexors on the shift side, "
                    "gluteus medius underactive on the shift side.")


def _finding(fid: str, title: str, status: str, observation: str, *, numbers: Mapping | None = None,
             error: str = "", grade: str = HEURISTIC, sources: list[str] | None = None,
             convention: str | None = None, next_test: str | None = None) -> dict[str, Any]:
    return {"id": fid, "title": title, "status": status, "observation": observation, "numbers": dict(numbers or {}),
            "error": error, "grade": grade, "sources": cite(sources or []), "convention": convention,
            "next": next_test}


def front_knees(front: Mapping[str, Any] | None) -> dict[str, Any]:
    """Knee caving in the front squat (step 1), from the engine's per-rep verdicts."""
    title = "Knees caving in (front squat)"
    ok, why = clips.usable(front)
    if not ok:
        return _finding("knees_front", title, NOT_CONCLUDED, f"The front squat {why}: knee caving not judged.")
    reps = clips.reps(front)
    p = clips.knee_pattern(reps)
    legs = clips.caved_legs(reps)
    kasr = clips.mean([clips.metric(r, "kasr_min") for r in reps])
    numbers = {"reps": p["reps"], "judged": p["judged"], "clear": p["clear"], "possible": p["possible"],
               "legs": legs, "kasr_mean": clips.rounded(kasr)}
    for leg in clips.LEGS:
        fl = clips.foot_line(reps, leg)
        if fl:
            numbers[f"foot_line_{leg}"] = clips.rounded(fl["value"])
            numbers[f"foot_line_band_{leg}"] = clips.rounded(fl["band"])
    error = ("Each rep's verdict is 'clear' only past its threshold by more than the measure's own error on this clip "
             "(the foot line: 2 SD of the toe point's turn-out error); 'possible' is within that error. 2D video "
             "agrees only moderately with 3D motion capture.")
    sources = ["krosshaug2016", "nilstad"]
    if p["status"] == clips.NOT_JUDGED:
        return _finding("knees_front", title, NOT_CONCLUDED, "The knees could not be judged from this clip (camera "
                        "angle or the person too small): re-film it from the front.", numbers=numbers, error=error)
    if p["status"] == clips.NONE:
        return _finding("knees_front", title, OK, f"The knees tracked over the feet on all {p['judged']} judged reps.",
                        numbers=numbers, error=error, sources=sources)
    if p["status"] == clips.POSSIBLE:
        return _finding("knees_front", title, POSSIBLE,
                        f"Caving clear on {p['clear']} and possible on {p['possible']} of {p['judged']} reps: not a "
                        "clear pattern. Look at those reps; the heels-raised test cannot tell ankle from hip here.",
                        numbers=numbers, error=error, sources=sources, convention=CONVENTION_KNEES_IN)
    side = " and ".join(legs) if legs else "the"
    return _finding("knees_front", title, FAULT,
                    f"The {side} knee{'s' if len(legs) != 1 else ''} caved in on {p['clear']} of {p['judged']} "
                    "judged reps. This describes movement quality; it does not predict an injury.",
                    numbers=numbers, error=error, grade=MODERATE, sources=sources + ["nasm_ohsa"],
                    convention=CONVENTION_KNEES_IN,
                    next_test="Film the heels-raised squat (step 3); measure knee-to-wall per side; film the "
                              "single-leg squat per side.")


def knee_to_wall(cm: tuple[float | None, float | None] | None) -> list[dict[str, Any]]:
    """Knee-to-wall per side against the research cut-off, and the left/right difference against its MDC."""
    title = "Ankle dorsiflexion (knee-to-wall)"
    if cm is None or all(v is None for v in cm):
        return [_finding("knee_to_wall", title, NOT_CONCLUDED, "Knee-to-wall not measured: ankle mobility not "
                         "tested by hand.", next_test="Measure knee-to-wall per side (cm).")]
    left, right = cm
    error = f"MDC {KTW_MDC_CM} cm (Powden 2015: 1.6 cm inter-rater, 1.9 cm intra-rater)"
    cut = (f"research cut-off {KTW_CUTOFF_DEG} deg (Backman 2011) = about {KTW_CUTOFF_CM} cm at 3.6 deg/cm; "
           "practitioners use < 10 cm")
    out = []
    for leg, v in (("left", left), ("right", right)):
        if v is None:
            out.append(_finding(f"knee_to_wall_{leg}", f"{title}, {leg}", NOT_CONCLUDED, f"The {leg} side was not "
                                "measured."))
            continue
        low = v < KTW_CUTOFF_CM
        out.append(_finding(
            f"knee_to_wall_{leg}", f"{title}, {leg}", FAULT if low else OK,
            (f"{v:g} cm on the {leg}: below the cut-off ({cut}): restricted." if low else
             f"{v:g} cm on the {leg}: at or above the cut-off ({cut})."),
            numbers={"cm": v, "cutoff_cm": KTW_CUTOFF_CM}, error=error, grade=MODERATE,
            sources=["backman2011", "physiopedia_wblt", "practitioner_wblt", "powden2015", "lima2018"]))
    if left is not None and right is not None:
        diff = abs(left - right)
        lower = "left" if left < right else "right"
        beyond = diff > KTW_MDC_CM
        out.append(_finding(
            "knee_to_wall_difference", f"{title}, left/right difference", FAULT if beyond else OK,
            (f"The {lower} side is {diff:.1f} cm shorter: beyond the {KTW_MDC_CM} cm MDC, a real difference "
             "(left and right do not differ in the norms)." if beyond else
             f"Left and right differ by {diff:.1f} cm: within the {KTW_MDC_CM} cm MDC, no real difference."),
            numbers={"difference_cm": round(diff, 1), "lower_side": lower if beyond else None, "mdc_cm": KTW_MDC_CM},
            error=error, grade=MODERATE, sources=["powden2015", "wblt_norms"]))
    return out


def ankle_limited(ktw: list[dict[str, Any]], branch: str) -> bool | None:
    """Whether the ankle tests point to limited dorsiflexion: True (a knee-to-wall side below the cut-off or
    the heels-raised branch ``ankle``), False (both sides measured and fine, and the branch not ankle), None
    (not tested)."""
    sides = [f for f in ktw if f["id"] in ("knee_to_wall_left", "knee_to_wall_right")]
    if branch == "ankle" or any(f["status"] == FAULT for f in sides):
        return True
    if len(sides) == 2 and all(f["status"] == OK for f in sides):
        return False
    return None


def side_view(side: Mapping[str, Any] | None, ankle: bool | None) -> list[dict[str, Any]]:
    """Forward lean and heel rise from the side squat (step 2), each read together with the ankle findings."""
    ok, why = clips.usable(side)
    if not ok:
        return [_finding("side_view", "Forward lean and heel rise (side squat)", NOT_CONCLUDED,
                         f"The side squat {why}: forward lean and heel rise not judged.")]
    reps = clips.reps(side)
    if str(side.get("view")) != "side":
        return [_finding("side_view", "Forward lean and heel rise (side squat)", NOT_CONCLUDED,
                         f"The side squat was seen as a {side.get('view')} view: forward lean and heel rise need the "
                         "person turned 90 degrees to the camera.")]
    context = {True: " The ankle tests point to limited dorsiflexion, which fits (Macrum 2012, Dill 2014).",
               False: " The ankle tests were normal, so the ankle probably does not explain it.",
               None: " Ankle not tested: measure knee-to-wall to read this."}[ankle]
    out = []
    for fid, flag, metric_key, title, unit, convention in (
            ("forward_lean", "forward_lean", "trunk_tibia_divergence_deg", "Forward lean (side squat)",
             "deg trunk ahead of the shin", CONVENTION_LEAN),
            ("heel_rise", "heel_rise", "heel_rise", "Heels rising (side squat)", "shank lengths", None)):
        n = clips.flagged(reps, flag)
        value = clips.mean([clips.metric(r, metric_key) for r in reps])
        judged = sum(1 for r in reps if clips.metric(r, metric_key) is not None)
        numbers = {"reps": len(reps), "judged": judged, "flagged": n, "mean": clips.rounded(value, 2), "unit": unit}
        if judged == 0:
            out.append(_finding(fid, title, NOT_CONCLUDED, f"{title.split(' (')[0]} could not be measured in this "
                                "clip (keep the whole body, feet included, in frame).", numbers=numbers))
            continue
        status = _pattern_status(n, judged)
        text = (f"On {n} of {judged} reps." + (context if status != OK else "")) if n else \
            f"Not seen on any of the {judged} judged rep(s)."
        out.append(_finding(fid, title, status, text, numbers=numbers,
                            error="Landmark jitter: heel rise is moderately measurable from 2D video (corrective.md §5); "
                                  "forward lean is trunk minus shin angle.",
                            grade=MODERATE if status != OK else HEURISTIC,
                            sources=(["macrum2012", "dill2014"] + (["nasm_lean"] if fid == "forward_lean" else []))
                            if status != OK else [],
                            convention=convention if status != OK else None,
                            next_test=("Measure knee-to-wall per side." if ankle is None and status != OK else None)))
    return out


def shift_and_asymmetry(front: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Sideways shift of the hips and left/right asymmetry of the knees in the front squat, per side."""
    ok, why = clips.usable(front)
    if not ok:
        return [_finding("shift_asymmetry", "Sideways shift and left/right asymmetry", NOT_CONCLUDED,
                         f"The front squat {why}: shift and asymmetry not judged.")]
    reps = clips.reps(front)
    out = []
    n = clips.flagged(reps, "lateral_shift")
    dirs = clips.flag_direction(reps, "lateral_shift")
    judged = sum(1 for r in reps if clips.metric(r, "lateral_shift") is not None)
    toward = max(set(dirs), key=dirs.count) if dirs else None
    if judged == 0:
        out.append(_finding("lateral_shift", "Sideways shift (front squat)", NOT_CONCLUDED,
                            "Sideways shift could not be measured in this clip."))
    else:
        status = _pattern_status(n, judged)
        out.append(_finding(
            "lateral_shift", "Sideways shift (front squat)", status,
            f"Hips shifted to the {toward} on {n} of {judged} reps." if n else f"No sideways shift on {judged} reps.",
            numbers={"flagged": n, "judged": judged, "toward": toward,
                     "max": clips.rounded(max((clips.metric(r, "lateral_shift") or 0.0) for r in reps))},
            error="Flagged past 0.10 ankle widths (heuristic), measured across the person's own standing axis.",
            grade=WEAK if status != OK else HEURISTIC, sources=["issa_shift"] if status != OK else [],
            convention=CONVENTION_SHIFT if status != OK else None,
            next_test="Knee-to-wall per side and the single-leg squat per side." if status != OK else None))
    n = clips.flagged(reps, "asymmetry")
    judged = sum(1 for r in reps if clips.metric(r, "asymmetry_deg") is not None)
    worse = None
    fl = {leg: clips.foot_line(reps, leg) for leg in clips.LEGS}
    if fl["left"] and fl["right"]:
        worse = "left" if fl["left"]["value"] > fl["right"]["value"] else "right"
    if judged == 0:
        out.append(_finding("asymmetry", "Left/right asymmetry (front squat)", NOT_CONCLUDED,
                            "Left/right asymmetry could not be measured in this clip."))
    else:
        status = _pattern_status(n, judged)
        out.append(_finding(
            "asymmetry", "Left/right asymmetry (front squat)", status,
            (f"The knees differed by more than 9 deg on {n} of {judged} reps"
             + (f"; the {worse} knee sat further inside its foot line." if worse else ".")) if n
            else f"No left/right asymmetry beyond 9 deg on {judged} reps.",
            numbers={"flagged": n, "judged": judged, "worse_side": worse if n else None,
                     "mean_deg": clips.rounded(clips.mean([clips.metric(r, "asymmetry_deg") for r in reps]), 1)},
            error="9 deg: the smallest detectable difference of a 2D knee angle (Munro 2012).",
            grade=WEAK if status != OK else HEURISTIC, sources=["munro2012"],
            next_test="Single-leg squat per side; knee-to-wall per side." if status != OK else None))
    return out


def pain(answer: bool | None, where: str = "") -> dict[str, Any]:
    """Pain during the squat: any pain means "see a clinician" and no exercise plan (NASM CEx; corrective.md §1)."""
    title = "Pain during the squat"
    if answer is None:
        return _finding("pain", title, NOT_CONCLUDED, "Pain was not asked: ask before any exercise plan is used.")
    if answer:
        place = f" ({where.strip()})" if where and where.strip() else ""
        return _finding("pain", title, REFER, f"Pain reported{place}: see a clinician (a physiotherapist or a doctor) "
                        "before any corrective plan. No exercise plan is given.", numbers={"where": where.strip()},
                        grade=CONVENTION, sources=["nasm_cex"])
    return _finding("pain", title, OK, "No pain reported.")
