"""The one table of squat faults and their wording, and the knee-valgus verdict helpers.

Every page, the video overlay, the live page's speech and the PDF report take a fault's words
from :data:`FAULTS`, so a fault (or a wording change) is added here once. Pure data and tiny pure
functions: no NumPy, no Streamlit, no MediaPipe, no I/O.

Knee valgus has four verdicts (``rep["valgus"]["verdict"]``, engine JSON):

* ``"clear"``: the knees clearly caved in. The rep also carries the ``knee_valgus`` flag: a fault,
  counted in ``summary["valgus_reps"]``, spoken on the live page.
* ``"possible"``: the measures disagree, or the margin is inside the measurement error. Not a
  flag, not counted as a fault, never spoken; shown apart as "possible — look at this rep"
  (legs in ``rep["valgus"]["possible_legs"]``).
* ``"none"``: no sign of valgus.
* ``"not_judged"``: the view or the person's size in the picture does not allow a knee verdict
  (the reason is in ``rep["not_judged"]``).

Older JSON (saved sessions, older batch outputs) has no verdict: :func:`valgus_verdict` reads it
as "clear" when the rep is flagged ``knee_valgus``, else "none" ("not_judged" when its
``not_judged`` says valgus was not judged).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

__all__ = [
    "CLEAR", "FAULTS", "FAULT_ORDER", "GOOD_REP_CUE", "MEASURES", "NONE", "NOT_JUDGED", "POSSIBLE",
    "POSSIBLE_EXPLANATION", "POSSIBLE_LABEL", "POSSIBLE_SCREEN", "POSSIBLE_SHORT", "SEVERITY_ORDER",
    "VALGUS_VERDICTS", "Fault", "cues_for", "decided_by", "decided_by_text", "fault", "label", "long_label",
    "possible_legs", "possible_text", "possible_valgus_reps", "spoken_cue", "valgus_judged", "valgus_verdict",
]

SEVERITY_ORDER = {"ok": 0, "minor": 1, "major": 2}


@dataclass(frozen=True)
class Fault:
    """One fault the engine can flag on a rep (``rep["flags"]`` holds its ``code``).

    Attributes:
        code: the engine's flag code, e.g. ``"heel_rise"``.
        label: short label, lower case, for table cells and lists ("heel rise"); the PDF report
            prints it capitalised ("Heel rise").
        long_label: the plain-words verdict on the video banner, the rep thumbnails and the live
            page ("Heels lifted"); knee valgus and hip shift get the side added there ("(left)").
        cue: the on-screen coaching sentence (``rep["cues"]``, see :func:`cues_for`); knee valgus
            and hip shift fill ``{which}``/``{where}``/``{tail}`` and ``{direction}``.
        spoken: the few words the live page says after a rep with this fault ("Heels down").
        metric: the ``not_judged`` / view key this fault is judged under ("valgus", "depth", ...).
        views: the camera views it is judged from (``vision.view.METRIC_VIEWS[metric]``).
    """

    code: str
    label: str
    long_label: str
    cue: str
    spoken: str
    metric: str
    views: tuple[str, ...]


# Most important first (valgus is what this tool is for): the order verdicts are listed in.
FAULTS: dict[str, Fault] = {f.code: f for f in (
    Fault("knee_valgus", "knee valgus", "Knees caved in",
          "{which} caved in {where}: push the knees out over your toes{tail}",
          "Knees out", "valgus", ("front",)),
    Fault("shallow", "shallow", "Not deep enough",
          "Go a little deeper: aim for the hip crease level with or below the top of the knee.",
          "Go deeper", "depth", ("side", "front", "oblique")),
    Fault("forward_lean", "forward lean", "Leaning forward",
          "Keep your chest up: your trunk leaned further forward than your shins.",
          "Chest up", "forward_lean", ("side",)),
    Fault("heel_rise", "heel rise", "Heels lifted",
          "Keep your heels down: shift your weight to mid-foot.",
          "Heels down", "heel_rise", ("side",)),
    Fault("lateral_shift", "hip shift", "Hips shifted",
          "Sit straight down: your hips drifted to your {direction}.",
          "Sit straight down", "lateral_shift", ("front",)),
    Fault("asymmetry", "asymmetry", "Knees uneven",
          "Your two knees moved differently: film again and check the weaker side.",
          "Even knees", "asymmetry", ("front",)),
)}
FAULT_ORDER = tuple(FAULTS)
GOOD_REP_CUE = "Good rep: nothing to correct from this camera angle."

# --- knee valgus verdicts ----------------------------------------------------------------------
CLEAR, POSSIBLE, NONE, NOT_JUDGED = "clear", "possible", "none", "not_judged"
VALGUS_VERDICTS = (CLEAR, POSSIBLE, NONE, NOT_JUDGED)

POSSIBLE_LABEL = "possible — look at this rep"          # headings, captions, the PDF legend
POSSIBLE_SHORT = "possible — look"                      # narrow cells (the rep table's Valgus columns)
POSSIBLE_SCREEN = "Knees: possible — look"              # the video banner, thumbnails, the live page
POSSIBLE_EXPLANATION = ("The measures disagree or the margin is within the measurement error; "
                        "not counted as a fault.")

# the measures that decide a valgus verdict (``rep["valgus"]["decided_by"]``)
MEASURES = {
    "foot_line": "knee vs the line over the foot",
    "both_feet": "both knees inside their foot lines, beyond each foot's error",
    "knee_shift": "knee shift vs the ankle, with the FPPA change",
    "kasr": "knee/ankle separation ratio",
    "within_set": "worse than the person's own best reps of the set",
    "fppa": "frontal-plane knee angle against single-leg norms",
}

_PHASES = {"ascent": "on the way up", "descent": "on the way down", "bottom": "at the bottom"}
_LEGS = ("left", "right")


# ------------------------------------------------------------------------------------------------
# Wording
# ------------------------------------------------------------------------------------------------


def fault(code: str) -> Fault | None:
    """The table entry for ``code``; None for a code this table does not know (a newer engine)."""
    return FAULTS.get(str(code))


def _unknown_words(code: Any) -> str:
    return str(code).replace("_", " ")


def label(code: str, *, capital: bool = False) -> str:
    """Short label: ``"heel rise"`` (``capital``: ``"Heel rise"``); unknown codes: underscores → spaces."""
    f = fault(code)
    text = f.label if f else _unknown_words(code)
    return text[:1].upper() + text[1:] if capital else text


def long_label(code: str) -> str:
    """Plain-words verdict: ``"Heels lifted"``; unknown codes: ``"Something new"``."""
    f = fault(code)
    return f.long_label if f else _unknown_words(code).capitalize()


def spoken_cue(code: str) -> str | None:
    """The live page's spoken words for ``code`` ("Knees out"); None for an unknown code (not spoken)."""
    f = fault(code)
    return f.spoken if f else None


