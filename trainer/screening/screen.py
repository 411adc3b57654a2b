"""A whole screening from its steps' analyses and the trainer's hand entries: findings, branch, plan, re-test.

:func:`build_screening` is the one entry point a page or the command line calls. It takes the engine's
result dicts (``vision.analysis.analyze_video(...).result``, one per protocol step, ``None`` for a
skipped step) and the hand entries, and returns one plain JSON-able dict. Pure: no I/O, no clock unless
``screened_on`` is left out.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Mapping

from trainer.screening import clips, findings as fx, protocol
from trainer.screening.heel_lift import ANKLE, HIP_CONTROL, NOT_NEEDED, heel_lift_test
from trainer.screening.plan import build_plan
from trainer.screening.single_leg import FAIR, GOOD, POOR, rate_single_leg
from trainer.screening.sources import cite

FORMAT, FORMAT_VERSION = "squatcheck-screening", 1
DISCLAIMER = ("Screening aid, not a diagnosis. It describes how the squat moved on the day, within the error of "
              "2D video and hand measures; knee caving does not predict one person's injury. Any pain: see a "
              "clinician. The muscle lists are a certification's convention, not findings.")


def _step_summary(step: protocol.Step, analysis: Mapping[str, Any] | None, skipped_why: str | None) -> dict:
    out: dict[str, Any] = {"id": step.id, "title": step.title, "expected_view": step.camera}
    if analysis is None:
        return {**out, "status": "skipped", "why": skipped_why or "skipped"}
    ok, why = clips.usable(analysis)
    s = analysis.get("summary") or {}
    out.update(file=(analysis.get("source") or {}).get("file"), view=analysis.get("view"),
               rep_count=s.get("rep_count", len(clips.reps(analysis))), summary=dict(s),
               problems=[dict(p) for p in analysis.get("problems") or []],
               engine_version=(analysis.get("engine") or {}).get("version"))
    if not ok:
        return {**out, "status": "unusable", "why": why}
    if step.camera == "front" and analysis.get("view") not in ("front", None):
        out["why"] = (f"seen as a {analysis.get('view')} view, not from the front: the knees are judged only "
                      "approximately or not at all")
    return {**out, "status": "analysed"}


def _heel_lift_finding(branch: Mapping[str, Any]) -> dict[str, Any]:
    status = {ANKLE: fx.FAULT, HIP_CONTROL: fx.FAULT, NOT_NEEDED: fx.OK}.get(branch["branch"], fx.NOT_CONCLUDED)
    return {"id": "heel_lift", "title": f"Heels-raised squat vs flat: {branch['title']}", "status": status,
            "observation": " ".join(branch["reasons"]), "numbers": {"measures": branch.get("measures", []),
                                                                     "depth": branch.get("depth")},
            "error": "each measure against its clip-to-clip error (see numbers)", "grade": branch["grade"],
            "sources": branch["sources"], "convention": None, "next": None}


def _single_leg_finding(rating: Mapping[str, Any]) -> dict[str, Any]:
    leg = rating["leg"]
    status = {GOOD: fx.OK, FAIR: fx.POSSIBLE, POOR: fx.FAULT}.get(rating["rating"], fx.NOT_CONCLUDED)
    title = f"Single-leg squat, {leg}: {rating['rating'] or 'not rated'}"
    return {"id": f"single_leg_{leg}", "title": title, "status": status, "observation": " ".join(rating["reasons"]),
            "numbers": {k: rating.get(k) for k in ("reps", "fppa_mean_deg", "fppa_norm_deg")}
                       | {"criteria": rating["criteria"]},
            "error": "Raters agree with an expert panel 73-87 % (kappa 0.60-0.80); FPPA's SDD is 7.5-8.9 deg",
            "grade": rating["grade"], "sources": rating["sources"], "convention": None, "next": None}


def _measurements(front: Mapping | None, side: Mapping | None, ktw: tuple | None,
                  single: Mapping[str, Mapping]) -> dict[str, Any]:
    """The numbers a re-test compares (trainer.screening.retest.MEASURES), each ``{"value", ...}``."""
    m: dict[str, Any] = {}
    if ktw is not None:
        for leg, v in zip(("left", "right"), ktw):
            if v is not None:
                m[f"knee_to_wall_{leg}_cm"] = {"value": v}
    if clips.usable(front)[0]:
        reps = clips.reps(front)
        for leg in clips.LEGS:
            fl = clips.foot_line(reps, leg)
            if fl:
                m[f"front_foot_line_{leg}"] = {"value": clips.rounded(fl["value"], 3), "band": clips.rounded(fl["band"], 3)}
        kasr = clips.mean([clips.metric(r, "kasr_min") for r in reps])
        if kasr is not None:
            m["front_kasr_mean"] = {"value": clips.rounded(kasr, 3)}
        p = clips.knee_pattern(reps)
        if p["judged"]:
            m["front_clear_reps"] = {"clear": p["clear"], "judged": p["judged"]}
    if clips.usable(side)[0] and (side or {}).get("view") == "side":
        reps = clips.reps(side)
        for key, metric in (("side_forward_lean_deg", "trunk_tibia_divergence_deg"), ("side_heel_rise", "heel_rise")):
            v = clips.mean([clips.metric(r, metric) for r in reps])
            if v is not None:
                m[key] = {"value": clips.rounded(v, 3)}
    for leg, rating in single.items():
        if rating.get("rating") and rating.get("fppa_mean_deg") is not None:
            m[f"single_leg_fppa_{leg}_deg"] = {"value": rating["fppa_mean_deg"]}
    return m


def _knee_to_wall(value: Any) -> tuple[float | None, float | None] | None:
    """(left, right) in cm from a pair or None; raises ValueError for an implausible entry."""
    if value is None:
        return None
    left, right = value
    out = []
    for leg, v in (("left", left), ("right", right)):
        if v is None:
            out.append(None)
            continue
        v = float(v)
        lo, hi = fx.KTW_PLAUSIBLE_CM
        if not lo <= v <= hi:
            raise ValueError(f"knee-to-wall {leg} {v:g} cm is outside {lo:g}-{hi:g} cm: check the entry")
        out.append(v)
    return out[0], out[1]


def build_screening(analyses: Mapping[str, Mapping[str, Any] | None], *,
                    knee_to_wall_cm: tuple[float | None, float | None] | None = None,
                    pain: bool | None = None, pain_where: str = "", screened_on: date | None = None,
                    retest_weeks: int = protocol.RETEST_WEEKS, files: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The whole screening as a plain JSON-able dict.

    ``analyses``: step id (``trainer.screening.protocol.STEP_IDS``: front, side, heels_raised, single_leg_left,
    single_leg_right) -> the engine's result dict, or None / missing for a skipped step.
    ``knee_to_wall_cm``: (left, right) in cm, either may be None; ``pain``: True / False / None (not asked);
    ``pain_where``: free text. ``screened_on``: the date (default today); the re-test is ``retest_weeks`` later.
    ``files``: step id -> the clip's name, for the report (default: the name in the result's ``source``).

    Keys of the result: format, format_version, disclaimer, screened_on, retest_on, protocol, steps[],
    hand_entries, findings[], branch, single_leg{left,right}, referral, plan, not_concluded[], measurements,
    sources[]. Raises ValueError for an unknown step id or an implausible knee-to-wall entry.
    """
    unknown = set(analyses) - set(protocol.STEP_IDS)
    if unknown:
        raise ValueError(f"unknown screening step(s) {sorted(unknown)}; steps are {list(protocol.STEP_IDS)}")
    get = {sid: analyses.get(sid) for sid in protocol.STEP_IDS}
    ktw = _knee_to_wall(knee_to_wall_cm)
    screened_on = screened_on or date.today()

    branch = heel_lift_test(get[protocol.FRONT], get[protocol.HEELS_RAISED])
    single = {leg: rate_single_leg(get[sid], leg) for leg, sid in
              (("left", protocol.SINGLE_LEG_LEFT), ("right", protocol.SINGLE_LEG_RIGHT))}
    ktw_findings = fx.knee_to_wall(ktw)
    ankle = fx.ankle_limited(ktw_findings, branch["branch"])
    pain_finding = fx.pain(pain, pain_where)
    found = [fx.front_knees(get[protocol.FRONT]), _heel_lift_finding(branch), *ktw_findings,
             *fx.side_view(get[protocol.SIDE], ankle), *fx.shift_and_asymmetry(get[protocol.FRONT]),
             _single_leg_finding(single["left"]), _single_leg_finding(single["right"]), pain_finding]
    refer = pain_finding["status"] == fx.REFER
    plan = build_plan(found, branch["branch"], referral=refer)

    heels_not_needed = branch["branch"] == NOT_NEEDED and get[protocol.HEELS_RAISED] is None
    steps = []
    for step in protocol.STEPS:
        why = ("not needed: the knees did not cave in in step 1" if step.id == protocol.HEELS_RAISED and heels_not_needed
               else None)
        summary = _step_summary(step, get[step.id], why)
        if files and files.get(step.id):
            summary["file"] = files[step.id]
        steps.append(summary)
    not_concluded = [{"finding": f["id"], "title": f["title"], "why": f["observation"]}
                     for f in found if f["status"] == fx.NOT_CONCLUDED]
    cited = {s["id"] for f in found for s in f["sources"]} | {s["id"] for i in plan["items"] for s in i["sources"]} \
        | {s["id"] for n in plan["not_supported"] for s in n["sources"]}
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION, "disclaimer": DISCLAIMER,
        "screened_on": screened_on.isoformat(),
        "retest_on": (screened_on + timedelta(weeks=retest_weeks)).isoformat(),
        "protocol": protocol.describe_protocol(),
        "steps": steps,
        "hand_entries": {"knee_to_wall_cm": {"left": ktw[0], "right": ktw[1]} if ktw else None,
                         "pain": pain, "pain_where": (pain_where or "").strip()},
        "findings": found,
        "branch": branch,
        "single_leg": single,
        "referral": {"refer": refer, "text": pain_finding["observation"] if refer else ""},
        "plan": plan,
        "not_concluded": not_concluded,
        "measurements": _measurements(get[protocol.FRONT], get[protocol.SIDE], ktw, single),
        "sources": cite(sorted(cited)),
    }
