"""Knee valgus (knees caving in) for one rep, from a front or rear view.

The measures, each where it works:
- **knee vs foot line** (``knee_toe``, per leg, primary when the feet are seen from the front): a
  knee that tracks well moves the way its foot points. From its forward travel (the shank's
  foreshortening) and its own foot's turn-out (the toe's sideways offset from the ankle) the
  knee's expected sideways travel from standing is known; ``knee_toe`` is how
  far the knee stays inside that line, in foot lengths. This catches the common case the
  ankle-based measures miss: deep squats with the feet turned out, where caving knees still sit
  wider than the ankles.
- **knee shift** relative to the ankle, from standing, in hip widths (per leg), corroborated by
  the **FPPA** change from standing (Holden 2017: ≥ 10.6°) on frames where the thigh is not
  foreshortened: narrow, straight-foot stances; also the fallback when the feet are not seen.
- **KASR** (knee/ankle separation) against 0.80 and a 20 % drop from standing: both knees.

The verdict: measure → rule → report. Each measure is read over the bent phase
(``RepFrames.bent``: the loaded half of the rep and anything half way to parallel), sustained for
``sustain``, and gives evidence: **clear** (past its threshold by more than its own error on this
clip), **possible** (past it, within that error) or **none**. The foot line's error band: two
standard deviations of one toe point's measured turn-out error (2 × 9°), the foot's length
between people (10 % longer), and the camera's look-down angle read from this clip's toes (a
camera looking down over-reads the knee's forward travel, so its expected outward travel). The knee shift is clear only with the
FPPA change agreeing and, where the feet are seen, the foot line passing too (a camera
turned off the front makes a knee's forward travel look sideways); KASR only when the knees are
both narrow and narrowed during the rep. A knee's verdict is ``clear`` when one measure
is clear or two independent ones pass, ``possible`` when only one passes: the cues disagree or
the margin is inside the error. Only ``clear`` raises the ``knee_valgus`` flag, its cue and the
spoken "Knees out"; ``possible`` is shown as "look at this rep" and never counted as a fault.
On a single-leg squat only the standing leg is judged: FPPA against single-leg norms (Herrington
& Munro 2010) where valid, corroborated by its foot line, or the foot line alone. Off the front (an
oblique view) only the foot-line measures are weighed (``judge_valgus(view="oblique")``, :data:`FOOT_LINE_MEASURES`):
the knee shift, FPPA and KASR read a turned camera's view of a knee's forward travel as caving.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from vision import geometry as g
from vision.movement import standing_leg
from vision.rep_frames import LEGS, Finding, RepFrames, rounded, sustained_max, sustained_min
from vision.thresholds import Thresholds


WHY_FEET = ("The feet (toes) were not clearly visible, so the knees were judged against the ankles only: with the "
            "feet turned out, knees that stay over the ankles but inside the toes are not seen that way. Film with "
            "the feet in frame and in clear view.")
WHY_FEET_BEHIND = ("Filmed from behind, the toes are hidden behind the heels, so the knees were judged against "
                   "the ankles only. Film from the front to judge the knees against the toes.")
WHY_FPPA = "n/a (thigh foreshortened): FPPA has no meaning while the thigh points at the camera."
WHY_OFF_FRONT = ("Filmed at an angle, so each knee was judged against its own toes only: the knee's shift against the "
                 "ankle, FPPA and the knees' separation read a knee moving forward as moving sideways from an angle.")


def toe_offset(rf: RepFrames, k: int, th: Thresholds) -> float:
    """Leg ``k``'s toe offset sideways from its ankle over the rep (standing shank lengths, + = turned
    out), NaN when the foot is not seen well enough.

    The foot is planted through a squat, so its direction is one robust value per rep: the median
    over the frames where ankle and toe are clearly seen. Not from behind: the toes are hidden
    behind the heels there, and MediaPipe's guesses for them (still reported as visible) were 27°
    apart for the two feet of one stance.
    """
    sig = rf.sig
    if not facing_camera(rf):
        return float("nan")
    seen = rf.idx[sig.foot_visibility[rf.idx, k] >= th.foot_min_visibility.value]
    toe = sig.toe_lateral[seen, k]
    toe = toe[np.isfinite(toe)]
    if len(toe) < th.foot_min_seen.value * len(rf.idx) or len(toe) < 3:
        return float("nan")
    median = float(np.median(toe))
    return median if np.median(np.abs(toe - median)) <= th.foot_max_spread.value else float("nan")


def feet_yaw_deg(rf: RepFrames, th: Thresholds) -> float:
    """How far the camera is turned from the way the feet point, degrees (NaN unless both feet are
    seen): half the difference of the two feet's turn-outs as the picture shows them.

    A camera turned ψ off the front shows one foot turned out ψ more than it is and the other ψ
    less; a person's two feet turn out about alike, so half the difference is the camera's turn
    (the shared front clips read 0-10°, their oblique clips 23-50°), with each toe point's own error
    (``turn_out_error_one_foot``) divided by √2. Read from the planted feet, it does not grow with
    the trunk's lean, as the head's sideways offset does. On synthetic skeletons: within 2° from a
    level camera; over by up to 5° from one looking down 25° (the toe's offset is read against the
    standing shank, which looking down foreshortens); 2.5-3° short where a foot's turn-out and the
    camera's turn add past the 65° a foot's reading is clipped to.
    """
    offsets = [toe_offset(rf, k, th) for k in range(2)]
    if not all(np.isfinite(offsets)):
        return float("nan")
    left, right = np.degrees(np.arctan(g.foot_turn_out_tan(np.asarray(offsets), th.foot_to_shank.value)))
    return float(abs(left - right) / 2)


def facing_camera(rf: RepFrames) -> bool:
    """The person faces the camera for most of the rep (False when filmed from behind)."""
    return bool(np.mean(rf.sig.facing_camera[rf.idx]) >= 0.5)


def why_no_foot_line(rf: RepFrames) -> str:
    """Why a knee was not judged against its toes: filmed from behind, or the foot not seen."""
    return WHY_FEET if facing_camera(rf) else WHY_FEET_BEHIND


# --------------------------------------------------------------------------------------------------
# Measure: per-leg arrays over the rep's bent frames
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FootLine:
    """Leg ``k``'s knee against the line over its foot, per bent frame, in foot lengths (+ = inside).

    ``inside`` is the reported ``knee_toe`` (a level camera, the foot's estimated turn-out);
    ``inside_low`` the low end of its error band: the same with the turn-out ``turn_out_error_deg``
    smaller and the foot 10 % longer than average, under both a level camera and the look-down angle
    read from the feet (the forward travel, and so the knee's expected outward travel, is over-read
    when the camera looks down). ``inside_low_1sd`` is the same low end with the turn-out smaller
    by one standard deviation only, for the rule that reads both knees together.
    """

    inside: np.ndarray
    inside_low: np.ndarray
    inside_low_1sd: np.ndarray
    turn_out_deg: float
    turn_out_error_deg: float
    elevation_deg: float


def foot_line(rf: RepFrames, k: int, th: Thresholds, toe_lateral: float, tan_tau: float) -> FootLine | None:
    """Leg ``k``'s knee against its foot line (see :class:`FootLine`) for the foot's toe offset
    ``toe_lateral`` (see :func:`toe_offset`) and the camera's look-down ``tan_tau``; None when the
    offset is NaN (the foot not seen well enough)."""
    if not np.isfinite(toe_lateral):
        return None
    sig = rf.sig
    foot = th.foot_to_shank.value
    tan_phi = g.foot_turn_out_tan(toe_lateral, foot)
    lateral = sig.knee_lateral[rf.bent, k]
    travel = lateral - rf.baseline(sig.knee_lateral[:, k])
    inside = g.knee_inside_foot_line(travel, sig.knee_forward[rf.bent, k], tan_phi, foot)
    # the low end: a foot 10 % longer than the average person's (a smaller turn-out for the same toe
    # offset), turned out ``phi_error_deg`` less, under a level camera and the look-down angle read
    # from the toes
    long_foot = foot * (1.0 + th.foot_to_shank_spread.value)
    cos_tau = 1.0 / np.sqrt(1.0 + tan_tau ** 2)
    forward_pitched = g.shank_forward(lateral, sig.shank_vertical[rf.bent, k], tan_tau)

    def low_end(phi_error_deg: float) -> np.ndarray:
        phi_low = np.arctan(g.foot_turn_out_tan(toe_lateral, long_foot)) - np.radians(phi_error_deg)
        tan_low = np.tan(max(phi_low, np.radians(g.MIN_FOOT_TURN_OUT_DEG)))
        return np.fmin(g.knee_inside_foot_line(travel, sig.knee_forward[rf.bent, k], tan_low, long_foot),
                       g.knee_inside_foot_line(travel * cos_tau, forward_pitched, tan_low, long_foot))

    sd = th.turn_out_error_one_foot.value
    phi_error = th.error_band_sigmas.value * sd
    return FootLine(inside, low_end(phi_error), low_end(th.bilateral_band_sigmas.value * sd),
                    float(np.degrees(np.arctan(tan_phi))), phi_error, float(np.degrees(np.arctan(tan_tau))))


def fppa_valid(rf: RepFrames, k: int, th: Thresholds) -> np.ndarray:
    """(bent,) bool: frames where leg ``k``'s thigh is long enough in the image for FPPA to mean something."""
    return rf.sig.thigh_ratio[rf.bent, k] >= th.fppa_min_thigh.value


def knee_shift(rf: RepFrames, k: int) -> np.ndarray:
    """(bent,) leg ``k``'s knee shift towards the midline against its ankle, from standing (hip widths)."""
    return rf.sig.knee_medial[rf.bent, k] - rf.baseline(rf.sig.knee_medial[:, k])


def fppa_change(rf: RepFrames, k: int, th: Thresholds) -> np.ndarray:
    """(bent,) leg ``k``'s FPPA change from standing (deg), NaN where the thigh is foreshortened."""
    sig = rf.sig
    return np.where(fppa_valid(rf, k, th), sig.fppa[rf.bent, k] - rf.baseline(sig.fppa[:, k]), np.nan)


# --------------------------------------------------------------------------------------------------
# Rules: pure functions of numbers and thresholds. Each measure gives "clear" (past its threshold by
# more than its own error), "possible" (past it, within the error) or "none"; the verdict needs one
# clear measure or two that agree.
# --------------------------------------------------------------------------------------------------

CLEAR, POSSIBLE, NONE = "clear", "possible", "none"
_RANK = {NONE: 0, POSSIBLE: 1, CLEAR: 2}
# The measures that follow each knee along its own foot as the camera sees it, so they hold with the
# camera turned off the front; the knee shift, FPPA and KASR read a knee's forward travel as sideways there.
FOOT_LINE_MEASURES = ("foot_line", "both_feet", "within_set")


def foot_line_evidence(inside: float, inside_low: float, threshold: float) -> str:
    """The knee's sustained distance inside its foot line (and the low end of its error band)
    against ``threshold`` (foot lengths)."""
    if not np.isfinite(inside) or inside < threshold:
        return NONE
    return CLEAR if np.isfinite(inside_low) and inside_low >= threshold else POSSIBLE


def both_feet_evidence(inside_low_1sd: Sequence[float], threshold: float) -> str:
    """Both knees inside their own foot lines, each past ``threshold`` by one standard deviation of
    its own foot's turn-out error (``FootLine.inside_low_1sd``, one value per leg): clear together.
    Each foot's turn-out is read from its own toe point, so their errors are independent and both
    wrong at once is as rare as one past two SD; a knee alone that far in is only possible. Needs
    both feet seen."""
    lows = np.asarray(inside_low_1sd, float)
    if lows.shape != (2,) or not np.all(np.isfinite(lows)):
        return NONE
    return CLEAR if np.all(lows >= threshold) else NONE




def knee_shift_evidence(shift: float, fppa_change_deg: float, shift_threshold: float, fppa_threshold: float,
                        foot_inside: float = float("nan"), foot_threshold: float = float("nan"),
                        agreement: float = Thresholds().knee_shift_foot_agreement.value) -> str:
    """The knee's shift towards the midline against its ankle, corroborated by the FPPA change
    where the thigh is seen: both past their thresholds is clear; the shift alone (FPPA n/a, a
    foreshortened thigh) is possible; an FPPA that was measured and stayed small vetoes it.

    Both are 2D readings of one sideways movement, and a camera turned 20° off the front turns a
    knee's forward travel into a sideways one that both read as caving (synthetic good squats:
    knee shift and FPPA past their thresholds on one knee). Where the feet are seen, the foot
    line knows where the knee travels: unless it agrees (``foot_inside`` ≥
    ``agreement`` × ``foot_threshold``, ``knee_shift_foot_agreement``) the shift is possible at most."""
    if not np.isfinite(shift) or shift < shift_threshold:
        return NONE
    if not np.isfinite(fppa_change_deg):
        return POSSIBLE
    if fppa_change_deg < fppa_threshold:
        return NONE
    contradicted = np.isfinite(foot_inside) and foot_inside < agreement * foot_threshold
    return POSSIBLE if contradicted else CLEAR


def kasr_evidence(kasr_min: float, kasr_drop: float, min_threshold: float, drop_threshold: float) -> str:
    """Knee/ankle separation: the knees narrower than ``min_threshold`` × the ankles, or closer by
    more than ``drop_threshold`` than when standing. Both at once (narrow, and narrowed during
    this rep, not a stance held while standing) is clear; either alone is possible."""
    narrow = np.isfinite(kasr_min) and kasr_min < min_threshold
    narrowed = np.isfinite(kasr_drop) and kasr_drop > drop_threshold
    return CLEAR if narrow and narrowed else POSSIBLE if narrow or narrowed else NONE




def within_set_evidence(value: float, depth: float, earlier_values: np.ndarray, earlier_depths: np.ndarray,
                        threshold: float, min_reps: float = Thresholds().within_set_min_reps.value,
                        depth_match: float = Thresholds().within_set_depth_match.value) -> str:
    """This rep's knee against the person's own best earlier reps of the same set, at matched depth.

    Camera, stance and landmark biases are shared by every rep of one clip, so they cancel here:
    ``value`` (the knee's sustained distance inside its foot line, foot lengths, read at the low end
    of its band: with the camera's look-down angle, which scales with depth) passes when it is
    worse than the better half of the matched earlier reps (their 25th percentile) by at least
    ``threshold`` and by three times their rep-to-rep spread (1.4826 × MAD). Possible at most: it is
    one cue, for :func:`combine` to weigh with the others. Earlier reps only, so a live set and the
    same set judged after STOP agree.
    """
    earlier_values, earlier_depths = np.asarray(earlier_values, float), np.asarray(earlier_depths, float)
    if not (np.isfinite(value) and np.isfinite(depth) and depth > 0):
        return NONE
    matched = earlier_values[np.isfinite(earlier_values) & (np.abs(earlier_depths - depth) <= depth_match * depth)]
    if len(matched) < min_reps:
        return NONE
    best = float(np.percentile(matched, 25))
    spread = 1.4826 * float(np.median(np.abs(matched - np.median(matched))))
    return POSSIBLE if value - best >= max(threshold, 3.0 * spread) else NONE


def combine(evidence: dict[str, str]) -> tuple[str, list[str]]:
    """One knee's verdict from its measures' evidence: clear when one measure is clear or two
    independent ones pass; possible when one passes; the measures that decided it."""
    passing = [name for name, e in evidence.items() if e != NONE]
    if any(e == CLEAR for e in evidence.values()) or len(passing) >= 2:
        return CLEAR, passing
    return (POSSIBLE, passing) if passing else (NONE, [])


def rep_verdict(legs: dict[str, tuple[str, list[str]]]) -> tuple[str, list[str], list[str]]:
    """The rep's verdict from each knee's: the worse knee decides. -> (verdict, legs at that
    verdict, the measures that decided it)."""
    verdict = max((v for v, _ in legs.values()), key=_RANK.__getitem__, default=NONE)
    if verdict == NONE:
        return NONE, [], []
    at = [name for name, (v, _) in legs.items() if v == verdict]
    decided = sorted({m for name in at for m in legs[name][1]})
    return verdict, at, decided


def _num(x) -> float:
    return float("nan") if x is None else float(x)


def within_set_cue(t_low: float, depth: float, leg: str, earlier: Sequence[dict], th: Thresholds,
                   view: str = "front") -> str:
    """:func:`within_set_evidence` for knee ``leg`` against the set's earlier squats seen from the same
    ``view`` (front, or oblique: a knee against its own foot as the camera sees it, whose biases the
    same camera and stance share too), read at the low end of the foot line's band (with the camera's
    look-down angle, whose over-read of forward travel grows with each rep's depth and so would not
    cancel between reps)."""
    same = [r for r in earlier if r.get("stance") == "double_leg" and r.get("view") == view]
    return within_set_evidence(t_low, depth, np.array([_num(r["metrics"].get(f"knee_toe_low_{leg}")) for r in same]),
                               np.array([_num(r["metrics"].get("squat_depth")) for r in same]),
                               th.knee_toe_inside.value,
                               th.within_set_min_reps.value, th.within_set_depth_match.value)


def severity(metrics: dict, kasr_min: float, th: Thresholds) -> str:
    """``major`` when a clear caving is far past a threshold (KASR 0.15 under it, FPPA change at the
    single-leg 'high' level, knee shift or foot line twice theirs), else ``minor``."""
    values = lambda key: [metrics[f"{key}_{leg}"] for leg in LEGS if metrics.get(f"{key}_{leg}") is not None]  # noqa: E731
    major = (kasr_min < th.kasr_min.value - 0.15) \
        or any(d >= th.fppa_single_leg_high.value for d in [metrics[f"fppa_disp_{leg}_deg"] for leg in LEGS
                                                           if metrics.get(f"fppa_disp_{leg}_deg") is not None]) \
        or any(v >= 2 * th.knee_medial_shift.value for v in values("knee_shift")) \
        or any(v >= 2 * th.knee_toe_inside.value for v in values("knee_toe"))
    return "major" if major else "minor"


# --------------------------------------------------------------------------------------------------
# Judges: measure → rule → report
# --------------------------------------------------------------------------------------------------

def judge_valgus(rf: RepFrames, th: Thresholds, earlier: Sequence[dict] = (), view: str = "front"
                 ) -> tuple[Finding, dict]:
    """Both legs of a bilateral squat. Returns the finding and the rep's ``valgus`` object.

    ``earlier``: the set's reps judged before this one (rep JSON objects), for the within-set cue,
    which compares with those of the same ``view``. ``view`` "oblique" (the camera turned off the
    front): only the measures that hold there (:data:`FOOT_LINE_MEASURES`) are weighed; the others
    are still reported in the metrics.
    """
    off_front = view != "front"
    sig, n = rf.sig, rf.n_sustain
    out = Finding()
    m = out.metrics
    kasr_stand = rf.baseline(sig.kasr)
    kasr_min = sustained_min(sig.kasr[rf.bent], n)
    kasr_drop = 1.0 - kasr_min / kasr_stand if kasr_stand > 0 else float("nan")
    m.update(kasr_standing=rounded(kasr_stand), kasr_min=rounded(kasr_min), kasr_drop=rounded(kasr_drop),
             khr_min=rounded(sustained_min(sig.khr[rf.bent], n)))
    kasr = kasr_evidence(kasr_min, kasr_drop, th.kasr_min.value, th.kasr_drop.value)
    # each knee against its own foot: a camera turned off the front turns both feet the same way in
    # the picture (one looks turned out more, the other less), and the knee travels the way its own
    # foot points there; averaging the two feet put both knees off their lines by the camera's yaw
    toes = tuple(toe_offset(rf, k, th) for k in range(2))
    tan_tau = rf.look_down_tan
    m["camera_elevation_deg"] = rounded(np.degrees(np.arctan(tan_tau)), 1)
    series, evidence, score, t_low_1sd = {}, {}, {}, {}
    for k, name in enumerate(LEGS):
        shift, disp = knee_shift(rf, k), fppa_change(rf, k, th)
        line = foot_line(rf, k, th, toes[k], tan_tau)
        s_max, d_max = sustained_max(shift, n), sustained_max(disp, n)
        t_max = sustained_max(line.inside, n) if line else float("nan")
        t_low = sustained_max(line.inside_low, n) if line else float("nan")
        t_low_1sd[name] = sustained_max(line.inside_low_1sd, n) if line else float("nan")
        _report_fppa(rf, k, fppa_valid(rf, k, th), out, disp)
        m[f"knee_shift_{name}"] = rounded(s_max)
        m[f"knee_toe_{name}"] = rounded(t_max)
        m[f"knee_toe_low_{name}"] = rounded(t_low)
        m[f"foot_turn_out_{name}_deg"] = rounded(line.turn_out_deg if line else float("nan"), 1)
        m[f"foot_turn_out_error_{name}_deg"] = rounded(line.turn_out_error_deg if line else float("nan"), 1)
        if line is None:
            out.not_judged[f"knee_toe_{name}"] = why_no_foot_line(rf)
        evidence[name] = {"foot_line": foot_line_evidence(t_max, t_low, th.knee_toe_inside.value),
                          "knee_shift": knee_shift_evidence(s_max, d_max, th.knee_medial_shift.value,
                                                            th.fppa_displacement.value, t_max, th.knee_toe_inside.value,
                                                            th.knee_shift_foot_agreement.value)}
        set_cue = within_set_cue(t_low, rf.win.peak_depth, name, earlier, th, view)
        if set_cue != NONE:
            evidence[name]["within_set"] = set_cue
        by_foot = evidence[name]["foot_line"] != NONE
        series[name] = line.inside if by_foot and line is not None else shift   # where this knee was furthest in
        score[name] = t_max if by_foot else s_max
    both_feet = both_feet_evidence([t_low_1sd[name] for name in LEGS], th.knee_toe_inside.value)
    if both_feet != NONE:
        for name in LEGS:
            evidence[name]["both_feet"] = both_feet
    # the separation ratio is both knees': it speaks for the knee(s) that moved in, both when neither did
    moved_in = [name for name in LEGS if (m[f"knee_shift_{name}"] or 0) > 0] or list(LEGS)
    for name in moved_in:
        evidence[name]["kasr"] = kasr
    if off_front:
        evidence = {name: {k: e for k, e in ev.items() if k in FOOT_LINE_MEASURES} for name, ev in evidence.items()}
        out.not_judged["knee_shift"] = WHY_OFF_FRONT
    legs = {name: combine(evidence[name]) for name in LEGS}
    verdict, at, decided = rep_verdict(legs)
    valgus = {"left": False, "right": False, "phase": None, "verdict": verdict,
              "possible_legs": at if verdict == POSSIBLE else [], "decided_by": decided,
              "evidence": {name: evidence[name] for name in LEGS}}
    m["valgus_left"], m["valgus_right"] = m["knee_shift_left"], m["knee_shift_right"]
    if verdict == NONE:
        return out, valgus
    leg = max(at, key=lambda name: score[name] if np.isfinite(score[name]) else -1)
    s = series[leg]
    i_worst = rf.bent[int(np.nanargmax(s))] if np.any(np.isfinite(s)) else rf.win.bottom
    if decided == ["kasr"] and np.any(np.isfinite(sig.kasr[rf.bent])):
        i_worst = rf.bent[int(np.nanargmin(sig.kasr[rf.bent]))]
    valgus["phase"] = rf.phase(i_worst)
    valgus["time_s"] = rounded(sig.t[i_worst], 2)
    if verdict == POSSIBLE:
        valgus["phase"] = None  # never a fault: no phase for a cue to name
        valgus["possible_phase"] = rf.phase(i_worst)
        return out, valgus
    for name in at:
        valgus[name] = True
    out.flags.append({"code": "knee_valgus", "severity": severity(m, kasr_min, th), "legs": at,
                      "phase": valgus["phase"], "value": rounded(kasr_min), "threshold": th.kasr_min.value,
                      "knee_toe": {n_: m[f"knee_toe_{n_}"] for n_ in at},
                      "knee_toe_threshold": th.knee_toe_inside.value, "verdict": CLEAR, "decided_by": decided})
    return out, valgus


WHY_OBLIQUE = ("Filmed well off the front, so the knees were judged but caving can be shown only as 'possible' (the "
               "knee against its toes is validated up to about 30° off the front). Film facing "
               "the camera squarely for a clear verdict.")


def at_most_possible(out: Finding, valgus: dict) -> tuple[Finding, dict]:
    """A knee verdict from a view where clear cannot be told (a camera well off the front, or one
    whose turn the feet cannot read): only strong signs are worth a look there, so a clear verdict
    the foot line takes part in becomes possible (no flag, no cue, never spoken); anything else
    becomes none. The knee shift, FPPA and KASR read a knee's forward travel as sideways once the
    camera is turned (the shared 45° overhead squat: FPPA 99°, knee shift 0.84 hip widths on a good
    rep); the foot line follows the knee along its own foot as the camera sees it."""
    if valgus["verdict"] != CLEAR or "foot_line" not in valgus["decided_by"]:
        out.flags = [f for f in out.flags if f["code"] != "knee_valgus"]
        # as a judge's own none: no phase or time for a cue to point at
        kept = {k: v for k, v in valgus.items() if k not in ("possible_phase", "time_s")}
        none = dict(kept, verdict=NONE, possible_legs=[], decided_by=[], phase=None, **dict.fromkeys(LEGS, False))
        return out, none if valgus["verdict"] != NONE else valgus
    legs = [name for name in LEGS if valgus[name]]
    out.flags = [f for f in out.flags if f["code"] != "knee_valgus"]
    valgus = dict(valgus, verdict=POSSIBLE, possible_legs=legs, possible_phase=valgus["phase"], phase=None,
                  **dict.fromkeys(LEGS, False))
    return out, valgus


def _report_fppa(rf: RepFrames, k: int, valid: np.ndarray, out: Finding, disp: np.ndarray) -> None:
    """FPPA and its change from standing, only where the thigh is seen well enough (``valid``, per
    bent frame; else n/a)."""
    name = LEGS[k]
    if np.count_nonzero(valid) < max(rf.n_sustain, 0.5 * len(rf.bent)):
        out.metrics[f"fppa_{name}_deg"] = out.metrics[f"fppa_disp_{name}_deg"] = None
        out.not_judged[f"fppa_{name}"] = WHY_FPPA
        return
    out.metrics[f"fppa_{name}_deg"] = rounded(sustained_max(np.where(valid, rf.sig.fppa[rf.bent, k], np.nan),
                                                            rf.n_sustain), 1)
    out.metrics[f"fppa_disp_{name}_deg"] = rounded(sustained_max(disp, rf.n_sustain), 1)




def single_leg_fppa_evidence(fppa_max: float, limit: float, foot_inside: float, foot_threshold: float,
                             agreement: float = Thresholds().single_leg_fppa_foot_agreement.value) -> str:
    """The standing knee's FPPA against the single-leg norm ``limit``. FPPA over-reads a knee
    travelling forward as caving once the camera is turned a little off the thigh's plane (10° of
    yaw reads ~28° at a pistol's depth, synthetic skeletons): where the feet are seen, the foot
    line must agree (``agreement`` × its threshold, ``single_leg_fppa_foot_agreement``) for it to be
    clear; otherwise it is possible."""
    if not np.isfinite(fppa_max) or fppa_max <= limit:
        return NONE
    corroborated = not np.isfinite(foot_inside) or foot_inside >= agreement * foot_threshold
    return CLEAR if corroborated else POSSIBLE


def judge_single_leg_valgus(rf: RepFrames, th: Thresholds, limit: float) -> tuple[Finding, dict]:
    """The standing leg of a single-leg squat: FPPA against the single-leg norm ``limit``, degrees
    (``vision.thresholds.single_leg_fppa_norm``: > 13° women, > 9° men, Herrington & Munro 2010;
    ≥ 16° high, Herrington 2014) where the thigh is seen, or its knee vs foot line.
    """
    sig, n = rf.sig, rf.n_sustain
    k = standing_leg(rf, th)
    name = LEGS[k]
    out = Finding()
    m = out.metrics
    valid = fppa_valid(rf, k, th)
    fppa = np.where(valid, sig.fppa[rf.bent, k], np.nan)
    f_max = sustained_max(fppa, n)
    toe = toe_offset(rf, k, th)
    line = foot_line(rf, k, th, toe, rf.look_down_tan)
    t_max = sustained_max(line.inside, n) if line else float("nan")
    t_low = sustained_max(line.inside_low, n) if line else float("nan")
    m.update({f"fppa_{name}_deg": rounded(f_max, 1), "standing_leg": name, "fppa_norm_deg": limit,
              f"knee_toe_{name}": rounded(t_max), f"knee_toe_low_{name}": rounded(t_low),
              f"foot_turn_out_{name}_deg": rounded(line.turn_out_deg if line else float("nan"), 1)})
    if not np.isfinite(f_max):
        out.not_judged[f"fppa_{name}"] = WHY_FPPA
    if line is None:
        out.not_judged[f"knee_toe_{name}"] = why_no_foot_line(rf)
    evidence = {"foot_line": foot_line_evidence(t_max, t_low, th.knee_toe_inside.value),
                "fppa": single_leg_fppa_evidence(f_max, limit, t_max, th.knee_toe_inside.value,
                                                  th.single_leg_fppa_foot_agreement.value)}
    verdict, decided = combine(evidence)
    valgus = {"left": False, "right": False, "phase": None, "verdict": verdict,
              "possible_legs": [name] if verdict == POSSIBLE else [], "decided_by": decided,
              "evidence": {name: evidence}}
    if verdict == NONE:
        return out, valgus
    by_fppa = evidence["fppa"] != NONE
    series = fppa if by_fppa or line is None else line.inside
    i = rf.bent[int(np.nanargmax(series))]
    if verdict == POSSIBLE:
        valgus["possible_phase"] = rf.phase(i)
        valgus["time_s"] = rounded(sig.t[i], 2)
        return out, valgus
    valgus[name] = True
    valgus["phase"] = rf.phase(i)
    valgus["time_s"] = rounded(sig.t[i], 2)
    by_foot = evidence["foot_line"] != NONE
    major = (by_fppa and f_max >= th.fppa_single_leg_high.value) or (by_foot and t_max >= 2 * th.knee_toe_inside.value)
    out.flags.append({"code": "knee_valgus", "severity": "major" if major else "minor", "legs": [name],
                      "phase": valgus["phase"], "value": rounded(f_max if by_fppa else t_max, 2),
                      "threshold": limit if by_fppa else th.knee_toe_inside.value,
                      "knee_toe": {name: rounded(t_max)}, "knee_toe_threshold": th.knee_toe_inside.value,
                      "verdict": CLEAR, "decided_by": decided})
    return out, valgus


def knee_toe_text(metrics: dict, leg: str) -> str | None:
    """Plain words for ``knee_toe_<leg>``: "inside the toes by 45 % of foot length" / "over the toes";
    None when the feet were not seen."""
    v = metrics.get(f"knee_toe_{leg}")
    if v is None:
        return None
    return f"inside the toes by {v:.0%} of foot length" if v > 0.05 else "over the toes"

