"""Knee valgus (knees caving in) for one rep, from a front or rear view.

The measures, each where it works:
- **knee vs foot line** (``knee_toe``, per leg, primary when the feet are seen from the front): a
  knee that tracks well moves the way its foot points. From its forward travel (the shank's
  foreshortening) and the feet's turn-out (the toes' sideways offset from the ankles, both feet
  read together) the knee's expected sideways travel from standing is known; ``knee_toe`` is how
  far the knee stays inside that line, in foot lengths. This catches the common case the
  ankle-based measures miss: deep squats with the feet turned out, where caving knees still sit
  wider than the ankles.
- **knee shift** relative to the ankle, from standing, in hip widths (per leg), corroborated by
  the **FPPA** change from standing (Holden 2017: ≥ 10.6°) on frames where the thigh is not
  foreshortened: narrow, straight-foot stances; also the fallback when the feet are not seen.
- **KASR** (knee/ankle separation) against 0.80 and a 20 % drop from standing: both knees.

The verdict (one rule): a knee caves when, for at least ``sustain`` of the bent phase
(``RepFrames.bent``: the loaded half of the rep and anything half way to parallel), its
``knee_toe`` ≥ ``knee_toe_inside`` (feet seen), or its knee shift ≥ ``knee_medial_shift`` with
the FPPA change (where valid) ≥ ``fppa_displacement``; both knees cave when KASR says so. On a
single-leg squat only the standing leg is judged: FPPA against single-leg norms (Herrington &
Munro 2010) where valid, or its ``knee_toe``.
"""

from __future__ import annotations

import numpy as np

from vision import geometry as g
from vision.rep_frames import LEGS, Finding, RepFrames, rounded, sustained_max, sustained_min
from vision.thresholds import Thresholds

FOOT_MIN_VISIBILITY = 0.5   # ankle and foot index both at least this visible
FOOT_MIN_SEEN = 0.6         # ... on this fraction of the rep's frames
FOOT_MAX_SPREAD = 0.15      # [heuristic] toe offset scatter (MAD, shank lengths) above which the foot is noise

WHY_FEET = ("The feet (toes) were not clearly visible, so the knees were judged against the ankles only. "
            "Film with the feet in frame and in clear view.")
WHY_FEET_BEHIND = ("Filmed from behind, the toes are hidden behind the heels, so the knees were judged against "
                   "the ankles only. Film from the front to judge the knees against the toes.")
WHY_FPPA = "n/a (thigh foreshortened): FPPA has no meaning while the thigh points at the camera."


def toe_offset(rf: RepFrames, k: int) -> float:
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
    seen = rf.idx[sig.foot_visibility[rf.idx, k] >= FOOT_MIN_VISIBILITY]
    toe = sig.toe_lateral[seen, k]
    toe = toe[np.isfinite(toe)]
    if len(toe) < FOOT_MIN_SEEN * len(rf.idx) or len(toe) < 3:
        return float("nan")
    median = float(np.median(toe))
    return median if np.median(np.abs(toe - median)) <= FOOT_MAX_SPREAD else float("nan")


def facing_camera(rf: RepFrames) -> bool:
    """The person faces the camera for most of the rep (False when filmed from behind)."""
    return bool(np.mean(rf.sig.facing_camera[rf.idx]) >= 0.5)


def why_no_foot_line(rf: RepFrames) -> str:
    """Why a knee was not judged against its toes: filmed from behind, or the foot not seen."""
    return WHY_FEET if facing_camera(rf) else WHY_FEET_BEHIND


def both_feet_toe_offsets(rf: RepFrames) -> tuple[float, float]:
    """Each foot's toe offset for a squat on both feet: where both feet are seen, their mean for
    each. A stance turns both feet out about alike, while one foot's toe point can be 20° off (the
    same foot read 17° and 39° in a clip and its mirror image, legs ~100 px tall)."""
    toes = [toe_offset(rf, k) for k in range(2)]
    if all(np.isfinite(toes)):
        return (float(np.mean(toes)),) * 2
    return toes[0], toes[1]


def foot_line(rf: RepFrames, k: int, th: Thresholds, toe_lateral: float) -> tuple[np.ndarray | None, float]:
    """Per bent frame, how far leg ``k``'s knee sits inside the line over its foot (foot lengths),
    and the foot's turn-out in degrees, for the foot's toe offset ``toe_lateral`` (see
    :func:`toe_offset`); (None, NaN) when it is NaN (the foot not seen well enough).
    """
    if not np.isfinite(toe_lateral):
        return None, float("nan")
    sig = rf.sig
    foot = th.foot_to_shank.value
    tan_phi = g.foot_turn_out_tan(toe_lateral, foot)
    travel = sig.knee_lateral[rf.bent, k] - rf.baseline(sig.knee_lateral[:, k])
    inside = g.knee_inside_foot_line(travel, sig.knee_forward[rf.bent, k], tan_phi, foot)
    return inside, float(np.degrees(np.arctan(tan_phi)))


