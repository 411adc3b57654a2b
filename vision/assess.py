"""Per-rep assessment: which metrics the view supports, their values, flags, cues, confidence.

Valgus is judged over the loaded part of the whole rep (descent, bottom and ascent, wherever
depth is at least half the rep's peak) — knees often cave out of the hole, not at the bottom.
Three measures, each robust where another is weak:
- KASR (knee/ankle separation): both knees; depth-independent (primary for deep squats).
- per-leg knee shift towards the midline relative to the ankle, from standing (linear, no
  cross-talk), in standing hip widths;
- per-leg FPPA displacement from standing (Holden 2017: ≥ 10.6°), only on frames where the thigh
  is not foreshortened, because FPPA over-reads as the thigh points at the camera.
"""

from __future__ import annotations

import numpy as np

from vision.reps import RepWindow
from vision.signals import Signals
from vision.thresholds import Profile
from vision.view import WHY_NOT, ViewVerdict

BASELINE_S = 0.5      # standing frames this close to the rep's ends form its baseline
LOADED_FRACTION = 0.5  # frames at ≥ half the rep's peak depth are "loaded"
HINGE_MAX_DEPTH = 0.35
HINGE_TORSO_RATIO = 0.5   # [heuristic] torso foreshortened to half: bent over ~60°
HINGE_TRUNK_DEG = 60.0    # [heuristic] squats keep the trunk within ~50° of vertical
HINGE_THIGH_HK = -0.8     # [heuristic] thigh within ~37° of vertical (hip_knee = −cos of its tilt)
SPLIT_FRONT = 0.10        # [heuristic] ankle height difference from the front, in leg lengths
DEPTH_MIN_VISIBILITY = 0.8  # [heuristic] a depth verdict needs the hip and the better-seen knee clearly seen
DEPTH_VIS_WINDOW_S = 0.2    # ... around the bottom
LEGS = ("left", "right")

SEVERITY_ORDER = {"ok": 0, "minor": 1, "major": 2}


