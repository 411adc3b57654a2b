"""Synthetic 3D lower-body skeletons with exactly known geometry, seen by a camera from any angle.

World frame of the person: X towards their LEFT, Y up, Z forward (the way they face); the floor
is Y = 0. Segment lengths follow Drillis & Contini (1966) proportions of body height H = 1
(shank 0.246, thigh 0.245, ankle height 0.039, ankle → toe tip 0.116). A camera at yaw ψ (0 = in
front, facing the person; 90 = on the person's left (+X), so they face image-left) and pitch τ
(looking down) projects orthographically into pixels (``SCALE`` px per unit of height); or a
pinhole camera at a height and distance (``project_perspective``), as a phone is.

Squats are built knee first, so the knee's position relative to the foot is exact: it travels
forward along the foot's direction (feet turned out by φ) by the shank's forward tilt, plus an
optional medial displacement ``cave`` (in foot lengths) — the fault being tested.
Lunges and single-leg squats use two-link inverse kinematics from hip and ankle.
"""

from __future__ import annotations

import numpy as np

from vision.landmarks import (L_ANKLE, L_FOOT, L_HEEL, L_HIP, L_KNEE, L_SHOULDER, L_WRIST, NOSE, NUM_LANDMARKS,
                              R_ANKLE, R_FOOT, R_HEEL, R_HIP, R_KNEE, R_SHOULDER, R_WRIST)
from vision.track import PoseTrack

SHANK, THIGH, ANKLE_H, FOOT, TORSO = 0.246, 0.245, 0.039, 0.116, 0.30
HIP_HALF = 0.085
SCALE = 400.0      # px per unit of height
CX, GROUND = 320.0, 650.0
FS = 30.0
LEFT, RIGHT = 0, 1
IDX = {LEFT: (L_HIP, L_KNEE, L_ANKLE, L_HEEL, L_FOOT, L_SHOULDER, L_WRIST),
       RIGHT: (R_HIP, R_KNEE, R_ANKLE, R_HEEL, R_FOOT, R_SHOULDER, R_WRIST)}


def dip(t: np.ndarray, reps: list[tuple[float, float]], pause: float = 0.3) -> np.ndarray:
    """0 → 1 → 0 smooth dips: each rep (start_s, duration_s); 0 standing, 1 at the bottom."""
    q = np.zeros_like(t)
    for start, dur in reps:
        down = (dur - pause) / 2
        u = t - start
        q = np.where((u >= 0) & (u < down), (1 - np.cos(np.pi * u / down)) / 2, q)
        q = np.where((u >= down) & (u < down + pause), 1.0, q)
        q = np.where((u >= down + pause) & (u <= dur), (1 + np.cos(np.pi * (u - down - pause) / down)) / 2, q)
    return q