def cues_for(flags: list[dict]) -> list[str]:
    """Plain-language coaching cues for a rep's ``flag_details``, most important first.

    Stable sort by severity (major first, the engine's order on ties); a rep without a fault gets
    :data:`GOOD_REP_CUE`. Unknown codes give no cue.
    """
    cues = []
    for f in sorted(flags, key=lambda f: -SEVERITY_ORDER[f["severity"]]):
        entry = fault(f["code"])
        if entry is None:
            continue
        if entry.code == "knee_valgus":
            legs = f.get("legs", [])
            which = "Both knees" if len(legs) == 2 else f"Your {legs[0]} knee" if legs else "Your knees"
            cues.append(entry.cue.format(which=which, where=_PHASES.get(f.get("phase") or "", ""),
                                         tail=" as you stand up." if f.get("phase") == "ascent" else "."))
        elif entry.code == "lateral_shift":
            cues.append(entry.cue.format(direction=f.get("direction", "side")))
        else:
            cues.append(entry.cue)
    if not cues:
        cues.append(GOOD_REP_CUE)
    return cues


# ------------------------------------------------------------------------------------------------
# Knee valgus verdict of a rep (new and old JSON alike)
# ------------------------------------------------------------------------------------------------


def _valgus(rep: Mapping) -> Mapping:
    v = rep.get("valgus") if isinstance(rep, Mapping) else None
    return v if isinstance(v, Mapping) else {}


