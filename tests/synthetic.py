"""Synthetic squatting skeletons with exactly known geometry, for engine tests.

A planar stick figure: fixed ankles, shank and thigh of equal length L, knee flexion θ(t)
split as the shank tilting forward by α = 0.3θ and the thigh back by β = 0.7θ from vertical
(so the thigh is horizontal, "parallel", at θ ≈ 129°).
Front view: the person faces the camera (their left = image right); a rep's knees move
laterally (``knee_track`` > 0: out over the toes) or medially (< 0: valgus) in proportion to
sin(θ/2). Side view: the figure faces image-left, hips move back as knees move forward.
"""

from __future__ import annotations

import numpy as np

from vision.landmarks import (L_ANKLE, L_FOOT, L_HEEL, L_HIP, L_KNEE, L_SHOULDER, NOSE, NUM_LANDMARKS,
                              R_ANKLE, R_FOOT, R_HEEL, R_HIP, R_KNEE, R_SHOULDER)
from vision.track import PoseTrack

L = 100.0          # thigh = shank length, px
GROUND = 600.0
CX = 320.0


def flexion_profile(t: np.ndarray, reps: list[tuple[float, float, float]], pause: float = 0.0) -> np.ndarray:
    """Knee flexion (deg) over time: each rep (start_s, duration_s, peak_deg) a smooth cosine dip."""
    theta = np.zeros_like(t)
    for start, dur, peak in reps:
        down = (dur - pause) / 2
        for i, ti in enumerate(t):
            u = ti - start
            if 0 <= u < down:
                theta[i] = peak * (1 - np.cos(np.pi * u / down)) / 2
            elif down <= u < down + pause:
                theta[i] = peak
            elif down + pause <= u <= dur:
                theta[i] = peak * (1 + np.cos(np.pi * (u - down - pause) / down)) / 2
    return theta


def shank_thigh_tilt(theta_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shank and thigh tilt from vertical (radians) for knee flexion θ: α = 0.3θ, β = 0.7θ."""
    theta = np.radians(np.asarray(theta_deg, float))
    return 0.3 * theta, 0.7 * theta


def front_squat_track(t: np.ndarray, theta_deg: np.ndarray, knee_track: np.ndarray | float = 0.3,
                      ankle_half: float = 60.0, hip_half: float = 45.0, scale: np.ndarray | float = 1.0,
                      noise_px: float = 0.0, seed: int = 0) -> PoseTrack:
    """(T,) times and knee flexion → PoseTrack of a front-view squat.

    ``knee_track``: knee lateral travel at full flexion in units of L (per frame or scalar);
    negative = knees cave in.
    """
    T = len(t)
    alpha, beta = shank_thigh_tilt(theta_deg)
    kt = np.broadcast_to(np.asarray(knee_track, float), (T,))
    s = np.broadcast_to(np.asarray(scale, float), (T,))
    xy = np.full((T, NUM_LANDMARKS, 2), np.nan)
    for side, (hip, knee, ankle, heel, foot, sh) in {+1: (L_HIP, L_KNEE, L_ANKLE, L_HEEL, L_FOOT, L_SHOULDER),
                                                     -1: (R_HIP, R_KNEE, R_ANKLE, R_HEEL, R_FOOT, R_SHOULDER)}.items():
        ax = CX + side * ankle_half
        knee_y = GROUND - L * np.cos(alpha)
        hip_y = knee_y - L * np.cos(beta)
        xy[:, ankle] = np.stack([np.full(T, ax), np.full(T, GROUND)], 1)
        xy[:, knee] = np.stack([ax + side * kt * L * np.sin(np.radians(theta_deg) / 2), knee_y], 1)
        xy[:, hip] = np.stack([np.full(T, CX + side * hip_half), hip_y], 1)
        xy[:, heel] = np.stack([np.full(T, ax), np.full(T, GROUND + 8)], 1)
        xy[:, foot] = np.stack([np.full(T, ax + side * 10), np.full(T, GROUND + 25)], 1)
        xy[:, sh] = np.stack([np.full(T, CX + side * 70), hip_y - 2.2 * L], 1)
    xy[:, NOSE] = np.stack([np.full(T, CX), xy[:, L_SHOULDER, 1] - 60], 1)
    return _finish(t, xy, s, noise_px, seed)


def side_squat_track(t: np.ndarray, theta_deg: np.ndarray, trunk_lean_extra: float = 0.0, heel_lift: np.ndarray | float = 0.0,
                     noise_px: float = 0.0, seed: int = 0) -> PoseTrack:
    """Side view, facing image-left.

    Shank forward by α, thigh back by β (see ``shank_thigh_tilt``). The trunk leans forward
    parallel to the shank, plus ``trunk_lean_extra`` degrees × θ/θ_max.
    """
    T = len(t)
    alpha, beta = shank_thigh_tilt(theta_deg)
    lift = np.broadcast_to(np.asarray(heel_lift, float), (T,))
    xy = np.full((T, NUM_LANDMARKS, 2), np.nan)
    ax, ay = np.full(T, CX), np.full(T, GROUND)
    kx, ky = ax - L * np.sin(alpha), ay - L * np.cos(alpha)
    hx, hy = kx + L * np.sin(beta), ky - L * np.cos(beta)
    lean = alpha + np.radians(trunk_lean_extra) * (theta_deg / max(theta_deg.max(), 1e-9))
    sx, sy = hx - 2.2 * L * np.sin(lean), hy - 2.2 * L * np.cos(lean)
    for k, (hip, knee, ankle, heel, foot, sh) in enumerate(((L_HIP, L_KNEE, L_ANKLE, L_HEEL, L_FOOT, L_SHOULDER),
                                                            (R_HIP, R_KNEE, R_ANKLE, R_HEEL, R_FOOT, R_SHOULDER))):
        d = 3.0 * (1 if k == 0 else -1)  # the two sides almost overlap
        xy[:, ankle] = np.stack([ax + d, ay], 1)
        xy[:, knee] = np.stack([kx + d, ky], 1)
        xy[:, hip] = np.stack([hx + d, hy], 1)
        xy[:, heel] = np.stack([ax + 15 + d, ay + 8 - lift * L], 1)
        xy[:, foot] = np.stack([ax - 25 + d, ay + 10], 1)
        xy[:, sh] = np.stack([sx + 2 * d, sy], 1)
    xy[:, NOSE] = np.stack([xy[:, L_SHOULDER, 0] - 30, xy[:, L_SHOULDER, 1] - 60], 1)
    return _finish(t, xy, 1.0, noise_px, seed)


def _finish(t, xy, scale, noise_px, seed) -> PoseTrack:
    T = len(t)
    s = np.broadcast_to(np.asarray(scale, float), (T,))
    xy = (xy - [CX, GROUND]) * s[:, None, None] + [CX, GROUND]
    if noise_px:
        xy = xy + np.random.default_rng(seed).normal(0, noise_px, xy.shape)
    vis = np.where(np.isnan(xy[..., 0]), 0.0, 0.99)
    xy = np.where(np.isnan(xy), 0.0, xy)  # unset landmarks (face, hands): parked, invisible
    return PoseTrack(t=np.asarray(t, float), xy=xy, visibility=vis, presence=np.full((T, NUM_LANDMARKS), 0.99),
                     world=np.zeros((T, NUM_LANDMARKS, 3)), people=np.ones(T, int), width=640, height=720)