def turn_about_vertical(v: np.ndarray, angle_rad: float) -> np.ndarray:
    """(3,) person-frame vector ``v`` turned by ``angle_rad`` about the vertical (+Y): + turns +Z
    (forward, towards a camera in front) towards +X (the person's left)."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    return np.array([c * v[0] + s * v[2], v[1], -s * v[0] + c * v[2]])


def _outward(side: int) -> float:
    return 1.0 if side == LEFT else -1.0   # +X is the person's left


def squat_pose(q: float, *, turn_out_deg: float = 15.0, stance_half: float = 0.13, depth_deg: float = 35.0,
               cave: float = 0.0, cave_legs=(LEFT, RIGHT), trunk_extra_deg: float = 0.0, bow_deg: float = 0.0) -> dict:
    """One squat frame at depth fraction q ∈ [0, 1] → {name: (3,) point}.

    The shank tilts forward by ``depth_deg`` · q in the foot's vertical plane (knee over the toes
    at the bottom: 0.246 · sin 35° ≈ 1.2 foot lengths forward); ``cave`` moves the knee medially
    by that many foot lengths × q; ``bow_deg`` tips the trunk forward whatever the legs do.
    """
    phi = np.radians(turn_out_deg)
    alpha = np.radians(depth_deg) * q
    pts = {}
    hip_y = []
    for side in (LEFT, RIGHT):
        o = _outward(side)
        ankle = np.array([o * stance_half, ANKLE_H, 0.0])
        u = np.array([o * np.sin(phi), 0.0, np.cos(phi)])           # foot direction
        horiz = SHANK * np.sin(alpha) * u
        if side in cave_legs:
            horiz = horiz + np.array([-o * cave * FOOT * q, 0.0, 0.0])
        knee = ankle + horiz + np.array([0.0, np.sqrt(SHANK ** 2 - horiz @ horiz), 0.0])
        # the hips sit back as the knees go forward; thigh 2.3× the shank's tilt from vertical
        beta = min(2.3 * alpha, np.radians(100))
        hip_x = o * HIP_HALF
        hz = knee[2] - THIGH * np.sin(beta)
        dx = hip_x - knee[0]
        hy = knee[1] + np.sqrt(max(THIGH ** 2 - dx ** 2 - (hz - knee[2]) ** 2, 1e-6))
        hip_y.append(hy)
        pts[side] = dict(ankle=ankle, knee=knee, hip=np.array([hip_x, hy, hz]),
                         heel=ankle - 0.25 * FOOT * u + np.array([0, -ANKLE_H, 0]),
                         toe=ankle + FOOT * u + np.array([0, -ANKLE_H, 0]))
    return _with_upper_body(pts, lean=alpha + np.radians(trunk_extra_deg) * q + np.radians(bow_deg))


def _with_upper_body(pts: dict, lean: float) -> dict:
    mid = (pts[LEFT]["hip"] + pts[RIGHT]["hip"]) / 2
    up = np.array([0.0, np.cos(lean), np.sin(lean)])
    for side in (LEFT, RIGHT):
        o = _outward(side)
        sh = mid + TORSO * up + np.array([o * 0.11, 0, 0])
        pts[side]["shoulder"] = sh
        pts[side]["wrist"] = sh + np.array([0, -0.02, 0.05])   # hands at the chest (goblet / prisoner)
    pts["nose"] = mid + (TORSO + 0.14) * up + np.array([0, 0, 0.05])
    return pts


def _knee_ik(hip: np.ndarray, ankle: np.ndarray, bend: np.ndarray) -> np.ndarray:
    """Knee of a two-link leg (THIGH, SHANK) from hip to ankle, bending towards ``bend``."""
    d = ankle - hip
    dist = min(np.linalg.norm(d), THIGH + SHANK - 1e-6)
    e = d / np.linalg.norm(d)
    a = (THIGH ** 2 - SHANK ** 2 + dist ** 2) / (2 * dist)
    h = np.sqrt(max(THIGH ** 2 - a ** 2, 0.0))
    perp = bend - (bend @ e) * e
    perp /= np.linalg.norm(perp)
    return hip + a * e + h * perp


def lunge_pose(q: float, *, split: float = 0.30, stance_half: float = 0.10, rear_foot_up: float = 0.05,
               drop: float = 0.30, rear_knee_down: bool = False) -> dict:
    """A static lunge / split squat: LEFT foot forward, RIGHT foot back on its toes (its ankle
    ``rear_foot_up`` higher than the front one's: 0.05 heel up; ~0.25 on a bench, a Bulgarian split
    squat); q lowers the hips by ``drop`` (the rear knee nearly touches the floor). ``rear_knee_down``
    bends the rear knee down towards the floor instead of forwards (a foot up on a bench, level with
    the lowered hips, would otherwise fold the knee up above them)."""
    front_ankle = np.array([stance_half, ANKLE_H, split])
    rear_ankle = np.array([-stance_half, ANKLE_H + rear_foot_up, -split])
    top = np.sqrt((THIGH + SHANK - 0.01) ** 2 - split ** 2) + ANKLE_H
    hip_y = top - q * drop
    pts = {}
    rear_bend = np.array([0, -1.0, 0.3]) if rear_knee_down else np.array([0, 0, 1.0])
    for side, ankle, bend in ((LEFT, front_ankle, np.array([0, 0, 1.0])), (RIGHT, rear_ankle, rear_bend)):
        hip = np.array([_outward(side) * HIP_HALF, hip_y, 0.0])
        knee = _knee_ik(hip, ankle, bend)
        u = np.array([0, 0, 1.0])
        pts[side] = dict(ankle=ankle, knee=knee, hip=hip, heel=ankle - 0.25 * FOOT * u + np.array([0, -ANKLE_H, 0]),
                         toe=ankle + FOOT * u + np.array([0, -ANKLE_H - (0.05 if side == RIGHT else 0), 0]))
    return _with_upper_body(pts, lean=0.1)


def bulgarian_pose(q: float, **kw) -> dict:
    """A Bulgarian split squat: :func:`lunge_pose` with the rear foot up on a bench 0.25 H (45 cm)
    high, each foot 0.25 H from the hips, the hips lowered 0.2 H, the rear knee hanging towards the
    floor below both the hips and the bench."""
    return lunge_pose(q, **{"split": 0.25, "rear_foot_up": 0.25, "drop": 0.20, "rear_knee_down": True, **kw})


def plank_pose() -> dict:
    """A burpee's plank: hands on the floor under the shoulders, body straight from the shoulders to
    the ankles, which are 0.47 H behind the hips."""
    pts = {}
    for side in (LEFT, RIGHT):
        o = _outward(side)
        hip, ankle = np.array([o * HIP_HALF, 0.16, 0.0]), np.array([o * 0.06, ANKLE_H, -0.47])
        shoulder = np.array([o * 0.11, 0.34, 0.30])
        pts[side] = dict(hip=hip, knee=(hip + ankle) / 2, ankle=ankle, heel=ankle + np.array([0, 0.02, -0.03]),
                         toe=ankle + np.array([0, -ANKLE_H, 0.02]), shoulder=shoulder,
                         wrist=np.array([o * 0.12, 0.0, 0.32]))
    pts["nose"] = np.array([0.0, 0.36, 0.42])
    return pts


def burpee_poses(fs: float = FS) -> list[dict]:
    """6 s of a burpee: stand, squat down, jump the feet back to a plank and hold it, back to the
    squat, stand up (each point eased from one key pose to the next)."""
    stand, bottom, plank = squat_pose(0.0), squat_pose(1.0, depth_deg=40), plank_pose()
    keys = [(0.0, stand), (1.0, stand), (2.0, bottom), (2.4, plank), (3.4, plank), (3.8, bottom), (4.8, stand),
            (6.0, stand)]
    poses = []
    for t in np.arange(int(6.0 * fs)) / fs:
        (t0, a), (t1, b) = next((k0, k1) for k0, k1 in zip(keys, keys[1:]) if k0[0] <= t <= k1[0])
        w = (1 - np.cos(np.pi * (t - t0) / (t1 - t0))) / 2
        pose = {side: {k: (1 - w) * a[side][k] + w * b[side][k] for k in a[side]} for side in (LEFT, RIGHT)}
        poses.append(dict(pose, nose=(1 - w) * a["nose"] + w * b["nose"]))
    return poses


def reverse_lunge_pose(q: float, *, step: float = 0.55, stance_half: float = 0.10) -> dict:
    """A reverse lunge: the RIGHT foot steps back (first third of q) and the hips then lower until
    the rear knee nears the floor; the foot comes back on the way up. The LEFT foot stays put."""
    s = min(q / 0.35, 1.0)                  # how far the step has gone
    lower = max(q - 0.35, 0.0) / 0.65       # then the hips go down
    front_ankle = np.array([stance_half, ANKLE_H, 0.0])
    rear_ankle = np.array([-stance_half, ANKLE_H + 0.05 * s + 0.08 * np.sin(np.pi * s), -step * s])
    hip_z = -step * s / 2
    reach = np.hypot(hip_z, 0.0)
    top = np.sqrt((THIGH + SHANK - 0.01) ** 2 - reach ** 2) + ANKLE_H
    hip_y = top - lower * 0.30 - 0.08 * s
    pts = {}
    for side, ankle in ((LEFT, front_ankle), (RIGHT, rear_ankle)):
        hip = np.array([_outward(side) * HIP_HALF, hip_y, hip_z])
        knee = _knee_ik(hip, ankle, np.array([0, 0, 1.0]))
        u = np.array([0, 0, 1.0])
        pts[side] = dict(ankle=ankle, knee=knee, hip=hip, heel=ankle - 0.25 * FOOT * u + np.array([0, -ANKLE_H, 0]),
                         toe=ankle + FOOT * u + np.array([0, -ANKLE_H, 0]))
    return _with_upper_body(pts, lean=0.1)


def single_leg_pose(q: float, *, cave: float = 0.0, depth_deg: float = 30.0, turn_out_deg: float = 10.0) -> dict:
    """A single-leg squat on the LEFT leg, the right foot held off the floor in front (a
    pistol-style reach). ``cave``: the standing knee's medial displacement in foot lengths × q."""
    phi, alpha = np.radians(turn_out_deg), np.radians(depth_deg) * q
    ankle = np.array([0.04, ANKLE_H, 0.0])
    u = np.array([np.sin(phi), 0.0, np.cos(phi)])
    horiz = SHANK * np.sin(alpha) * u + np.array([-cave * FOOT * q, 0, 0])
    knee = ankle + horiz + np.array([0.0, np.sqrt(SHANK ** 2 - horiz @ horiz), 0.0])
    beta = min(2.3 * alpha, np.radians(100))
    hip_l = knee + np.array([HIP_HALF - knee[0], 0, 0]) + np.array([0, THIGH * np.cos(beta), -THIGH * np.sin(beta)])
    hip_l[1] = knee[1] + np.sqrt(max(THIGH ** 2 - (hip_l[0] - knee[0]) ** 2 - (hip_l[2] - knee[2]) ** 2, 1e-6))
    hip_r = hip_l + np.array([-2 * HIP_HALF, 0, 0])
    # free leg: thigh raised forward with the hips' descent, knee almost straight
    lift = np.radians(50 + 30 * q)
    knee_r = hip_r + THIGH * np.array([0, -np.cos(lift), np.sin(lift)])
    ankle_r = knee_r + SHANK * np.array([0, -np.cos(lift + 0.15), np.sin(lift + 0.15)])
    f = np.array([0, 0, 1.0])
    pts = {LEFT: dict(ankle=ankle, knee=knee, hip=hip_l, heel=ankle - 0.25 * FOOT * u + [0, -ANKLE_H, 0],
                      toe=ankle + FOOT * u + [0, -ANKLE_H, 0]),
           RIGHT: dict(ankle=ankle_r, knee=knee_r, hip=hip_r, heel=ankle_r - 0.25 * FOOT * f, toe=ankle_r + FOOT * f)}
    return _with_upper_body(pts, lean=alpha)