def _flags(rep: Mapping) -> list[str]:
    return [str(f) for f in (rep.get("flags") or [])] if isinstance(rep, Mapping) else []


def valgus_verdict(rep: Mapping) -> str:
    """``"clear"`` / ``"possible"`` / ``"none"`` / ``"not_judged"`` for a rep dict.

    A rep flagged ``knee_valgus`` is "clear" whatever else it says (the flag is what is counted
    and spoken, so what is shown agrees with it). Otherwise the engine's ``valgus.verdict``; a rep
    without one (older JSON) is "not_judged" when ``not_judged`` names valgus, else "none".
    A "clear" verdict without the flag (inconsistent JSON) is shown as "none": never a fault
    that is not counted.
    """
    if "knee_valgus" in _flags(rep):
        return CLEAR
    verdict = _valgus(rep).get("verdict")
    if verdict in (POSSIBLE, NOT_JUDGED, NONE):
        return verdict
    if "valgus" in ((rep.get("not_judged") or {}) if isinstance(rep, Mapping) else {}):
        return NOT_JUDGED
    return NONE


def valgus_judged(rep: Mapping) -> bool:
    """Whether the rep got a knee verdict at all (not "not_judged", and no ``not_judged["valgus"]``)."""
    nj = (rep.get("not_judged") or {}) if isinstance(rep, Mapping) else {}
    return valgus_verdict(rep) != NOT_JUDGED and "valgus" not in nj


def possible_legs(rep: Mapping) -> list[str]:
    """The legs of a "possible" verdict (``["left"]``, ``["left", "right"]``); ``[]`` otherwise
    (also for a possible verdict that names no leg)."""
    if valgus_verdict(rep) != POSSIBLE:
        return []
    legs = _valgus(rep).get("possible_legs") or []
    return [leg for leg in _LEGS if leg in legs]


def possible_text(rep: Mapping) -> str | None:
    """The on-screen words for a "possible" verdict: ``"Knees: possible (left) — look"`` (both legs or
    none named: ``"Knees: possible — look"``); None for any other verdict."""
    if valgus_verdict(rep) != POSSIBLE:
        return None
    legs = possible_legs(rep)
    if len(legs) == 1:
        return POSSIBLE_SCREEN.replace("possible", f"possible ({legs[0]})", 1)
    return POSSIBLE_SCREEN


def decided_by(rep: Mapping) -> list[str]:
    """The measure names that decided the rep's valgus verdict (``[]`` in older JSON)."""
    return [str(m) for m in (_valgus(rep).get("decided_by") or [])]


def decided_by_text(rep: Mapping) -> str:
    """``"knee vs the line over the foot; knee/ankle separation ratio"``; ``""`` when not given."""
    return "; ".join(MEASURES.get(m, m.replace("_", " ")) for m in decided_by(rep))


def possible_valgus_reps(result: Mapping) -> int:
    """Reps with a "possible" valgus verdict: ``summary["possible_valgus_reps"]`` when the engine gave
    it, else counted from ``reps`` (0 for older JSON, which has no possible verdicts)."""
    n = (result.get("summary") or {}).get("possible_valgus_reps")
    if isinstance(n, (int, float)) and not isinstance(n, bool) and n == n:
        return int(n)
    return sum(valgus_verdict(r) == POSSIBLE for r in _reps(result.get("reps")))


def _reps(reps: Iterable | None) -> list[Mapping]:
    return [r for r in (reps or []) if isinstance(r, Mapping)]
