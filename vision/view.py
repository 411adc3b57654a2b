"""Camera view (front / side / oblique / unknown) and capture-quality checks.

View is judged on standing frames from the shoulder-width / torso-length ratio (DESIGN §3 /
research spec: > 0.5 frontal, < 0.2 side-on, else oblique) plus two cues that catch what that
ratio misses: the head's offset from the shoulder midline (a body turned ~30–45° whose shoulders
still look wide) and the feet's horizontal separation (side-on the ankles overlap, whatever a
barbell plate in front of the shoulders makes the shoulder estimate say; from the front a squat
stance keeps them apart).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from vision.reps import RepWindow
from vision.signals import STANDING_DEPTH, Signals
from vision.thresholds import Thresholds

VIEWS = ("front", "side", "oblique", "unknown")

REFILM_TIP = ("Re-film with the phone on a tripod at knee-to-hip height, about 3 m away, the whole body "
              "(head to feet) in frame, facing the camera squarely for knees, or turned 90° for depth.")


@dataclass(frozen=True)
class ViewVerdict:
    view: str            # one of VIEWS
    confidence: float    # 0–1: how clearly the measurements sit inside the class
    shoulder_ratio: float
    nose_offset: float
    # the camera's turn from the way the planted feet point (valgus.feet_yaw_deg), read once per rep
    # by rep_view; NaN where a foot is not seen or nobody read it (a clip-wide view)
    feet_yaw_deg: float = float("nan")

    def supports(self, metric: str) -> bool:
        """Whether this view can judge ``metric`` (see METRIC_VIEWS)."""
        return self.view in METRIC_VIEWS.get(metric, ())


# Which camera views can judge which metric (a rear view is a frontal-plane view too).
METRIC_VIEWS = {
    "valgus": ("front",),
    # the knees judged at all: against their own toes off the front too (facing the camera), with
    # clear there only up to a turn the feet can read (vision.assess.assess_rep)
    "knees_against_toes": ("front", "oblique"),
    "lateral_shift": ("front",),
    "asymmetry": ("front",),
    "depth": ("side", "front", "oblique"),
    "depth_exact": ("side",),
    "forward_lean": ("side",),
    "heel_rise": ("side",),
    "tempo": ("front", "side", "oblique"),
}

WHY_NOT = {
    "valgus": "Knee valgus needs a front (or rear) view: film facing the camera squarely.",
    "lateral_shift": "Side-to-side shift needs a front view.",
    "asymmetry": "Left/right comparison needs a front view.",
    "depth": "Depth needs the hips and knees in view.",
    "forward_lean": "Trunk lean needs a side view: turn 90° to the camera.",
    "heel_rise": "Heel rise needs a side view: turn 90° to the camera.",
    "tempo": "Tempo needs the lower body in view.",
}


def _median(x: np.ndarray, mask: np.ndarray, default: float = float("nan")) -> float:
    v = x[mask]
    v = v[~np.isnan(v)]
    return float(np.median(v)) if len(v) else default


def classify_view(shoulder_ratio: np.ndarray, nose_offset: np.ndarray, mask: np.ndarray,
                  ankle_ratio: np.ndarray | None, th: Thresholds) -> ViewVerdict:
    """View over the frames in ``mask`` (standing frames of a rep or of the whole clip).

    Args:
        shoulder_ratio, nose_offset, ankle_ratio: (T,) from :class:`Signals`.
        mask: (T,) bool frames to use.
    """
    ratio = _median(shoulder_ratio, mask)
    if np.count_nonzero(mask & ~np.isnan(shoulder_ratio)) < 3:
        return ViewVerdict("unknown", 0.0, float("nan"), float("nan"))
    nose = _median(nose_offset, mask, 0.0)
    front_min_ankle = th.view_front_min_ankle.value
    feet = _median(ankle_ratio, mask, front_min_ankle) if ankle_ratio is not None else front_min_ankle
    if ratio < th.view_side_max_shoulder.value or feet < th.view_side_max_ankle.value:
        conf = max((th.view_side_max_shoulder.value - ratio) / 0.1, (th.view_side_max_ankle.value - feet) / 0.1)
        return ViewVerdict("side", float(np.clip(conf, 0.3, 1.0)), ratio, nose)
    if (ratio > th.view_front_min_shoulder.value and nose <= th.view_front_max_nose_offset.value
            and feet >= front_min_ankle):
        conf = min((ratio - th.view_front_min_shoulder.value) / 0.1, (th.view_front_max_nose_offset.value - nose) / 0.1,
                   (feet - front_min_ankle) / 0.1)
        return ViewVerdict("front", float(np.clip(conf, 0.3, 1.0)), ratio, nose)
    return ViewVerdict("oblique", 0.7, ratio, nose)


def standing_mask(sig: Signals) -> np.ndarray:
    return sig.valid & (sig.depth <= STANDING_DEPTH)


@dataclass(frozen=True)
class Quality:
    person_fraction: float      # frames with a person
    body_in_frame: float        # of those, frames with hips-to-ankles in frame and visible
    multi_person_fraction: float
    mean_visibility: float
    score: float                # 0–1 overall
    notes: tuple[str, ...]


def assess_quality(sig: Signals, people: np.ndarray) -> Quality:
    present = people > 0
    n = max(len(people), 1)
    person_fraction = float(present.sum() / n)
    body = float(sig.valid[present].mean()) if present.any() else 0.0
    multi = float((people >= 2)[present].mean()) if present.any() else 0.0
    vis = float(np.nanmean(sig.visibility[present])) if present.any() else 0.0
    notes = []
    if person_fraction < 0.95 and present.any():
        notes.append(f"No person in {100 * (1 - person_fraction):.0f}% of the frames.")
    if present.any() and body < 0.9:
        notes.append(f"Hips, knees or ankles out of frame or hidden in {100 * (1 - body):.0f}% of the frames with a person.")
    if multi > 0.1:
        notes.append(f"More than one person in view in {100 * multi:.0f}% of the frames.")
    if present.any() and vis < 0.8:
        notes.append("Landmarks are often unclear (dim light, baggy clothes or occlusion).")
    if not notes and present.any():
        notes.append("Whole body in frame and clearly visible.")
    score = float(np.clip(person_fraction * body * min(1.0, vis / 0.9) * (1 - 0.5 * multi), 0, 1))
    return Quality(person_fraction, body, multi, vis, score, tuple(notes))


def rep_view(sig: Signals, win: RepWindow, forced: str | None, th: Thresholds, single_leg: bool = False,
             feet_yaw_deg: float = float("nan")) -> ViewVerdict:
    """The camera view for one rep: standing frames around it, checked against the loaded phase.

    A person can stand square to the camera between reps yet turn during the squat, and the
    shoulders and head while standing do not tell a camera 20-30° off the front from one square on;
    a front verdict then holds only if the head stays on the shoulder midline while loaded. But
    the head comes forward in a squat, so its sideways offset grows with the trunk's lean as much
    as with the camera's turn (synthetic squats leaning 0-30° more than their shins: half the reps
    filmed 15-20° off the front read oblique). The planted feet vouch for a front view the head
    doubts: ``feet_yaw_deg`` (half the two feet's turn-out difference in the picture,
    ``valgus.feet_yaw_deg``; NaN when a foot is not seen) up to ``view_front_max_feet_yaw``. Where
    the feet are seen, both must say turned for an oblique verdict, as each alone misreads: the
    head a leaning trunk, the feet one toe point's 9° error. A single-leg squat is judged from the
    shoulders and head only: its feet are not side by side.
    """
    if forced:
        return ViewVerdict(forced, 1.0, float("nan"), float("nan"), feet_yaw_deg)
    t = sig.t
    near = (t >= t[win.start] - th.view_context.value) & (t <= t[win.end] + th.view_context.value)
    if single_leg:  # standing on one leg is the rep's own top, not depth ≈ 0 on two feet
        near &= sig.valid & (sig.depth <= 0.5 * win.peak_depth)
        verdict = classify_view(sig.shoulder_ratio, sig.nose_offset, near, None, th)
    else:
        verdict = classify_view(sig.shoulder_ratio, sig.nose_offset, near & standing_mask(sig), sig.ankle_ratio, th)
    square_feet = np.isfinite(feet_yaw_deg) and feet_yaw_deg <= th.view_front_max_feet_yaw.value
    if verdict.view == "front" and not square_feet:
        idx = np.arange(win.start, win.end + 1)
        loaded = idx[sig.depth[idx] >= 0.5 * win.peak_depth]
        turned = np.nanmedian(sig.nose_offset[loaded]) if len(loaded) else 0.0
        if turned > th.view_front_max_nose_offset.value:
            return ViewVerdict("oblique", 0.7, verdict.shoulder_ratio, float(turned), feet_yaw_deg)
    return replace(verdict, feet_yaw_deg=feet_yaw_deg)
