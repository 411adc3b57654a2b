"""Per-rep assessment: the movement, which metrics the view supports, their values, flags, cues.

``judge_dip`` is the one entry point (files and live alike): it decides what the dip was
(``vision.movement``), the camera view for it, then runs one small judge per fault over the rep's
frames (``vision.rep_frames.RepFrames``): valgus (``vision.valgus``), depth, trunk lean, heel
rise, side shift, asymmetry, and tempo.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from vision import geometry as g
from vision.faults import NOT_JUDGED, SEVERITY_ORDER, cues_for
from vision.movement import classify_movement
from vision.rep_frames import Finding, RepFrames, row_mean, rounded, sustained_max
from vision.reps import RepWindow
from vision.signals import Signals
from vision.thresholds import Profile, Thresholds, single_leg_fppa_norm
from vision.valgus import (WHY_OBLIQUE, at_most_possible, facing_camera, feet_yaw_deg, judge_single_leg_valgus,
                           judge_valgus)
from vision.view import METRIC_VIEWS, WHY_NOT, ViewVerdict, rep_view

WHY_SINGLE_LEG = "Bilateral measures are off for single-leg squats."
WHY_SMALL = ("The person is small in the picture (legs about {px:.0f} px tall where the pose model looks), too "
             "coarse to judge the knees or the sideways shift. Film closer, or at a higher resolution, so the "
             "body fills most of the frame's height.")


def too_small_for_knees(view: str, leg_px: float | None, th: Thresholds) -> bool:
    """A view the knees are judged from (``METRIC_VIEWS["knees_against_toes"]``) whose person's legs
    were under ``th.min_leg_px`` where pose ran: the knee, asymmetry and sideways-shift judges are off
    (``leg_px`` None: not measured, nothing is gated)."""
    return view in METRIC_VIEWS["knees_against_toes"] and leg_px is not None and leg_px < th.min_leg_px.value


def judge_dip(sig: Signals, win: RepWindow, forced_view: str | None, profile: Profile, index: int,
              single_leg_norm: float | None = None, earlier: Sequence[dict] = ()) -> tuple[dict | None, str | None]:
    """One dip of the depth signal → (the rep's JSON object, None) or (None, why it is not a squat).

    ``single_leg_norm``: the single-leg FPPA limit, degrees (``AnalysisOptions.single_leg_fppa_norm``;
    None: the profile's norm when sex is not given). ``earlier``: the set's reps judged before this
    one (the within-set knee cue compares with them).
    """
    th = profile.thresholds
    rf = RepFrames.of(sig, win, th)
    view = rep_view(sig, win, forced_view, th, feet_yaw_deg=feet_yaw_deg(rf, th))
    movement = classify_movement(rf, view.view, th, profile.single_leg)
    if movement.kind == "rejected":
        return None, movement.reason
    single_leg = movement.kind == "single_leg"
    if single_leg and not forced_view:
        view = rep_view(sig, win, None, th, single_leg=True)
    return assess_rep(rf, view, th, index, single_leg=single_leg, single_leg_norm=single_leg_norm,
                      earlier=earlier), None


def assess_rep(rf: RepFrames, view: ViewVerdict, th: Thresholds, index: int, *, single_leg: bool = False,
               single_leg_norm: float | None = None, earlier: Sequence[dict] = ()) -> dict:
    """Metrics, flags, cues and confidence for one squat (the JSON ``reps[]`` object).

    ``single_leg_norm``: the FPPA limit, degrees, a single-leg rep is judged against (None: the
    norm when sex is not given); it changes nothing else.
    """
    sig, win, t = rf.sig, rf.win, rf.sig.t
    found = judge_depth(rf, view, th)
    valgus: dict[str, Any] = {"left": False, "right": False, "phase": None, "verdict": NOT_JUDGED, "possible_legs": [],
                              "decided_by": []}
    frontal = ("valgus", "asymmetry", "lateral_shift")
    norm = single_leg_fppa_norm(th, None) if single_leg_norm is None else single_leg_norm
    leg_px = rf.leg_px
    if too_small_for_knees(view.view, leg_px, th):
        found.not_judged.update(dict.fromkeys(frontal, WHY_SMALL.format(px=leg_px)))
        found.metrics.update(dict.fromkeys(("kasr_min", "valgus_left", "valgus_right", "asymmetry_deg", "lateral_shift")))
    elif view.supports("valgus") and single_leg:
        v, valgus = judge_single_leg_valgus(rf, th, norm)
        found.add(v)
        found.not_judged.update(dict.fromkeys(("asymmetry", "lateral_shift"), WHY_SINGLE_LEG))
        found.metrics.update(dict.fromkeys(("kasr_min", "asymmetry_deg", "lateral_shift")))
    elif view.supports("valgus"):
        v, valgus = judge_valgus(rf, th, earlier)
        found.add(v).add(judge_asymmetry(rf, th)).add(judge_lateral_shift(rf, th))
    elif view.supports("knees_against_toes") and facing_camera(rf):
        # a camera turned off the front: each knee is judged against its own foot as the camera sees
        # it, which holds off the front (the Monte-Carlo bench); clear where the feet read the camera
        # turned no more than ``oblique_clear_max_feet_yaw``, possible at most past it or unread
        # (on one leg always: only a foot line that takes part survives, FPPA alone over-reads a turned camera)
        if single_leg:
            v, valgus = at_most_possible(*judge_single_leg_valgus(rf, th, norm))
            found.metrics["kasr_min"] = None   # one leg: no knee/ankle separation
            capped = True
        else:
            v, valgus = judge_valgus(rf, th, earlier, view="oblique")
            capped = not view.feet_yaw_deg <= th.oblique_clear_max_feet_yaw.value   # NaN: unread, capped
            if capped:
                v, valgus = at_most_possible(v, valgus)
        found.add(v)
        if capped:
            found.not_judged["valgus_clear"] = WHY_OBLIQUE
        found.not_judged.update({key: WHY_SINGLE_LEG if single_leg else WHY_NOT[key] for key in ("asymmetry", "lateral_shift")})
        found.metrics.update(dict.fromkeys(("asymmetry_deg", "lateral_shift")))
    else:
        found.not_judged.update({key: WHY_NOT[key] for key in frontal})
        found.metrics.update(dict.fromkeys(("kasr_min", "valgus_left", "valgus_right", "asymmetry_deg", "lateral_shift")))
    if view.supports("forward_lean"):
        found.add(judge_trunk_lean(rf, th)).add(judge_heel_rise(rf, th))
    else:
        found.not_judged.update({key: WHY_NOT[key] for key in ("forward_lean", "heel_rise")})
        found.metrics.update(dict.fromkeys(("trunk_lean_deg", "trunk_tibia_divergence_deg", "heel_rise")))
    found.metrics.update(tempo(rf))
    found.metrics["leg_px"] = rounded(leg_px, 0)
    if win.opens_at_cut:
        found.not_judged["descent_s"] = WHY_DESCENT_CUT

    leg_vis = sig.lower_visibility[rf.idx][:, rf.leg] if view.view == "side" else sig.lower_visibility[rf.idx]
    confidence = float(np.clip(np.nanmean(leg_vis), 0, 1) * np.sqrt(view.confidence) * sig.valid[rf.idx].mean())
    flags = found.flags
    return {
        "index": index,
        "start_s": rounded(t[win.start], 3),
        "bottom_s": rounded(t[win.bottom], 3),
        "end_s": rounded(t[win.end], 3),
        "flags": [f["code"] for f in flags],
        "metrics": found.metrics,
        "confidence": round(confidence, 2),
        "cues": cues_for(flags),
        "view": view.view,
        "stance": "single_leg" if single_leg else "double_leg",
        "severity": max((f["severity"] for f in flags), key=SEVERITY_ORDER.__getitem__, default="ok"),
        "flag_details": flags,
        "valgus": valgus,
        "not_judged": found.not_judged,
    }


def judge_depth(rf: RepFrames, view: ViewVerdict, th: Thresholds) -> Finding:
    """Depth: hip vs knee height (exact from the side, approximate from the front)."""
    sig, win, t, n = rf.sig, rf.win, rf.sig.t, rf.n_sustain
    out = Finding()
    side = view.view == "side"
    hip_knee = sig.hip_knee[rf.loaded, rf.leg] if side else row_mean(sig.hip_knee[rf.loaded])
    depth_ratio = sustained_max(hip_knee, n)
    flex = sig.knee_flexion[rf.loaded, rf.leg] if side else row_mean(sig.knee_flexion[rf.loaded])
    near_bottom = np.abs(t - t[win.bottom]) <= th.depth_visibility_window.value
    hip_knee_vis = min(float(np.nanmean(sig.hip_visibility[near_bottom])),
                       float(np.nanmean(np.nanmax(sig.knee_visibility[near_bottom], axis=1))))
    out.metrics.update(depth_ratio=rounded(depth_ratio), squat_depth=rounded(win.peak_depth),
                       knee_flexion_deg=rounded(sustained_max(flex, n), 1),
                       depth_method="side: hip vs knee height" if side else "approximate from this view",
                       hip_knee_visibility=rounded(hip_knee_vis, 2))
    if not view.supports("depth"):
        out.not_judged["depth"] = WHY_NOT["depth"]
    elif hip_knee_vis < th.depth_min_visibility.value:
        out.not_judged["depth"] = ("The hips or knees were not clearly visible at the bottom (dark or baggy clothes, "
                                   "a plate or rack in the way), so depth is not judged. Film with the hips and knees in clear view.")
    else:
        limit = -th.side_depth_tolerance.value if side else th.front_shallow_depth.value
        # From the side the hip's height over the knee is read as it is. From the front a camera
        # looking down makes a thigh leaning back look steeper than it is (a parallel thigh under a
        # 30° look-down reads 35° above level). The look-down is read at the feet, and a camera above
        # the thighs sees them less steeply, so the thigh read as if seen that steeply is the deepest
        # the reading can mean: shallow when even that is shallow; not judged, with the reason, when
        # only the reading as seen is (synthetic deep squats under a camera looking down 20-40° were
        # called shallow on 19-26 % of reps).
        value = depth_ratio
        if not side:
            value = float(g.level_hip_knee(depth_ratio, rf.look_down_tan))
            out.metrics["depth_ratio_deepest"] = rounded(value)
        if np.isfinite(value) and value < limit:
            out.flags.append({"code": "shallow", "severity": "major" if value < limit - 0.3 else "minor",
                              "value": rounded(value), "threshold": limit, "approximate": not side,
                              **({} if side else {"value_as_seen": rounded(depth_ratio)})})
        elif np.isfinite(depth_ratio) and depth_ratio < limit:
            out.not_judged["depth"] = WHY_DEPTH_LOOK_DOWN.format(deg=np.degrees(np.arctan(rf.look_down_tan)))
    return out


WHY_DEPTH_LOOK_DOWN = ("The camera looks down on the thighs (about {deg:.0f}° at the feet), which makes them look "
                       "steeper than they are: this rep reads shallow as seen, but not once that is allowed for, so "
                       "depth is not judged. Film with the phone at hip height, or from the side for depth.")


def judge_asymmetry(rf: RepFrames, th: Thresholds) -> Finding:
    """The two legs' inward FPPA changes differ by more than the smallest detectable difference.

    Only inward (valgus-direction) change counts: both knees pushing out by different amounts is
    not a fault; only frames where both thighs are seen well enough for FPPA.
    """
    sig = rf.sig
    inward = [np.maximum(sig.fppa[rf.loaded, k] - rf.baseline(sig.fppa[:, k]), 0.0) for k in range(2)]
    gated = (sig.thigh_ratio[rf.loaded] >= th.fppa_min_thigh.value).all(axis=1)
    asym = sustained_max(np.where(gated, np.abs(inward[0] - inward[1]), np.nan), rf.n_sustain)
    out = Finding(metrics={"asymmetry_deg": rounded(asym, 1)})
    if np.isfinite(asym) and asym > th.asymmetry.value:
        out.flags.append({"code": "asymmetry", "severity": "minor", "value": rounded(asym, 1),
                          "threshold": th.asymmetry.value})
    return out


def judge_lateral_shift(rf: RepFrames, th: Thresholds) -> Finding:
    """Hips drifting sideways off the centre of the feet, from standing."""
    shift = rf.hip_shift()
    lat = sustained_max(np.abs(shift), rf.n_sustain)
    out = Finding(metrics={"lateral_shift": rounded(lat)})
    if np.isfinite(lat) and lat > th.lateral_shift.value:
        out.flags.append({"code": "lateral_shift", "severity": "minor", "value": rounded(lat),
                          "threshold": th.lateral_shift.value, "direction": "left" if np.nanmean(shift) > 0 else "right"})
    return out


def judge_trunk_lean(rf: RepFrames, th: Thresholds) -> Finding:
    """Trunk leaning further forward than the shin (side view)."""
    sig = rf.sig
    lean = rf.peak(sig.trunk_angle - sig.tibia_angle[:, rf.leg])
    out = Finding(metrics={"trunk_lean_deg": rounded(rf.peak(sig.trunk_angle), 1),
                           "trunk_tibia_divergence_deg": rounded(lean, 1)})
    if np.isfinite(lean) and lean > th.trunk_tibia_divergence.value:
        out.flags.append({"code": "forward_lean", "severity": "minor", "value": rounded(lean, 1),
                          "threshold": th.trunk_tibia_divergence.value})
    return out


WHY_DESCENT_CUT = "The video cuts to another shot during the way down, so the descent's duration is not known."
WHY_HEEL_OUT = "The heel was out of the picture, so heel rise was not judged: keep the feet in frame."


def judge_heel_rise(rf: RepFrames, th: Thresholds) -> Finding:
    """Heel lifting off the floor, from standing, in shank lengths (side view).

    Not judged when the heel was out of the picture on much of the rep (a close-up that cuts the feet).
    """
    heel = rf.sig.heel_y[:, rf.leg]
    if np.mean(np.isfinite(heel[rf.loaded])) < th.movement_min_seen.value or not np.isfinite(rf.baseline(heel)):
        return Finding(metrics={"heel_rise": None}, not_judged={"heel_rise": WHY_HEEL_OUT})
    rise = rf.peak(rf.baseline(heel) - heel)
    out = Finding(metrics={"heel_rise": rounded(rise)})
    if np.isfinite(rise) and rise > th.heel_rise.value:
        out.flags.append({"code": "heel_rise", "severity": "minor", "value": rounded(rise), "threshold": th.heel_rise.value})
    return out


def tempo(rf: RepFrames) -> dict:
    """Descent, pause at the bottom (≥ 95 % of peak depth) and ascent durations, seconds."""
    sig, win, t = rf.sig, rf.win, rf.sig.t
    deep = rf.idx[sig.depth[rf.idx] >= 0.95 * win.peak_depth]
    # a rep that opens at a cut showed only the end of its descent
    return {"descent_s": None if win.opens_at_cut else rounded(t[win.bottom] - t[win.start], 2),
            "ascent_s": rounded(t[win.end] - t[win.bottom], 2),
            "pause_s": rounded(t[deep[-1]] - t[deep[0]], 2) if len(deep) else 0.0}