def step_down_pose(q: float, *, box: float = 0.15, cave: float = 0.0, depth_deg: float = 30.0,
                   turn_out_deg: float = 10.0, reach_deg: float = 20.0) -> dict:
    """A forward step-down: standing on the LEFT leg on a box ``box`` high (0.12 H ≈ 20 cm), the
    right leg hanging almost straight in front of the box and lowered with the hips until its heel
    nears the floor. So the free foot sits *lower* than the standing one at the bottom (unlike a
    pistol), and moves with the body while the standing foot stays put."""
    pts = single_leg_pose(q, cave=cave, depth_deg=depth_deg, turn_out_deg=turn_out_deg)
    up = np.array([0.0, box, 0.0])
    left = {name: point + up for name, point in pts[LEFT].items()}
    hip_r = left["hip"] + np.array([-2 * HIP_HALF, 0, 0])
    a = np.radians(reach_deg)
    knee_r = hip_r + THIGH * np.array([0, -np.cos(a), np.sin(a)])
    ankle_r = knee_r + SHANK * np.array([0, -np.cos(a - 0.1), np.sin(a - 0.1)])
    if ankle_r[1] < ANKLE_H:  # the heel touches the floor: the free knee bends instead
        ankle_r = np.array([ankle_r[0], ANKLE_H, ankle_r[2]])
        knee_r = _knee_ik(hip_r, ankle_r, np.array([0, 0, 1.0]))
    f = np.array([0, 0, 1.0])
    right = dict(ankle=ankle_r, knee=knee_r, hip=hip_r, heel=ankle_r - 0.25 * FOOT * f + [0, -ANKLE_H, 0],
                 toe=ankle_r + FOOT * f + [0, -ANKLE_H, 0])
    return _with_upper_body({LEFT: left, RIGHT: right}, lean=np.radians(depth_deg) * q)