def fppa_valid(rf: RepFrames, k: int, th: Thresholds) -> np.ndarray:
    """(bent,) bool: frames where leg ``k``'s thigh is long enough in the image for FPPA to mean something."""
    return rf.sig.thigh_ratio[rf.bent, k] >= th.fppa_min_thigh.value


def judge_valgus(rf: RepFrames, th: Thresholds) -> tuple[Finding, dict]:
    """Both legs of a bilateral squat. Returns the finding and the rep's ``valgus`` object."""
    sig, n = rf.sig, rf.n_sustain
    out = Finding()
    m = out.metrics
    kasr_stand = rf.baseline(sig.kasr)
    kasr_min = sustained_min(sig.kasr[rf.bent], n)
    kasr_drop = 1.0 - kasr_min / kasr_stand if kasr_stand > 0 else float("nan")
    m.update(kasr_standing=rounded(kasr_stand), kasr_min=rounded(kasr_min), kasr_drop=rounded(kasr_drop),
             khr_min=rounded(sustained_min(sig.khr[rf.bent], n)))
    caves, score, worst = {}, {}, {}
    toes = both_feet_toe_offsets(rf)
    for k, name in enumerate(LEGS):
        shift = sig.knee_medial[rf.bent, k] - rf.baseline(sig.knee_medial[:, k])
        valid = fppa_valid(rf, k, th)
        disp = np.where(valid, sig.fppa[rf.bent, k] - rf.baseline(sig.fppa[:, k]), np.nan)
        inside, turn_out = foot_line(rf, k, th, toes[k])
        s_max, d_max = sustained_max(shift, n), sustained_max(disp, n)
        t_max = sustained_max(inside, n) if inside is not None else float("nan")
        _report_fppa(rf, k, valid, out, disp)
        m[f"knee_shift_{name}"] = rounded(s_max)
        m[f"knee_toe_{name}"] = rounded(t_max)
        m[f"foot_turn_out_{name}_deg"] = rounded(turn_out, 1)
        if inside is None:
            out.not_judged[f"knee_toe_{name}"] = why_no_foot_line(rf)
        by_foot = np.isfinite(t_max) and t_max >= th.knee_toe_inside.value
        by_ankle = s_max >= th.knee_medial_shift.value and (not np.isfinite(d_max) or d_max >= th.fppa_displacement.value)
        caves[name] = bool(by_foot or by_ankle)
        # the frame where this knee was furthest in, by the measure that flagged it
        series = inside if by_foot else shift
        score[name] = t_max if by_foot else s_max
        worst[name] = rf.bent[int(np.nanargmax(series))] if np.any(np.isfinite(series)) else rf.win.bottom
    both = (kasr_min < th.kasr_min.value) or (kasr_drop > th.kasr_drop.value)
    if both and not any(caves.values()):
        for k, name in enumerate(LEGS):  # the knee(s) that moved in; both when neither clearly did
            s = m[f"knee_shift_{name}"]
            caves[name] = s is None or s > 0
        if not any(caves.values()):
            caves = dict.fromkeys(LEGS, True)
    valgus = {"left": caves["left"], "right": caves["right"], "phase": None}
    m["valgus_left"], m["valgus_right"] = m["knee_shift_left"], m["knee_shift_right"]
    if any(caves.values()):
        legs_in = [name for name in LEGS if caves[name]]
        leg = max(legs_in, key=lambda name: score[name] if np.isfinite(score[name]) else -1)
        i_worst = worst[leg]
        if both and np.any(np.isfinite(sig.kasr[rf.bent])):
            i_worst = rf.bent[int(np.nanargmin(sig.kasr[rf.bent]))]
        valgus["phase"] = rf.phase(i_worst)
        valgus["time_s"] = rounded(sig.t[i_worst], 2)
        toe_vals = [m[f"knee_toe_{n_}"] for n_ in LEGS if m[f"knee_toe_{n_}"] is not None]
        fppa_disps = [m[f"fppa_disp_{n_}_deg"] for n_ in LEGS if m[f"fppa_disp_{n_}_deg"] is not None]
        major = (kasr_min < th.kasr_min.value - 0.15) or any(d >= th.fppa_single_leg_high.value for d in fppa_disps) \
            or any(s is not None and s >= 2 * th.knee_medial_shift.value for s in (m["knee_shift_left"], m["knee_shift_right"])) \
            or any(v >= 2 * th.knee_toe_inside.value for v in toe_vals)
        out.flags.append({"code": "knee_valgus", "severity": "major" if major else "minor", "legs": legs_in,
                          "phase": valgus["phase"], "value": rounded(kasr_min), "threshold": th.kasr_min.value,
                          "knee_toe": {n_: m[f"knee_toe_{n_}"] for n_ in legs_in},
                          "knee_toe_threshold": th.knee_toe_inside.value})
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