def sustained_max(x: np.ndarray, n: int) -> float:
    """The largest value that ``x`` reached on at least ``n`` frames (NaN-aware): (k,) -> float."""
    x = np.asarray(x, float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return float("nan")
    n = min(max(n, 1), len(x))
    return float(np.partition(x, len(x) - n)[len(x) - n])


def sustained_min(x: np.ndarray, n: int) -> float:
    return -sustained_max(-np.asarray(x, float), n)


def _row_mean(x: np.ndarray) -> np.ndarray:
    """NaN-aware mean over the last axis, (k, 2) -> (k,), NaN (no warning) where a row is all NaN."""
    x = np.asarray(x, float)
    n = np.sum(~np.isnan(x), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.nansum(x, axis=-1) / n, np.nan)


def _median(x) -> float:
    x = np.asarray(x, float)
    x = x[~np.isnan(x)]
    return float(np.median(x)) if len(x) else float("nan")


def _r(x, nd=3):
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


def not_a_squat(sig: Signals, win: RepWindow, view: str, th, single_leg: bool = False) -> str | None:
    """Why this dip is not a squat (a lunge, a step, bending over), or None if it is one.

    For single-leg squats only the standing foot must stay planted (the other is lifted).
    """
    idx = np.arange(win.start, win.end + 1)
    # feet must stay put while the body is lowered (walking out with a bar beforehand is fine).
    # Robust to tracking jitter: only clearly seen ankles, and the typical distance from the
    # foot's median spot (a step moves the foot for a good part of the rep, a glitch for a frame)
    lowered = idx[sig.depth[idx] >= 0.25 * win.peak_depth]
    per_foot = np.zeros(2)
    for k in range(2):
        seen = lowered[sig.ankle_visibility[lowered, k] >= 0.5]
        if len(seen) >= 3:
            pos = sig.ankle_pos[seen, k]
            per_foot[k] = 2 * np.nanpercentile(np.linalg.norm(pos - np.nanmedian(pos, axis=0), axis=-1), 75)
    moved = np.nanmin(per_foot) if single_leg else np.nanmax(per_foot)
    if moved > th.stance_max_step.value:
        return "the feet moved (a step or lunge), not a squat"
    if single_leg:
        return None
    b = sig.ankle_pos[win.bottom]
    if view == "side" and abs(b[0, 0] - b[1, 0]) > th.stance_max_split.value:
        return "the feet were split front-to-back (lunge / split squat)"
    if view == "front" and abs(b[0, 1] - b[1, 1]) > SPLIT_FRONT:  # oblique: the far foot looks higher
        return "one foot was in front of the other (lunge / split squat)"
    if win.peak_depth < HINGE_MAX_DEPTH:
        bent = (sig.trunk_angle[win.bottom] > HINGE_TRUNK_DEG) if view == "side" else (
            sig.torso_ratio[win.bottom] < HINGE_TORSO_RATIO)
        # a hinge bends the trunk while the thighs stay near vertical; a squat tilts the thighs
        thighs_upright = np.nanmean(sig.hip_knee[win.bottom]) < HINGE_THIGH_HK
        if bent and thighs_upright:
            return "the trunk bent far over with little knee bend (picking something up), not a squat"
    return None


def _phase(sig: Signals, win: RepWindow, i: int) -> str:
    if sig.depth[i] >= 0.9 * win.peak_depth or abs(sig.t[i] - sig.t[win.bottom]) <= 0.15:
        return "bottom"
    return "descent" if i < win.bottom else "ascent"


def assess_rep(sig: Signals, win: RepWindow, view: ViewVerdict, profile: Profile, index: int,
               sex: str | None = None) -> dict:
    """Metrics, flags, cues and confidence for one rep (the JSON ``reps[]`` object).

    ``sex`` ("female"/"male"/None) picks the single-leg FPPA norm; it changes nothing else.
    """
    th = profile.thresholds
    t = sig.t
    fs = 1.0 / np.median(np.diff(t)) if len(t) > 1 else 30.0
    n_sus = max(1, int(round(th.sustain.value * fs)))
    idx = np.arange(win.start, win.end + 1)
    loaded = idx[sig.depth[idx] >= LOADED_FRACTION * win.peak_depth]
    near = (np.abs(t - t[win.start]) <= BASELINE_S) | (np.abs(t - t[win.end]) <= BASELINE_S)
    base = np.flatnonzero(near & sig.valid & (sig.depth <= th.rep_exit.value))
    if len(base) == 0:
        base = np.array([win.start, win.end])
    # the side view's near leg is the better seen one
    leg = int(np.nanargmax(np.nanmean(sig.lower_visibility[idx], axis=0)))

    metrics: dict = {}
    flags: list[dict] = []
    unsupported: dict[str, str] = {}

    # --- depth
    hip_knee = sig.hip_knee[loaded, leg] if view.view == "side" else _row_mean(sig.hip_knee[loaded])
    depth_ratio = sustained_max(hip_knee, n_sus)
    flex = sig.knee_flexion[loaded, leg] if view.view == "side" else _row_mean(sig.knee_flexion[loaded])
    metrics["depth_ratio"] = _r(depth_ratio)
    metrics["squat_depth"] = _r(win.peak_depth)
    metrics["knee_flexion_deg"] = _r(sustained_max(flex, n_sus), 1)
    metrics["depth_method"] = "side: hip vs knee height" if view.view == "side" else "approximate from this view"
    near_bottom = np.abs(t - t[win.bottom]) <= DEPTH_VIS_WINDOW_S
    hip_knee_vis = min(float(np.nanmean(sig.hip_visibility[near_bottom])),
                       float(np.nanmean(np.nanmax(sig.knee_visibility[near_bottom], axis=1))))
    metrics["hip_knee_visibility"] = _r(hip_knee_vis, 2)
    if view.supports("depth") and hip_knee_vis < DEPTH_MIN_VISIBILITY:
        unsupported["depth"] = ("The hips or knees were not clearly visible at the bottom (dark or baggy clothes, "
                                "a plate or rack in the way), so depth is not judged. Film with the hips and knees in clear view.")
    elif view.supports("depth"):
        limit = -th.side_depth_tolerance.value if view.view == "side" else th.front_shallow_depth.value
        if np.isfinite(depth_ratio) and depth_ratio < limit:
            flags.append({"code": "shallow", "severity": "major" if depth_ratio < limit - 0.3 else "minor",
                          "value": _r(depth_ratio), "threshold": limit,
                          "approximate": view.view != "side"})
    else:
        unsupported["depth"] = WHY_NOT["depth"]

    # --- knee valgus
    valgus = {"left": False, "right": False, "phase": None}
    if view.supports("valgus") and not profile.single_leg:
        kasr_stand = _median(sig.kasr[base])
        kasr_min = sustained_min(sig.kasr[loaded], n_sus)
        kasr_drop = 1.0 - kasr_min / kasr_stand if kasr_stand > 0 else float("nan")
        metrics.update(kasr_standing=_r(kasr_stand), kasr_min=_r(kasr_min), kasr_drop=_r(kasr_drop),
                       khr_min=_r(sustained_min(sig.khr[loaded], n_sus)))
        shifts, disps, worst_i = [], [], []
        for k, name in enumerate(LEGS):
            shift = sig.knee_medial[loaded, k] - _median(sig.knee_medial[base, k])
            gated = sig.thigh_ratio[loaded, k] >= th.fppa_min_thigh.value
            disp = np.where(gated, sig.fppa[loaded, k] - _median(sig.fppa[base, k]), np.nan)
            s_max, d_max = sustained_max(shift, n_sus), sustained_max(disp, n_sus)
            shifts.append(s_max)
            disps.append(d_max)
            worst_i.append(loaded[int(np.nanargmax(shift))] if np.any(~np.isnan(shift)) else win.bottom)
            metrics[f"knee_shift_{name}"] = _r(s_max)
            metrics[f"fppa_{name}_deg"] = _r(sustained_max(np.where(gated, sig.fppa[loaded, k], np.nan), n_sus), 1)
            metrics[f"fppa_disp_{name}_deg"] = _r(d_max, 1)
            caves = s_max >= th.knee_medial_shift.value and (not np.isfinite(d_max) or d_max >= th.fppa_displacement.value)
            valgus[name] = bool(caves)
        both = (kasr_min < th.kasr_min.value) or (kasr_drop > th.kasr_drop.value)
        if both and not (valgus["left"] or valgus["right"]):
            for k, name in enumerate(LEGS):
                valgus[name] = bool(shifts[k] > 0) if np.isfinite(shifts[k]) else True
            if not (valgus["left"] or valgus["right"]):
                valgus["left"] = valgus["right"] = True
        if valgus["left"] or valgus["right"]:
            legs_in = [k for k, name in enumerate(LEGS) if valgus[name]]
            k_worst = max(legs_in, key=lambda k: shifts[k] if np.isfinite(shifts[k]) else -1)
            i_worst = worst_i[k_worst]
            if both:
                i_worst = loaded[int(np.nanargmin(sig.kasr[loaded]))] if np.any(~np.isnan(sig.kasr[loaded])) else i_worst
            valgus["phase"] = _phase(sig, win, i_worst)
            valgus["time_s"] = _r(t[i_worst], 2)
            major = (kasr_min < th.kasr_min.value - 0.15) or any(
                np.isfinite(d) and d >= th.fppa_single_leg_high.value for d in disps) or any(
                np.isfinite(s) and s >= 2 * th.knee_medial_shift.value for s in shifts)
            flags.append({"code": "knee_valgus", "severity": "major" if major else "minor",
                          "legs": [n for n in LEGS if valgus[n]], "phase": valgus["phase"],
                          "value": _r(kasr_min), "threshold": th.kasr_min.value})
        metrics["valgus_left"] = metrics.get("knee_shift_left")
        metrics["valgus_right"] = metrics.get("knee_shift_right")
        # asymmetry: the two legs' FPPA changes differ by more than the SDD
        # only inward (valgus-direction) change counts: both knees pushing out by different
        # amounts is not a fault
        inward = [np.maximum(sig.fppa[loaded, k] - _median(sig.fppa[base, k]), 0.0) for k in range(2)]
        diff = np.abs(inward[0] - inward[1])
        gated_both = (sig.thigh_ratio[loaded] >= th.fppa_min_thigh.value).all(axis=1)
        asym = sustained_max(np.where(gated_both, diff, np.nan), n_sus)
        metrics["asymmetry_deg"] = _r(asym, 1)
        if np.isfinite(asym) and asym > th.asymmetry.value:
            flags.append({"code": "asymmetry", "severity": "minor", "value": _r(asym, 1), "threshold": th.asymmetry.value})
        shift = sig.lateral_shift[loaded] - _median(sig.lateral_shift[base])
        lat = sustained_max(np.abs(shift), n_sus)
        metrics["lateral_shift"] = _r(lat)
        if np.isfinite(lat) and lat > th.lateral_shift.value:
            side = "left" if np.nanmean(shift) > 0 else "right"
            flags.append({"code": "lateral_shift", "severity": "minor", "value": _r(lat), "threshold": th.lateral_shift.value,
                          "direction": side})
    elif view.supports("valgus") and profile.single_leg:
        _single_leg_valgus(sig, win, loaded, base, n_sus, th, sex, metrics, flags, valgus)
        for key in ("asymmetry", "lateral_shift"):
            unsupported[key] = "Bilateral measures are off for single-leg squats."
        for key in ("kasr_min", "asymmetry_deg", "lateral_shift"):
            metrics[key] = None
    else:
        for key in ("valgus", "asymmetry", "lateral_shift"):
            unsupported[key] = WHY_NOT[key]
        for key in ("kasr_min", "valgus_left", "valgus_right", "asymmetry_deg", "lateral_shift"):
            metrics[key] = None

    # --- trunk lean and heel rise (side view)
    if view.supports("forward_lean"):
        lean = sustained_max(sig.trunk_angle[loaded] - sig.tibia_angle[loaded, leg], n_sus)
        metrics["trunk_lean_deg"] = _r(sustained_max(sig.trunk_angle[loaded], n_sus), 1)
        metrics["trunk_tibia_divergence_deg"] = _r(lean, 1)
        if np.isfinite(lean) and lean > th.trunk_tibia_divergence.value:
            flags.append({"code": "forward_lean", "severity": "minor", "value": _r(lean, 1),
                          "threshold": th.trunk_tibia_divergence.value})
        rise = sustained_max(_median(sig.heel_y[base, leg]) - sig.heel_y[loaded, leg], n_sus)
        metrics["heel_rise"] = _r(rise)
        if np.isfinite(rise) and rise > th.heel_rise.value:
            flags.append({"code": "heel_rise", "severity": "minor", "value": _r(rise), "threshold": th.heel_rise.value})
    else:
        unsupported["forward_lean"] = WHY_NOT["forward_lean"]
        unsupported["heel_rise"] = WHY_NOT["heel_rise"]
        metrics["trunk_lean_deg"] = metrics["trunk_tibia_divergence_deg"] = metrics["heel_rise"] = None

    # --- tempo
    deep = idx[sig.depth[idx] >= 0.95 * win.peak_depth]
    metrics["descent_s"] = _r(t[win.bottom] - t[win.start], 2)
    metrics["ascent_s"] = _r(t[win.end] - t[win.bottom], 2)
    metrics["pause_s"] = _r(t[deep[-1]] - t[deep[0]], 2) if len(deep) else 0.0

    vis = float(np.nanmean(sig.lower_visibility[idx][:, leg] if view.view == "side" else sig.lower_visibility[idx]))
    confidence = float(np.clip(vis, 0, 1) * np.sqrt(view.confidence) * sig.valid[idx].mean())
    codes = [f["code"] for f in flags]
    severity = max((f["severity"] for f in flags), key=SEVERITY_ORDER.get, default="ok")
    return {
        "index": index,
        "start_s": _r(t[win.start], 3),
        "bottom_s": _r(t[win.bottom], 3),
        "end_s": _r(t[win.end], 3),
        "flags": codes,
        "metrics": metrics,
        "confidence": round(confidence, 2),
        "cues": cues_for(flags),
        "view": view.view,
        "severity": severity,
        "flag_details": flags,
        "valgus": valgus,
        "not_judged": unsupported,
    }


def _single_leg_valgus(sig, win, loaded, base, n_sus, th, sex, metrics, flags, valgus) -> None:
    """Single-leg squat: the standing leg's FPPA against single-leg norms (Herrington & Munro
    2010: > 13° women, > 9° men; ≥ 16° "high", Herrington 2014). Unknown sex uses 13°, the
    upper of the two, to avoid over-flagging. The standing leg is the one whose ankle stays lowest.
    """
    k = int(np.nanargmax(np.nanmean(sig.ankle_pos[loaded, :, 1], axis=0))) if len(loaded) else 0
    name = LEGS[k]
    gated = sig.thigh_ratio[loaded, k] >= th.fppa_min_thigh.value
    fppa = sustained_max(np.where(gated, sig.fppa[loaded, k], np.nan), n_sus)
    limit = {"male": th.fppa_single_leg_male.value}.get(sex or "", th.fppa_single_leg_female.value)
    metrics[f"fppa_{name}_deg"] = _r(fppa, 1)
    metrics["standing_leg"] = name
    metrics["fppa_norm_deg"] = limit
    if np.isfinite(fppa) and fppa > limit:
        valgus[name] = True
        i = loaded[int(np.nanargmax(np.where(gated, sig.fppa[loaded, k], -np.inf)))]
        valgus["phase"] = _phase(sig, win, i)
        flags.append({"code": "knee_valgus", "severity": "major" if fppa >= th.fppa_single_leg_high.value else "minor",
                      "legs": [name], "phase": valgus["phase"], "value": _r(fppa, 1), "threshold": limit})


def cues_for(flags: list[dict]) -> list[str]:
    """Plain-language coaching cues, most important first."""
    cues = []
    for f in sorted(flags, key=lambda f: -SEVERITY_ORDER[f["severity"]]):
        code = f["code"]
        if code == "knee_valgus":
            where = {"ascent": "on the way up", "descent": "on the way down", "bottom": "at the bottom"}.get(f.get("phase"), "")
            legs = f.get("legs", [])
            which = "Both knees" if len(legs) == 2 else f"Your {legs[0]} knee" if legs else "Your knees"
            cues.append(f"{which} caved in {where}: push the knees out over your toes" +
                        (" as you stand up." if f.get("phase") == "ascent" else "."))
        elif code == "shallow":
            cues.append("Go a little deeper: aim for the hip crease level with or below the top of the knee.")
        elif code == "forward_lean":
            cues.append("Keep your chest up: your trunk leaned further forward than your shins.")
        elif code == "heel_rise":
            cues.append("Keep your heels down: shift your weight to mid-foot.")
        elif code == "lateral_shift":
            cues.append(f"Sit straight down: your hips drifted to your {f.get('direction', 'side')}.")
        elif code == "asymmetry":
            cues.append("Your two knees moved differently: film again and check the weaker side.")
    if not cues:
        cues.append("Good rep: nothing to correct from this camera angle.")
    return cues