def project(points: np.ndarray, yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """(..., 3) person-frame points → (..., 2) pixels for a camera at ``yaw_deg`` looking down ``pitch_deg``."""
    psi, tau = np.radians(yaw_deg), np.radians(pitch_deg)
    x, y, z = points[..., 0], points[..., 1], points[..., 2]
    # camera at yaw 0 looks along −Z at the person: their left (+X) is image right
    u = x * np.cos(psi) - z * np.sin(psi)
    depth_towards_camera = x * np.sin(psi) + z * np.cos(psi)
    v = y * np.cos(tau) - depth_towards_camera * np.sin(tau)   # nearer points sit lower when looking down
    return np.stack([CX + SCALE * u, GROUND - SCALE * v], axis=-1)


def project_perspective(points: np.ndarray, yaw_deg: float, camera_height: float, distance: float,
                        aim_height: float = 0.5) -> np.ndarray:
    """(..., 3) person-frame points → (..., 2) pixels for a pinhole camera ``distance`` in front of
    the person (along the floor, from the point between the feet), at yaw ``yaw_deg`` (as
    :func:`project`), ``camera_height`` above the floor, aimed at ``aim_height`` on the body's
    vertical axis. Heights and distances in body heights.

    A real phone looks down at the feet more steeply than at the hips (at 1.5 m height, 2.5 m away:
    31° at the feet, 13° at the hips), which one orthographic pitch cannot show. Scaled so a point
    on the aim point's plane has :func:`project`'s size; far away it becomes :func:`project` with
    the pitch ``atan((camera_height − aim_height) / distance)`` (a test pins it).
    """
    psi = np.radians(yaw_deg)
    toward_camera = np.array([np.sin(psi), 0.0, np.cos(psi)])   # as project's depth_towards_camera
    eye = distance * toward_camera + np.array([0.0, camera_height, 0.0])
    forward = np.array([0.0, aim_height, 0.0]) - eye
    range_to_aim = np.linalg.norm(forward)
    forward /= range_to_aim
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    d = np.asarray(points, float) - eye
    z = d @ forward
    u = range_to_aim * (d @ right) / z
    v = range_to_aim * (d @ up) / z + aim_height * np.cos(np.arctan2(camera_height - aim_height, distance))
    return np.stack([CX + SCALE * u, GROUND - SCALE * v], axis=-1)


def track_of(poses: list[dict], *, yaw_deg: float = 0.0, pitch_deg: float = 8.0, noise_px: float = 0.0,
             foot_visibility: float = 0.99, seed: int = 0, fs: float = FS,
             perspective: tuple[float, float] | None = None) -> PoseTrack:
    """Frames of pose dicts → a ``PoseTrack`` seen from the given camera: orthographic at
    ``pitch_deg``, or (``perspective`` = (camera height, distance)) a pinhole camera there
    (:func:`project_perspective`)."""
    T = len(poses)
    pts3 = np.zeros((T, NUM_LANDMARKS, 3))
    vis = np.zeros((T, NUM_LANDMARKS))
    names = ("hip", "knee", "ankle", "heel", "toe", "shoulder", "wrist")
    for i, p in enumerate(poses):
        for side in (LEFT, RIGHT):
            for name, j in zip(names, IDX[side]):
                pts3[i, j] = p[side][name]
                vis[i, j] = 0.99
        pts3[i, NOSE] = p["nose"]
        vis[i, NOSE] = 0.99
    for side in (LEFT, RIGHT):
        vis[:, IDX[side][4]] = foot_visibility
    xy = project(pts3, yaw_deg, pitch_deg) if perspective is None else project_perspective(pts3, yaw_deg, *perspective)
    if noise_px:
        xy = xy + np.random.default_rng(seed).normal(0, noise_px, xy.shape)
    xy = np.where(vis[..., None] > 0, xy, 0.0)
    return PoseTrack(t=np.arange(T) / fs, xy=xy, visibility=vis, presence=np.full((T, NUM_LANDMARKS), 0.99),
                     world=np.zeros((T, NUM_LANDMARKS, 3)), people=np.ones(T, int), width=640, height=720)


def squat_set(reps: int = 3, *, lead_s: float = 1.0, rep_s: float = 2.4, gap_s: float = 0.8, fs: float = FS,
              pose=squat_pose, **pose_kw) -> list[dict]:
    """Poses of ``reps`` dips after ``lead_s`` standing, each ``rep_s`` long, ``gap_s`` apart."""
    n = int(round((lead_s + reps * (rep_s + gap_s) + 1.0) * fs))
    t = np.arange(n) / fs
    q = dip(t, [(lead_s + k * (rep_s + gap_s), rep_s) for k in range(reps)])
    return [pose(float(qi), **pose_kw) for qi in q]


def shrimp_pose(q: float, *, depth_deg: float = 25.0, turn_out_deg: float = 10.0) -> dict:
    """A shrimp squat on the LEFT leg: the right leg bent behind, its foot held in the hand near the
    buttock, off the floor; q lowers the hips and the rear knee goes down towards the floor with
    them (the free foot travels with the body, never on the floor)."""
    pts = single_leg_pose(q, depth_deg=depth_deg, turn_out_deg=turn_out_deg)
    hip_r = pts[RIGHT]["hip"]
    knee_r = hip_r + THIGH * np.array([0.0, -np.cos(0.35), -np.sin(0.35)])     # thigh hanging down, a little back
    a = 0.35 + np.radians(110)                                                 # the shin folded up behind
    ankle_r = knee_r + SHANK * np.array([0.0, -np.cos(a), -np.sin(a)])
    f = np.array([0, 0, 1.0])
    pts[RIGHT] = dict(pts[RIGHT], ankle=ankle_r, knee=knee_r, heel=ankle_r - 0.25 * FOOT * f,
                      toe=ankle_r + np.array([0, -FOOT * 0.5, -FOOT * 0.8]))
    return pts


def lateral_lunge_pose(q: float, *, stance_half: float = 0.30, drop: float = 0.22) -> dict:
    """A lateral (side) lunge: feet wide and planted, the RIGHT leg held straight while the hips
    travel sideways and down over the LEFT foot, whose knee bends over it; q is how far (the hips
    drop ``drop`` at q = 1)."""
    length = THIGH + SHANK - 0.005
    ankle_l = np.array([stance_half, ANKLE_H, 0.0])
    ankle_r = np.array([-stance_half, ANKLE_H, 0.0])
    top = np.sqrt(length ** 2 - (stance_half - HIP_HALF) ** 2) + ANKLE_H     # the stance's standing hip height
    yc, zc = top - drop * q, -0.06 * q                                        # down, and sitting back a little
    # the straight right leg pivots on its ankle: the hips go as far left as it reaches
    xc = -stance_half + HIP_HALF + np.sqrt(max(length ** 2 - (yc - ANKLE_H) ** 2 - zc ** 2, 0.0))
    hip_l, hip_r = np.array([xc + HIP_HALF, yc, zc]), np.array([xc - HIP_HALF, yc, zc])
    knee_l = _knee_ik(hip_l, ankle_l, np.array([0.3, 0, 1.0]))
    knee_r = hip_r + (ankle_r - hip_r) * THIGH / (THIGH + SHANK)
    u = np.array([0, 0, 1.0])
    pts = {LEFT: dict(ankle=ankle_l, knee=knee_l, hip=hip_l, heel=ankle_l - 0.25 * FOOT * u + [0, -ANKLE_H, 0],
                      toe=ankle_l + FOOT * u + [0, -ANKLE_H, 0]),
           RIGHT: dict(ankle=ankle_r, knee=knee_r, hip=hip_r, heel=ankle_r - 0.25 * FOOT * u + [0, -ANKLE_H, 0],
                       toe=ankle_r + FOOT * u + [0, -ANKLE_H, 0])}
    return _with_upper_body(pts, lean=0.5 * q)
