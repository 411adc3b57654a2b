"""Per-frame squat signals from a cleaned ``PoseTrack``: depth, valgus measures, trunk, heels.

Everything is normalised by the person's own standing proportions, measured on nearby
standing frames, so results do not depend on camera distance, zoom or resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vision import geometry as g
from vision.filters import clean_series, MIN_VISIBILITY
from vision.landmarks import (L_ANKLE, L_FOOT, L_HEEL, L_HIP, L_KNEE, L_SHOULDER, LOWER_BODY,
                              R_ANKLE, R_FOOT, R_HEEL, R_HIP, R_KNEE, R_SHOULDER)
from vision.track import PoseTrack

# Local, not in thresholds.py: how the signals are measured (shared with vision/live.py), not a verdict rule.
STANDING_WINDOW_S = 4.0   # each side: long enough to always include the top of a slow rep
STANDING_PERCENTILE = 90  # robust "legs straight" hip–ankle length
EDGE_MARGIN = 0.02        # [heuristic] a joint on the frame's edge (a shoe cut by the bottom edge) is estimated up to ~2% outside it
STANDING_DEPTH = 0.05     # frames shallower than this count as standing for baselines

LEGS = ((L_HIP, L_KNEE, L_ANKLE, L_HEEL, L_FOOT), (R_HIP, R_KNEE, R_ANKLE, R_HEEL, R_FOOT))


@dataclass(frozen=True)
class Signals:
    """Aligned per-frame signals; shapes (T,) or (T, 2) for [left, right] legs.

    depth: 0 standing → ~0.5 at parallel: 1 − hip–ankle length / its standing length.
    valid: lower body seen well enough to judge this frame.
    """

    t: np.ndarray
    valid: np.ndarray
    shot: np.ndarray          # (T,) shot number (edited clips: +1 after each hard cut)
    depth: np.ndarray
    knee_flexion: np.ndarray
    kasr: np.ndarray
    khr: np.ndarray
    fppa: np.ndarray
    knee_medial: np.ndarray   # knee offset inside the ankle, in standing hip widths (T, 2)
    thigh_ratio: np.ndarray   # projected thigh length / standing thigh length (T, 2)
    hip_knee: np.ndarray      # (y_hip − y_knee) / standing thigh length (T, 2): ≈ −1 standing, ≥ 0 parallel
    trunk_angle: np.ndarray   # mid-hip→mid-shoulder from vertical (T,)
    tibia_angle: np.ndarray   # ankle→knee from vertical (T, 2)
    heel_y: np.ndarray        # (T, 2) in standing shank lengths, image y down; NaN where the heel is out of frame
    lateral_shift: np.ndarray  # hips off the feet's centre / ankle width, across the standing body axis (T,), + = towards the person's left
    shoulder_ratio: np.ndarray  # shoulder width / torso length (T,): ≈ 0.6 facing, ≈ 0 side on
    nose_offset: np.ndarray   # |nose x − mid-shoulder x| / shoulder width (T,): head turned / body oblique
    ankle_ratio: np.ndarray   # horizontal ankle separation / torso length (T,): ≈ 0 side-on, ≥ 0.5 facing
    torso_ratio: np.ndarray   # projected torso length / standing torso length (T,): < 0.5 = bent far over
    ankle_pos: np.ndarray     # (T, 2, 2) ankle xy in standing leg lengths (for the planted-feet check)
    ankle_visibility: np.ndarray  # (T, 2)
    knee_visibility: np.ndarray   # (T, 2)
    hip_visibility: np.ndarray    # (T,) mean of the two hips
    visibility: np.ndarray    # mean lower-body visibility (T,)
    lower_visibility: np.ndarray  # (T, 2) per-leg mean visibility of hip/knee/ankle
    # --- the knee against the foot (front view), per leg, in standing shank lengths
    knee_lateral: np.ndarray  # (T, 2) knee's offset from its ankle, + = outwards (away from the midline)
    toe_lateral: np.ndarray   # (T, 2) foot index's offset from its ankle, + = outwards (feet turned out)
    toe_drop: np.ndarray      # (T, 2) foot index below its ankle (image y down): how far the camera looks down at the feet
    knee_forward: np.ndarray  # (T, 2) the shank's out-of-image-plane length: how far the knee went forward
    foot_visibility: np.ndarray  # (T, 2) the worse of ankle and foot-index visibility
    facing_camera: np.ndarray    # (T,) bool: the left hip on the image's right (False: filmed from behind)
    # --- posture, for telling squats from lunges, burpees and hinges
    shank_vertical: np.ndarray  # (T, 2) (y_ankle − y_knee) / standing shank: ≈ 1 upright shin, ≈ 0 folded back
    torso_upright: np.ndarray   # (T,) (y_hip − y_shoulder) / standing torso: ≈ 1 upright, ≈ 0 horizontal
    hip_height: np.ndarray      # (T,) (y_ankle − y_hip) / standing hip–ankle length: ≈ 1 standing, ≈ 0.3 in a plank
    hip_pos: np.ndarray         # (T, 2) mid-hip image xy in standing leg lengths (y down), as ``ankle_pos``
    leg_shortening: np.ndarray  # (T, 2) 1 − each leg's hip–ankle length / its standing length: ≈ 0 straight
    knee_off_leg: np.ndarray    # (T, 2) each knee's distance from its hip–ankle segment, standing leg lengths: ≈ 0 straight, however foreshortened
    leg_px: np.ndarray          # (T,) standing hip–ankle length in the pixels the pose model saw (how coarse the landmarks are)

    def __len__(self) -> int:
        return len(self.t)


def clean_track(track: PoseTrack, shots: np.ndarray | None = None) -> PoseTrack:
    """Fill short gaps, reject outliers and low-pass every coordinate (zero phase).

    Low-visibility points are kept here, not dropped: MediaPipe's guess for an occluded far leg
    still moves with the body, and each metric gates on visibility itself (see ``valid``).
    """
    from dataclasses import replace

    xy = track.xy
    out = xy.copy()
    shots = np.zeros(len(track), int) if shots is None else shots
    fs = None if len(track) < 2 else 1.0 / float(np.median(np.diff(track.t)))
    for shot in np.unique(shots):
        sel = np.flatnonzero(shots == shot)   # never filter across a hard cut
        out[sel] = clean_series(track.t[sel], xy[sel].reshape(len(sel), -1), fs).reshape(xy[sel].shape)
    return replace(track, xy=out)


def rolling_nanstat(t: np.ndarray, x: np.ndarray, half_window_s: float, stat, causal: bool = False,
                    groups: np.ndarray | None = None) -> np.ndarray:
    """Apply ``stat`` (e.g. a percentile) to x over a time window around each frame: (T,) -> (T,).

    ``causal`` uses only the past (live use); ``groups`` (T,) keeps windows inside one group
    (a shot of an edited clip). Frames are binned in 0.25 s steps so the cost stays linear.
    """
    out = np.full(len(t), np.nan)
    if len(t) == 0:
        return out
    if groups is not None and len(np.unique(groups)) > 1:
        for g_id in np.unique(groups):
            sel = groups == g_id
            out[sel] = rolling_nanstat(t[sel], x[sel], half_window_s, stat, causal)
        return out
    step = 0.25
    bins = np.floor((t - t[0]) / step).astype(int)
    for b in np.unique(bins):
        centre = t[0] + (b + 0.5) * step
        lo = centre - half_window_s
        hi = centre if causal else centre + half_window_s
        sel = (t >= lo) & (t <= hi)
        vals = x[sel]
        vals = vals[~np.isnan(vals)]
        if len(vals):
            out[bins == b] = stat(vals)
    return out


def compute_signals(track: PoseTrack, *, causal: bool = False, shots: np.ndarray | None = None) -> Signals:
    """Per-frame signals of a cleaned track (see :class:`Signals`); references stay within ``shots``."""
    P = lambda i: track.xy[:, i]  # noqa: E731
    t = track.t
    vis = track.visibility
    lower_vis = np.stack([vis[:, [h, k, a]].mean(axis=1) for h, k, a, _, _ in LEGS], axis=1)
    in_frame = _inside(track, LOWER_BODY, EDGE_MARGIN)
    valid = in_frame & (vis[:, list(LOWER_BODY)].mean(axis=1) >= MIN_VISIBILITY) & ~np.isnan(P(L_HIP)[:, 0])

    def straight_ref(x):  # the robust "legs straight" length around each frame
        return rolling_nanstat(t, x, STANDING_WINDOW_S, lambda v: np.percentile(v, STANDING_PERCENTILE), causal, shots)

    chords = np.where(valid[:, None], np.stack([g.distance(P(h), P(a)) for h, _, a, _, _ in LEGS], axis=1), np.nan)
    chord = chords.mean(axis=1)
    chord_ref = straight_ref(chord)
    depth = 1.0 - chord / chord_ref
    standing = valid & (depth <= STANDING_DEPTH)

    def standing_ref(x):
        return rolling_nanstat(t, np.where(standing, x, np.nan), STANDING_WINDOW_S, np.median, causal, shots)

    hip_w = standing_ref(g.distance(P(L_HIP), P(R_HIP)))
    ankle_w = g.horizontal_separation(P(L_ANKLE), P(R_ANKLE))
    thigh = np.stack([standing_ref(g.distance(P(h), P(k))) for h, k, *_ in LEGS], axis=1)
    shank = np.stack([standing_ref(g.distance(P(k), P(a))) for _, k, a, _, _ in LEGS], axis=1)

    knee_flexion = np.stack([g.knee_flexion(P(h), P(k), P(a)) for h, k, a, _, _ in LEGS], axis=1)
    medial = np.stack([g.medial_sign(P(L_HIP), P(R_HIP)), g.medial_sign(P(R_HIP), P(L_HIP))], axis=1)
    fppa = np.stack([g.fppa(P(h), P(k), P(a), medial[:, i]) for i, (h, k, a, _, _) in enumerate(LEGS)], axis=1)
    knee_medial = np.stack(
        [g.medial_offset(P(k), P(a), medial[:, i]) for i, (_, k, a, _, _) in enumerate(LEGS)], axis=1
    ) / hip_w[:, None]
    thigh_ratio = np.stack([g.distance(P(h), P(k)) for h, k, *_ in LEGS], axis=1) / thigh
    hip_knee = np.stack([P(h)[:, 1] - P(k)[:, 1] for h, k, *_ in LEGS], axis=1) / thigh
    mid_sh = g.midpoint(P(L_SHOULDER), P(R_SHOULDER))
    mid_hip = g.midpoint(P(L_HIP), P(R_HIP))
    mid_ankle = g.midpoint(P(L_ANKLE), P(R_ANKLE))
    torso = g.distance(mid_sh, mid_hip)
    torso_ref = standing_ref(torso)
    sh_w = g.distance(P(L_SHOULDER), P(R_SHOULDER))
    leg = (thigh + shank).mean(axis=1)
    # the person's own vertical while standing: sideways shift is measured across it, so a camera
    # rolled a few degrees does not turn the hips' descent into a sideways drift
    roll = np.nan_to_num(standing_ref(g.body_roll(mid_ankle, mid_sh)), nan=0.0)
    outwards = -medial
    knee_lateral = np.stack([g.medial_offset(P(k), P(a), outwards[:, i]) for i, (_, k, a, _, _) in enumerate(LEGS)],
                            axis=1) / shank
    toe_lateral = np.stack([g.medial_offset(P(f), P(a), outwards[:, i]) for i, (_, _, a, _, f) in enumerate(LEGS)],
                           axis=1) / shank
    knee_forward = np.stack([g.out_of_plane_length(P(a), P(k), shank[:, i]) for i, (_, k, a, _, _) in enumerate(LEGS)],
                            axis=1) / shank
    with np.errstate(divide="ignore", invalid="ignore"):
        return Signals(
            t=t,
            valid=valid,
            shot=np.zeros(len(t), int) if shots is None else np.asarray(shots),
            depth=depth,
            knee_flexion=knee_flexion,
            kasr=g.separation_ratio(P(L_KNEE), P(R_KNEE), P(L_ANKLE), P(R_ANKLE)),
            khr=g.separation_ratio(P(L_KNEE), P(R_KNEE), P(L_HIP), P(R_HIP)),
            fppa=fppa,
            knee_medial=knee_medial,
            thigh_ratio=thigh_ratio,
            hip_knee=hip_knee,
            trunk_angle=g.segment_angle_from_vertical(mid_hip, mid_sh),
            tibia_angle=np.stack([g.segment_angle_from_vertical(P(a), P(k)) for _, k, a, _, _ in LEGS], axis=1),
            # a heel outside the picture is MediaPipe's guess: no heel height there
            heel_y=np.stack([np.where(_inside(track, (hl,)), P(hl)[:, 1], np.nan) for *_, hl, _ in LEGS],
                            axis=1) / shank,
            # signed so + means towards the person's LEFT hip, whichever way they face
            lateral_shift=g.lateral_shift(g.across_body(mid_hip, roll), g.across_body(mid_ankle, roll),
                                          np.abs(g.across_body(P(L_ANKLE) - P(R_ANKLE), roll))) * -medial[:, 0],
            shoulder_ratio=sh_w / torso,
            nose_offset=np.abs(P(0)[:, 0] - mid_sh[:, 0]) / sh_w,
            ankle_ratio=ankle_w / torso,
            torso_ratio=torso / torso_ref,
            ankle_pos=np.stack([P(L_ANKLE), P(R_ANKLE)], axis=1) / leg[:, None, None],
            ankle_visibility=vis[:, [L_ANKLE, R_ANKLE]],
            knee_visibility=vis[:, [L_KNEE, R_KNEE]],
            hip_visibility=vis[:, [L_HIP, R_HIP]].mean(axis=1),
            visibility=vis[:, list(LOWER_BODY)].mean(axis=1),
            lower_visibility=lower_vis,
            knee_lateral=knee_lateral,
            toe_lateral=toe_lateral,
            knee_forward=knee_forward,
            toe_drop=np.stack([P(f)[:, 1] - P(a)[:, 1] for _, _, a, _, f in LEGS], axis=1) / shank,
            foot_visibility=np.minimum(vis[:, [L_ANKLE, R_ANKLE]], vis[:, [L_FOOT, R_FOOT]]),
            facing_camera=P(L_HIP)[:, 0] > P(R_HIP)[:, 0],
            shank_vertical=np.stack([P(a)[:, 1] - P(k)[:, 1] for _, k, a, _, _ in LEGS], axis=1) / shank,
            torso_upright=(mid_hip[:, 1] - mid_sh[:, 1]) / torso_ref,
            hip_height=(mid_ankle[:, 1] - mid_hip[:, 1]) / chord_ref,
            hip_pos=mid_hip / leg[:, None],
            leg_shortening=1.0 - chords / np.stack([straight_ref(chords[:, k]) for k in range(2)], axis=1),
            knee_off_leg=np.stack([g.distance_from_segment(P(k), P(h), P(a)) for h, k, a, _, _ in LEGS], axis=1)
            / leg[:, None],
            leg_px=chord_ref * track.pose_scale,
        )


def _inside(track: PoseTrack, idx, margin: float = 0.0) -> np.ndarray:
    """(T,) True where all landmarks ``idx`` lie inside the frame (presence high, coords in bounds),
    or at most ``margin`` (a fraction of the frame's width / height) outside it."""
    inside = g.in_frame(track.xy[:, list(idx)], track.width, track.height, margin)
    return np.asarray(inside & (track.presence[:, list(idx)] >= 0.5).all(axis=1))
