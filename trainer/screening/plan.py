"""A few corrective exercises chosen by the findings, each traceable to the finding and the source behind it.

The exercises live in ``trainer/data/corrective_exercises.json`` (purpose, dose, regression, progression,
evidence grade, sources). A finding raises a *need* (a tag such as ``ankle_branch``); each need is covered by
the first exercise in the file that targets it, then further matching exercises fill the plan up to
``MAX_ITEMS``. Pain means no plan at all (corrective.md §1: pain → referral, not a corrective plan).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Mapping, Sequence

from trainer.screening.sources import SOURCES, cite

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "corrective_exercises.json"
MAX_ITEMS = 4  # "a few": corrective.md §7 keeps a plan short enough to do 2-3 times a week [heuristic]
# Needs in the order they are served: the heels-raised branch first (Bell 2008/2013: choose the branch from the
# test, not from the squat alone), then the hand test, the single-leg squat, the side view, left/right.
NEED_ORDER = ("ankle_branch", "hip_control_branch", "combined", "knee_to_wall_low", "single_leg_poor", "heel_rise",
              "forward_lean", "knee_to_wall_difference", "asymmetry", "lateral_shift")
NEED_WORDS = {
    "ankle_branch": "the knees stopped caving with the heels raised (ankle branch)",
    "hip_control_branch": "the knees still caved with the heels raised (hip and trunk control branch)",
    "combined": "the knees caved but the heels-raised test gave no clear answer: a combined hip and ankle program",
    "knee_to_wall_low": "knee-to-wall below the cut-off",
    "single_leg_poor": "a poor single-leg squat",
    "heel_rise": "heels rising in the side squat",
    "forward_lean": "forward lean in the side squat",
    "knee_to_wall_difference": "a left/right knee-to-wall difference beyond its error",
    "asymmetry": "left/right knee asymmetry",
    "lateral_shift": "hips shifting sideways",
}


@functools.lru_cache(maxsize=1)
def load_exercises(path: Path = DATA_FILE) -> dict[str, Any]:
    """The exercise file, checked: every exercise has each field, a known grade and only known sources."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    required = ("id", "name", "purpose", "dose", "regression", "progression", "grade", "sources", "targets")
    for ex in data["exercises"]:
        missing = [k for k in required if not ex.get(k)]
        unknown = [s for s in ex.get("sources", []) if s not in SOURCES]
        if missing or unknown:
            raise ValueError(f"{path}: exercise {ex.get('id')!r} lacks {missing} or cites unknown sources {unknown}")
    return data


def needs(findings: Sequence[Mapping[str, Any]], branch: str) -> dict[str, list[str]]:
    """Which needs the findings raise, each with the ids of the findings that raised it."""
    by_id = {f["id"]: f for f in findings}
    out: dict[str, list[str]] = {}

    def add(need: str, fid: str) -> None:
        out.setdefault(need, [])
        if fid not in out[need]:
            out[need].append(fid)

    knees = by_id.get("knees_front", {}).get("status")
    if branch == "ankle":
        add("ankle_branch", "heel_lift")
    elif branch == "hip_control":
        add("hip_control_branch", "heel_lift")
    elif knees in ("fault", "possible"):
        add("combined", "knees_front")
    for leg in ("left", "right"):
        if by_id.get(f"knee_to_wall_{leg}", {}).get("status") == "fault":
            add("knee_to_wall_low", f"knee_to_wall_{leg}")
        if by_id.get(f"single_leg_{leg}", {}).get("status") == "fault":
            add("single_leg_poor", f"single_leg_{leg}")
    for fid, need in (("knee_to_wall_difference", "knee_to_wall_difference"), ("heel_rise", "heel_rise"),
                      ("forward_lean", "forward_lean"), ("asymmetry", "asymmetry"), ("lateral_shift", "lateral_shift")):
        if by_id.get(fid, {}).get("status") == "fault":
            add(need, fid)
    return out


def build_plan(findings: Sequence[Mapping[str, Any]], branch: str, *, referral: bool) -> dict[str, Any]:
    """The plan: ``{"items"[], "withheld", "needs"{}, "not_supported"[], "note"}``.

    Each item is an exercise of the data file plus ``for_findings`` (the finding ids that chose it),
    ``because`` (those needs in words) and ``sources`` (citations). ``withheld`` says why there is no plan
    (pain), else None.
    """
    data = load_exercises()
    not_supported = [{"text": n["text"], "sources": cite(n["sources"])} for n in data["not_supported"]]
    if referral:
        return {"items": [], "withheld": "Pain was reported: see a clinician first. No exercise plan is given.",
                "needs": {}, "not_supported": not_supported, "note": ""}
    wanted = needs(findings, branch)
    chosen: dict[str, set[str]] = {}
    ordered = [n for n in NEED_ORDER if n in wanted]

    def serve(need: str, first_only: bool) -> None:
        fits = [ex["id"] for ex in data["exercises"] if need in ex["targets"]]
        for ex_id in fits:  # an exercise already in the plan serves this need too
            if ex_id in chosen:
                chosen[ex_id].add(need)
        if first_only and any(ex_id in chosen for ex_id in fits):
            return
        for ex_id in fits:
            if ex_id not in chosen and len(chosen) < MAX_ITEMS:
                chosen[ex_id] = {need}
                if first_only:
                    return

    for need in ordered:  # each need its first exercise ...
        serve(need, first_only=True)
    for need in ordered:  # ... then more matching ones while the plan is short
        serve(need, first_only=False)
    items = []
    for ex in data["exercises"]:
        if ex["id"] not in chosen:
            continue
        served = [n for n in ordered if n in chosen[ex["id"]]]
        fids = [fid for n in served for fid in wanted[n]]
        items.append({**{k: ex[k] for k in ("id", "name", "purpose", "dose", "regression", "progression", "grade")},
                      "client_why": ex.get("client_why", ex["purpose"]), "client_how": ex.get("client_how", ex["dose"]),
                      "grade_note": ex.get("grade_note", ""), "needs": served,
                      "for_findings": list(dict.fromkeys(fids)),
                      "because": "; ".join(NEED_WORDS[n] for n in served), "sources": cite(ex["sources"])})
    note = ("" if items else "No corrective exercise is called for by this screening: keep training, re-test as "
            "planned.")
    return {"items": items, "withheld": None, "needs": wanted, "not_supported": not_supported, "note": note}