SINGLE_LEG_FPPA_FOOT_AGREEMENT = 0.5  # [heuristic] FPPA flags a standing knee only if it is also ≥ half the knee_toe threshold inside the foot line (when the feet are seen)


def standing_leg(rf: RepFrames) -> int:
    """The leg a single-leg squat stands on: the foot that stays put while the free one moves with
    the body; when both stay put (a foot held still in the air), the lower one (on the floor).
    The lowest foot alone would pick the free foot of a step-down off a box."""
    moved = rf.foot_shift()[0]  # from the start to the bottom
    if np.isfinite(moved).all() and abs(moved[0] - moved[1]) >= 0.1:  # [heuristic] leg lengths: one planted, one moving
        return int(np.argmin(moved))
    y = rf.sig.ankle_pos[rf.bent, :, 1] if len(rf.bent) else rf.sig.ankle_pos[rf.idx, :, 1]
    return int(np.nanargmax(np.nanmean(y, axis=0)))


def judge_single_leg_valgus(rf: RepFrames, th: Thresholds, sex: str | None) -> tuple[Finding, dict]:
    """The standing leg of a single-leg squat: FPPA against single-leg norms (> 13° women, > 9°
    men, Herrington & Munro 2010; ≥ 16° high, Herrington 2014; 13° when sex is not given, the
    upper of the two, to avoid over-flagging) where the thigh is seen, or its knee vs foot line.
    """
    sig, n = rf.sig, rf.n_sustain
    k = standing_leg(rf)
    name = LEGS[k]
    out = Finding()
    m = out.metrics
    valid = fppa_valid(rf, k, th)
    fppa = np.where(valid, sig.fppa[rf.bent, k], np.nan)
    f_max = sustained_max(fppa, n)
    inside, turn_out = foot_line(rf, k, th, toe_offset(rf, k))
    t_max = sustained_max(inside, n) if inside is not None else float("nan")
    limit = {"male": th.fppa_single_leg_male.value}.get(sex or "", th.fppa_single_leg_female.value)
    m.update({f"fppa_{name}_deg": rounded(f_max, 1), "standing_leg": name, "fppa_norm_deg": limit,
              f"knee_toe_{name}": rounded(t_max), f"foot_turn_out_{name}_deg": rounded(turn_out, 1)})
    if not np.isfinite(f_max):
        out.not_judged[f"fppa_{name}"] = WHY_FPPA
    if inside is None:
        out.not_judged[f"knee_toe_{name}"] = why_no_foot_line(rf)
    valgus = {"left": False, "right": False, "phase": None}
    by_foot = np.isfinite(t_max) and t_max >= th.knee_toe_inside.value
    # FPPA over-reads a knee travelling forward as caving once the camera is turned a little off the
    # thigh's plane (10° of yaw reads ~28° at a pistol's depth, synthetic skeletons): where the feet
    # are seen, the foot line must at least half agree.
    corroborated = not np.isfinite(t_max) or t_max >= SINGLE_LEG_FPPA_FOOT_AGREEMENT * th.knee_toe_inside.value
    by_fppa = np.isfinite(f_max) and f_max > limit and corroborated
    if by_fppa or by_foot:
        valgus[name] = True
        series = fppa if by_fppa else inside
        i = rf.bent[int(np.nanargmax(series))]
        valgus["phase"] = rf.phase(i)
        valgus["time_s"] = rounded(sig.t[i], 2)
        major = (by_fppa and f_max >= th.fppa_single_leg_high.value) or (by_foot and t_max >= 2 * th.knee_toe_inside.value)
        out.flags.append({"code": "knee_valgus", "severity": "major" if major else "minor", "legs": [name],
                          "phase": valgus["phase"], "value": rounded(f_max if by_fppa else t_max, 2),
                          "threshold": limit if by_fppa else th.knee_toe_inside.value,
                          "knee_toe": {name: rounded(t_max)}, "knee_toe_threshold": th.knee_toe_inside.value})
    return out, valgus


def knee_toe_text(metrics: dict, leg: str) -> str | None:
    """Plain words for ``knee_toe_<leg>``: "inside the toes by 45 % of foot length" / "over the toes";
    None when the feet were not seen."""
    v = metrics.get(f"knee_toe_{leg}")
    if v is None:
        return None
    return f"inside the toes by {v:.0%} of foot length" if v > 0.05 else "over the toes"

