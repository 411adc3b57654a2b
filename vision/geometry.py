"""Pure 2D geometry of the squat, vectorised over frames. NumPy in, NumPy out; no I/O.

Conventions: points are arrays of shape (..., 2) in image pixels, x right and y DOWN; any
leading shape (frames, people) broadcasts. Angles are in degrees. NaN in, NaN out.
"""

from __future__ import annotations

import numpy as np

_VERTICAL_UP = np.array([0.0, -1.0])  # image y points down, so "up" is -y


def _norm(v: np.ndarray) -> np.ndarray:
    """Euclidean length over the last axis: (..., 2) -> (...)."""
    return np.sqrt(np.sum(np.asarray(v, float) ** 2, axis=-1))


def _cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """z component of the 2D cross product: (..., 2), (..., 2) -> (...)."""
    return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]


def angle_between(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Unsigned angle between vectors u and v: (..., 2), (..., 2) -> (...) in [0, 180].

    Uses atan2(|u×v|, u·v), which stays accurate near 0° and 180° where acos does not.
    """
    u = np.asarray(u, float)
    v = np.asarray(v, float)
    return np.degrees(np.arctan2(np.abs(_cross(u, v)), np.sum(u * v, axis=-1)))


def joint_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Interior angle ∠abc at vertex b: (..., 2) x3 -> (...) in [0, 180]."""
    return angle_between(np.asarray(a, float) - b, np.asarray(c, float) - b)


def knee_flexion(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray) -> np.ndarray:
    """Knee flexion θk = 180° − ∠(hip, knee, ankle): 0 for a straight leg. (..., 2) x3 -> (...)."""
    return 180.0 - joint_angle(hip, knee, ankle)


def segment_angle_from_vertical(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Unsigned angle of the segment lower→upper from image vertical: (..., 2) x2 -> (...) in [0, 180].

    0 means ``upper`` sits straight above ``lower`` (upright trunk, vertical shin).
    """
    return angle_between(np.asarray(upper, float) - lower, np.broadcast_to(_VERTICAL_UP, np.shape(upper)))


def medial_sign(this_hip: np.ndarray, other_hip: np.ndarray) -> np.ndarray:
    """+1 where the body midline lies towards +x from ``this_hip``, else −1: (..., 2) x2 -> (...).

    Defining "medial" from the other hip, rather than from left/right labels, makes the valgus
    sign independent of whether the person faces the camera, faces away, or the image is mirrored.
    """
    return np.where(np.asarray(other_hip, float)[..., 0] >= np.asarray(this_hip, float)[..., 0], 1.0, -1.0)


def fppa(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, medial: np.ndarray | float) -> np.ndarray:
    """Frontal-plane projection angle per leg, signed: (..., 2) x3, (...) -> (...) degrees.

    The angle between the thigh (hip→knee) and the shank (knee→ankle) directions; positive when
    the knee lies medial to the hip–ankle line (valgus), negative when lateral (varus).
    ``medial`` is +1/−1 from :func:`medial_sign`.
    """
    hip, knee, ankle = (np.asarray(p, float) for p in (hip, knee, ankle))
    size = angle_between(knee - hip, ankle - knee)
    return np.where(_knee_side(hip, knee, ankle, medial) >= 0, size, -size)


def _knee_side(hip, knee, ankle, medial) -> np.ndarray:
    """Signed horizontal offset of the knee from the hip–ankle line, + towards the midline (pixels)."""
    d = ankle - hip
    # x of the hip–ankle line at the knee's height; a horizontal line has no such x, so fall back
    # to the perpendicular side test.
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (knee[..., 1] - hip[..., 1]) / d[..., 1]
        x_line = hip[..., 0] + s * d[..., 0]
    return np.asarray(medial) * (knee[..., 0] - x_line)


def knee_line_displacement(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, medial: np.ndarray) -> np.ndarray:
    """Signed perpendicular distance of the knee from the hip–ankle line / leg length (..., 2) x3 -> (...).

    Positive = knee medial to the line (valgus). Normalised by hip–knee + knee–ankle length so
    it compares across people and zoom (FPKD / "valgus shift", Uhlár 2021; mocapr).
    """
    hip, knee, ankle = (np.asarray(p, float) for p in (hip, knee, ankle))
    d = ankle - hip
    dist = _cross(d, knee - hip) / _norm(d)
    side = np.sign(_knee_side(hip, knee, ankle, medial))
    leg = _norm(knee - hip) + _norm(ankle - knee)
    return side * np.abs(dist) / leg


def horizontal_separation(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """|x_left − x_right|: (..., 2) x2 -> (...)."""
    return np.abs(np.asarray(left, float)[..., 0] - np.asarray(right, float)[..., 0])


def separation_ratio(num_left, num_right, den_left, den_right) -> np.ndarray:
    """Horizontal separation of one landmark pair over another's: (..., 2) x4 -> (...).

    KASR = ratio(knees, ankles) and KHR = ratio(knees, hips) (Noyes drop-jump screen; mocapr).
    Depth-independent, which is why it is the primary valgus measure for deep bilateral squats.
    """
    den = horizontal_separation(den_left, den_right)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, horizontal_separation(num_left, num_right) / den, np.nan)


def medial_offset(point: np.ndarray, reference: np.ndarray, medial: np.ndarray) -> np.ndarray:
    """Horizontal offset of ``point`` from ``reference``, positive towards the midline: -> (...) pixels.

    With point = knee and reference = ankle (or toe), this is how far the knee sits inside
    the foot; the two legs' offsets add up to ankle separation − knee separation.
    """
    return np.asarray(medial) * (np.asarray(point, float)[..., 0] - np.asarray(reference, float)[..., 0])


def frontal_depth(hip_y: np.ndarray, knee_y: np.ndarray, thigh_length: np.ndarray | float) -> np.ndarray:
    """Front-view depth d = (y_hip − y_knee) / standing thigh length: (...) -> (...).

    ≈ −1 standing, ≈ 0 with the thigh horizontal (parallel), > 0 below parallel. Approximate:
    assumes a level camera at about knee height (orthographic projection).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.asarray(hip_y, float) - knee_y) / thigh_length


def hip_below_knee(hip_y: np.ndarray, knee_y: np.ndarray, tolerance_px: np.ndarray | float = 0.0) -> np.ndarray:
    """Side-view depth test: hip joint centre lower than the knee centre (y down), with tolerance."""
    return np.asarray(hip_y, float) + tolerance_px >= knee_y


def body_roll(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Signed tilt of the segment lower→upper from image vertical, degrees: (..., 2) x2 -> (...).

    + when ``upper`` leans towards +x. For a person standing upright it is the camera's roll
    (a phone held a few degrees off level).
    """
    v = np.asarray(upper, float) - lower
    return np.degrees(np.arctan2(v[..., 0], -v[..., 1]))


def across_body(v: np.ndarray, roll_deg: np.ndarray | float) -> np.ndarray:
    """Component of image vector(s) ``v`` across a body whose vertical is tilted ``roll_deg`` from
    image vertical (see :func:`body_roll`): (..., 2), (...) -> (...). Equals ``v``'s x at roll 0."""
    r = np.radians(roll_deg)
    v = np.asarray(v, float)
    return v[..., 0] * np.cos(r) + v[..., 1] * np.sin(r)


def lateral_shift(mid_hip_x: np.ndarray, mid_ankle_x: np.ndarray, ankle_width: np.ndarray | float) -> np.ndarray:
    """(x_midhip − x_midankle) / ankle width: (...) -> (...). Signed; 0 when centred over the feet."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.asarray(mid_hip_x, float) - mid_ankle_x) / ankle_width


def heel_rise(heel_y: np.ndarray, heel_y_standing: np.ndarray | float, shank_length: np.ndarray | float) -> np.ndarray:
    """Heel lift relative to standing, in shank lengths: (y_heel,standing − y_heel)/L_shank, + = lifted."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.asarray(heel_y_standing, float) - heel_y) / shank_length


def midpoint(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (np.asarray(a, float) + np.asarray(b, float)) / 2.0


def distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _norm(np.asarray(a, float) - b)


def distance_from_segment(point: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from ``point`` to the segment a-b (its nearest point on it, ends included):
    (..., 2) x3 -> (...). A point between a and b on their line is at 0; a segment of zero length is
    its one end."""
    point, a, b = (np.asarray(x, float) for x in (point, a, b))
    ab = b - a
    length2 = np.sum(ab * ab, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.clip(np.where(length2 > 0, np.sum((point - a) * ab, axis=-1) / length2, 0.0), 0.0, 1.0)
    return distance(point, a + s[..., None] * ab)


def out_of_plane_length(a: np.ndarray, b: np.ndarray, true_length: np.ndarray | float) -> np.ndarray:
    """Length of segment a→b's component along the camera axis, from its foreshortening: -> (...).

    sqrt(L² − |b − a|²) for a segment of known true length L seen in orthographic projection
    (Taylor 2000, "Reconstruction of articulated objects from point correspondences in a single
    uncalibrated image"). The sign (towards or away from the camera) is not observable; 0 when
    the projected segment is at least its true length (noise).
    """
    proj = _norm(np.asarray(b, float) - a)
    with np.errstate(invalid="ignore"):
        return np.sqrt(np.maximum(np.asarray(true_length, float) ** 2 - proj ** 2, 0.0))


# [heuristic] the foot's turn-out *as the camera sees it*: wide and sumo stances turn the feet out to
# about 45°, and a camera turned up to 20° off the front adds that to one foot and takes it from the
# other (the knee travels the way its own foot looks in the picture); beyond, a toe point's noise.
# (A [-10°, 45°] range read a foot that looked turned in 22° as -10°, and that knee's forward travel
# as caving: 7 % of good synthetic squats filmed 20-30° off the front flagged. A 30° cap read a 40°
# turn-out as 30°, and caving knees of a wide stance as tracking well.)
# Local, not in thresholds.py: the range a foot angle is measured in (a clip on a reading), not a verdict rule.
MAX_FOOT_TURN_OUT_DEG = 65.0
MIN_FOOT_TURN_OUT_DEG = -35.0  # toes pointing in


def foot_turn_out_tan(toe_lateral: np.ndarray | float, foot_length: np.ndarray | float) -> np.ndarray:
    """tan φ of the foot's turn-out φ from the toe's lateral offset from the ankle: -> (...).

    Seen from the front, the ankle → toe vector of a foot of length ``foot_length`` turned out by
    φ spans ``foot_length · sin φ`` sideways. Clipped to [−35°, 65°], so a noisy toe point
    cannot invent a large expected knee travel.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.clip(np.asarray(toe_lateral, float) / foot_length,
                    np.sin(np.radians(MIN_FOOT_TURN_OUT_DEG)), np.sin(np.radians(MAX_FOOT_TURN_OUT_DEG)))
    return s / np.sqrt(1.0 - s ** 2)


def knee_inside_foot_line(knee_lateral_travel: np.ndarray, knee_forward: np.ndarray,
                          turn_out_tan: np.ndarray | float, foot_length: np.ndarray | float) -> np.ndarray:
    """How far the knee sits medial of the line over its foot, in foot lengths: (...) -> (...).

    A knee that tracks over the foot moves in the direction the foot points: travelling forward
    by ``knee_forward`` (towards the camera, see :func:`out_of_plane_length`), it moves out by
    ``knee_forward · tan φ``. The result is that expected lateral travel minus the knee's
    observed lateral travel from standing (``knee_lateral_travel``, + = outwards), over the foot
    length: + = knee inside the foot line (valgus), 0 = over the foot, − = pushed outside it.
    With the feet straight (φ = 0) it reduces to the knee's medial travel relative to the ankle.
    All lengths in one unit (e.g. standing shank lengths).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.asarray(knee_forward, float) * turn_out_tan - knee_lateral_travel) / foot_length


def camera_elevation_tan(toe_drop: np.ndarray | float, toe_lateral: np.ndarray | float,
                         foot_length: float, ankle_height: float, iterations: int = 12) -> np.ndarray:
    """tan τ of the camera's look-down angle τ at the feet, from a standing foot: -> (...).

    A foot of length ``foot_length`` turned out by φ, its ankle ``ankle_height`` above the floor,
    seen by a camera looking down by τ: the toe sits ``ankle_height + foot_length · cos φ · tan τ``
    below the ankle and ``foot_length · sin φ / cos τ`` beside it, in standing *projected* shank
    lengths (the unit of ``toe_drop`` (image y down) and ``toe_lateral``; the true shank is 1).
    Solved by a few fixed-point steps (φ and τ each change the other little). Clipped to
    [0°, 60°]: a toe drawn above the ankle's floor height is noise, not a camera looking up.
    """
    drop = np.asarray(toe_drop, float)
    lateral = np.asarray(toe_lateral, float)
    tan_tau = np.zeros(np.broadcast(drop, lateral).shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        for _ in range(iterations):
            cos_tau = 1.0 / np.sqrt(1.0 + tan_tau ** 2)
            sin_phi = np.clip(lateral * cos_tau / foot_length, -0.99, 0.99)
            tan_tau = np.clip((drop - ankle_height) / (foot_length * np.sqrt(1.0 - sin_phi ** 2)),
                              0.0, np.tan(np.radians(60.0)))
    return tan_tau


def level_shank_vertical(vertical: np.ndarray, tan_tau: np.ndarray | float) -> np.ndarray:
    """The shank's vertical extent (standing projected shank lengths) a level camera would read, from
    the one read by a camera looking down by τ at a shank tilted towards it: -> (...).

    A shank tilted forward by α, seen from a camera looking down by τ, spans cos(α + τ) / cos τ of
    its standing projected length, so a camera looking down makes a shin that leans towards it
    look as if it lay nearly flat (α = 43°, τ = 38°: 0.20). Inverted: cos(arccos(v · cos τ) − τ),
    which is v itself for a level camera. The shank is taken to tilt towards the camera (front
    view); a shin folded back away from it (a lunge's rear shin) reads lower still and stays low.
    """
    v = np.asarray(vertical, float)
    tau = np.arctan(np.asarray(tan_tau, float))
    return np.cos(np.arccos(np.clip(v * np.cos(tau), -1.0, 1.0)) - tau)


def level_hip_knee(hip_knee: np.ndarray | float, tan_tau: np.ndarray | float) -> np.ndarray:
    """The hip's height against the knee (standing projected thigh lengths, image y down: −1 for a
    vertical thigh, 0 level) a level camera would read, from the one read by a camera looking down
    by τ at a thigh leaning back away from it: -> (...).

    A thigh tilted θ from vertical, its hip behind its knee, spans cos(θ − τ) / cos τ of its
    standing projected length above the knee: it looks steeper than it is (a parallel thigh under
    τ = 30° reads −0.58, a thigh 35° above level). That is :func:`level_shank_vertical`'s segment
    tilting towards the camera seen from one looking up by τ, its sign turned (image y down).
    Exact for θ ≥ τ; a thigh bent less than τ (and standing) reads as bent 2τ − θ.
    """
    return -level_shank_vertical(-np.asarray(hip_knee, float), -np.asarray(tan_tau, float))


def shank_forward(lateral: np.ndarray, vertical: np.ndarray, tan_tau: np.ndarray | float) -> np.ndarray:
    """How far the knee sits in front of the ankle (towards the camera), in true shank lengths: -> (...).

    ``lateral`` and ``vertical`` (image up) are the ankle → knee vector in standing projected shank
    lengths (``cos τ`` of the true shank for a camera looking down by τ). A shank tilting towards
    such a camera shortens by more than its tilt alone (its image height is ``cos(α + τ) / cos τ``),
    so :func:`out_of_plane_length` over-reads the forward travel when the camera looks down (a
    phone at hip height 2.5 m away looks down ~25° at the feet: a 20° shin reads as 40°). With
    x² + y² + z² = 1 for the true shank (x = lateral · cos τ, y = vertical + z · tan τ), z is the
    non-negative root of a quadratic; τ = 0 gives ``out_of_plane_length``'s sqrt(1 − lateral² − vertical²).
    """
    t = np.asarray(tan_tau, float)
    v = np.asarray(vertical, float)
    x2 = np.asarray(lateral, float) ** 2 / (1.0 + t ** 2)
    a = 1.0 + t ** 2
    with np.errstate(invalid="ignore"):
        disc = (v * t) ** 2 - a * (v ** 2 + x2 - 1.0)
        return np.maximum((-v * t + np.sqrt(np.maximum(disc, 0.0))) / a, 0.0)


def in_frame(points: np.ndarray, width: float, height: float, margin: float = 0.0) -> np.ndarray | np.bool:
    """(..., k, 2) pixel points → (...) True where all k lie inside a ``width`` × ``height`` frame,
    or at most ``margin`` (a fraction of the width / height) outside it; False for NaN points."""
    pts = np.asarray(points, float)
    mx, my = margin * width, margin * height
    with np.errstate(invalid="ignore"):
        inside = (pts[..., 0] >= -mx) & (pts[..., 0] <= width + mx) & (pts[..., 1] >= -my) & (pts[..., 1] <= height + my)
    return inside.all(axis=-1)
