"""Draw the analysis onto video frames: skeleton, joint angles, a rep/verdict banner.

Pure drawing functions take an ``(H, W, 3)`` uint8 **RGB** frame and return an annotated copy
(inputs are never modified). Colours below are RGB tuples: OpenCV draws whatever channel order it
is handed, so nothing here is BGR. The video work (a whole clip to H.264, one thumbnail per rep)
is :mod:`vision.render`, which draws each frame with :func:`annotate_frame`.

Everything tolerates NaN landmarks, zero reps and missing (``None``) metrics: what cannot be
drawn is skipped. OpenCV's Hershey fonts are ASCII-only, so text is folded to ASCII and the
degree sign is drawn as a small ring.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from typing import Any, Iterable, Mapping, Sequence

import cv2
import numpy as np

from vision import faults
from vision import geometry as g
from vision.landmarks import (L_ANKLE, L_HIP, L_KNEE, L_SHOULDER, NUM_LANDMARKS, R_ANKLE, R_HIP, R_KNEE,
                              R_SHOULDER, SKELETON_EDGES)
from vision.thresholds import Thresholds

__all__ = [
    "SEVERITY_COLORS",
    "annotate_frame",
    "draw_angles",
    "draw_hud",
    "draw_pose",
    "hud_verdict",
    "rep_at_time",
    "valgus_legs",
    "verdict_text",
]

# --- colours (RGB) ----------------------------------------------------------------------------
WHITE = (255, 255, 255)
GREY = (190, 190, 190)
BLACK = (0, 0, 0)
GREEN = (60, 210, 90)
AMBER = (255, 176, 0)
RED = (235, 40, 40)
SEVERITY_COLORS = {"ok": GREEN, "minor": AMBER, "major": RED}
POSSIBLE_COLOR = (250, 226, 90)  # a "possible" knee verdict: pale yellow, never a severity colour

MIN_VISIBILITY = 0.5      # below this a landmark is drawn faint (the model is guessing)
FAINT_ALPHA = 0.35        # opacity of faint (low-visibility) skeleton parts
HUD_ALPHA = 0.7           # opacity of the banner's dark background
LABEL_ALPHA = 0.55        # opacity of the angle labels' dark background
HUD_MAX_FRACTION = 0.45   # the banner never covers more than this share of the frame height
_MAX_COORD = 1e6          # farther than this is garbage, not a landmark; also keeps int() safe
_FONT = cv2.FONT_HERSHEY_DUPLEX  # a little heavier than SIMPLEX: reads better on busy video

LEGS = {"left": (L_HIP, L_KNEE, L_ANKLE), "right": (R_HIP, R_KNEE, R_ANKLE)}
LEG_INDEX = {"left": 0, "right": 1}
# the rep table's rule for showing FPPA: the thigh at least this fraction of its standing length
FPPA_MIN_THIGH = Thresholds().fppa_min_thigh.value
_OTHER = {"left": "right", "right": "left"}

# Short verdicts per flag code come from vision.faults (its long labels), most important first.
_VERDICT_ORDER = faults.FAULT_ORDER


# ------------------------------------------------------------------------------------------------
# Sizes and small helpers
# ------------------------------------------------------------------------------------------------


def _line_px(shape: Sequence[int]) -> int:
    """Skeleton line thickness for an ``(H, W, ...)`` frame: ~1/160 of the short side, at least 2."""
    return max(2, int(round(min(shape[0], shape[1]) / 160)))


def _font_scale(shape: Sequence[int]) -> float:
    """Base Hershey font scale: ~15 px capitals on a 360-px-wide phone clip, ~40 px at 1080p."""
    return max(0.4, min(shape[0], shape[1]) / 650.0)


def _text_thickness(scale: float) -> int:
    return max(1, int(round(scale * 1.6)))


def _point(p: np.ndarray) -> tuple[int, int] | None:
    """A drawable integer pixel from a (2,) float point, or None for NaN/inf/absurd values."""
    x, y = float(p[0]), float(p[1])  # plain floats: this runs ~70 times a frame
    if not (math.isfinite(x) and math.isfinite(y)) or abs(x) > _MAX_COORD or abs(y) > _MAX_COORD:
        return None
    return int(round(x)), int(round(y))


def _finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _as_xy(xy: np.ndarray) -> np.ndarray:
    """Landmarks as a (33, 2) float array (a missing or short array is padded with NaN)."""
    xy = np.asarray(xy, float).reshape(-1, 2) if xy is not None else np.zeros((0, 2))
    if xy.shape[0] < NUM_LANDMARKS:
        xy = np.vstack([xy, np.full((NUM_LANDMARKS - xy.shape[0], 2), np.nan)])
    return xy[:NUM_LANDMARKS]


def _as_visibility(visibility) -> np.ndarray:
    """(33,) visibility; None means "all seen"; NaN counts as unseen."""
    if visibility is None:
        return np.ones(NUM_LANDMARKS)
    v = np.asarray(visibility, float).reshape(-1)
    if v.shape[0] < NUM_LANDMARKS:
        v = np.concatenate([v, np.zeros(NUM_LANDMARKS - v.shape[0])])
    return np.nan_to_num(v[:NUM_LANDMARKS], nan=0.0)


def _blend_onto(dst: np.ndarray, layer: np.ndarray, alpha: float, box: tuple[int, int, int, int] | None = None) -> None:
    """In place: dst = (1 - alpha) * dst + alpha * layer, only where layer differs from dst.

    ``box`` = (x0, y0, x1, y1) limits the work to where ``layer`` was drawn on.
    """
    h, w = dst.shape[:2]
    x0, y0, x1, y1 = box if box is not None else (0, 0, w, h)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return
    d, lay = dst[y0:y1, x0:x1], layer[y0:y1, x0:x1]
    changed = np.any(lay != d, axis=-1)
    if changed.any():
        mixed = cv2.addWeighted(lay, alpha, d, 1.0 - alpha, 0.0)
        d[changed] = mixed[changed]


def _darken_box(img: np.ndarray, x0: int, y0: int, x1: int, y1: int, alpha: float) -> None:
    """In place: blend a black rectangle (clipped to the image) at opacity ``alpha``."""
    h, w = img.shape[:2]
    x0, x1 = max(0, x0), min(w, x1)
    y0, y1 = max(0, y0), min(h, y1)
    if x1 > x0 and y1 > y0:
        roi = img[y0:y1, x0:x1]
        roi[:] = (roi.astype(np.float32) * (1.0 - alpha)).astype(np.uint8)


# ------------------------------------------------------------------------------------------------
# Text (ASCII Hershey fonts, with a drawn degree sign)
# ------------------------------------------------------------------------------------------------

_PUNCTUATION = str.maketrans({"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...",
                              "≥": ">=", "≤": "<=", "±": "+/-", "·": "-", "×": "x", "→": "->"})


def _ascii(text: str) -> str:
    """Fold text to what Hershey fonts can draw; keeps '°' (drawn separately)."""
    text = str(text).translate(_PUNCTUATION)
    out = []
    for ch in text:
        if ch == "°" or (32 <= ord(ch) < 127):
            out.append(ch)
        elif ch in "\t\n\r":
            out.append(" ")
        else:  # "é" -> "e"; anything without an ASCII base -> "?"
            base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(base or "?")
    return "".join(out)


def _degree_radius(scale: float) -> int:
    return max(1, int(round(scale * 4)))


@functools.lru_cache(maxsize=4096)  # the same words are measured on every frame
def _text_size(text: str, scale: float, thick: int) -> tuple[int, int, int]:
    """(width, cap height, descent) in pixels of ``text`` as :func:`_put_text` draws it."""
    parts = text.split("°")
    width = 0
    (_, cap), base = cv2.getTextSize("Hg", _FONT, scale, thick)
    for part in parts:
        if part:
            width += cv2.getTextSize(part, _FONT, scale, thick)[0][0]
    width += (len(parts) - 1) * (2 * _degree_radius(scale) + thick + 1)
    return width, cap, base


def _put_text(img: np.ndarray, text: str, org: tuple[int, int], scale: float, color, thick: int,
              outline: bool = True) -> None:
    """In place: draw ``text`` with its baseline starting at ``org``; a dark outline keeps it readable."""
    x, y = org
    r = _degree_radius(scale)
    cap = cv2.getTextSize("H", _FONT, scale, thick)[0][1]
    passes = ((BLACK, thick + 2), (color, thick)) if outline else ((color, thick),)
    for part_i, part in enumerate(text.split("°")):
        if part_i:  # the degree ring that split() removed
            cx, cy = x + r, y - cap + r
            ring = max(1, thick - 1)  # thinner than the letters: a small ring reads as "°"
            for col, th in passes:
                cv2.circle(img, (cx, cy), r, col, ring + (th - thick), cv2.LINE_AA)
            x += 2 * r + thick + 1
        if part:
            for col, th in passes:
                cv2.putText(img, part, (x, y), _FONT, scale, col, th, cv2.LINE_AA)
            x += cv2.getTextSize(part, _FONT, scale, thick)[0][0]


def _wrap_words(words: list[tuple[str, tuple]], scale: float, thick: int, max_w: int) -> list[list[tuple[str, tuple]]]:
    """Greedy word wrap of coloured words into lines no wider than ``max_w`` pixels.

    A single word wider than a line is cut into pieces that fit (long URLs, narrow frames).
    """
    space = cv2.getTextSize(" ", _FONT, scale, thick)[0][0]
    lines: list[list[tuple[str, tuple]]] = []
    line: list[tuple[str, tuple]] = []
    width = 0
    for word, color in words:
        while _text_size(word, scale, thick)[0] > max_w and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and _text_size(word[:cut], scale, thick)[0] > max_w:
                cut -= 1
            if line:
                lines.append(line)
            lines.append([(word[:cut], color)])
            line, width, word = [], 0, word[cut:]
        w = _text_size(word, scale, thick)[0]
        if line and width + space + w > max_w:
            lines.append(line)
            line, width = [], 0
        width += (space if line else 0) + w
        line.append((word, color))
    if line:
        lines.append(line)
    return lines


def _with_ellipsis(line: list[tuple[str, tuple]], scale: float, thick: int, max_w: int) -> list[tuple[str, tuple]]:
    """``line`` ending in "..." (dropping words until it fits in ``max_w``): the text was cut here."""
    space = cv2.getTextSize(" ", _FONT, scale, thick)[0][0]
    line = list(line)
    while line:
        words = line[:-1] + [(line[-1][0] + "...", line[-1][1])]
        if len(line) == 1 or sum(_text_size(w, scale, thick)[0] + space for w, _ in words) - space <= max_w:
            return words
        line.pop()
    return line


def _words(text: str | None, color) -> list[tuple[str, tuple]]:
    return [(w, color) for w in _ascii(text).split()] if text else []


def _draw_label(img: np.ndarray, lines: list[tuple[str, tuple]], anchor: tuple[int, int], *, align: str,
                scale: float) -> None:
    """In place: a small boxed multi-line label whose left (or right) edge sits at ``anchor``.

    The box is vertically centred on the anchor and nudged to stay inside the frame.
    """
    lines = [(_ascii(t), c) for t, c in lines if t]
    if not lines:
        return
    thick = _text_thickness(scale)
    sizes = [_text_size(t, scale, thick) for t, _ in lines]
    pad = max(2, int(round(scale * 6)))
    line_h = max(cap + base for _, cap, base in sizes) + pad
    box_w = max(w for w, _, _ in sizes) + 2 * pad
    box_h = line_h * len(lines) + pad
    h, w = img.shape[:2]
    x0 = anchor[0] if align == "left" else anchor[0] - box_w
    y0 = anchor[1] - box_h // 2
    x0 = min(max(0, x0), max(0, w - box_w))
    y0 = min(max(0, y0), max(0, h - box_h))
    _darken_box(img, x0, y0, x0 + box_w, y0 + box_h, LABEL_ALPHA)
    y = y0 + pad
    for (text, color), (_, _cap, base) in zip(lines, sizes):
        y += line_h - pad
        _put_text(img, text, (x0 + pad, y - base), scale, color, thick)
        y += pad


# ------------------------------------------------------------------------------------------------
# Skeleton
# ------------------------------------------------------------------------------------------------


def _edge_color(a: int, b: int, flags: Mapping | None) -> tuple:
    """Thigh and shank: red on a leg flagged for valgus, else green; everything else white."""
    for leg, (hip, knee, ankle) in LEGS.items():
        if {a, b} in ({hip, knee}, {knee, ankle}):
            return RED if flags and flags.get(leg) else GREEN
    return WHITE


def _joint_color(i: int, flags: Mapping | None) -> tuple:
    for leg, (_, knee, _) in LEGS.items():
        if i == knee and flags and flags.get(leg):
            return RED
    return WHITE


def draw_pose(rgb: np.ndarray, xy: np.ndarray, visibility: np.ndarray | None = None, *,
              flags: Mapping | None = None) -> np.ndarray:
    """Draw the skeleton (:data:`SKELETON_EDGES` plus joint dots) on a copy of ``rgb``.

    Args:
        rgb: (H, W, 3) uint8 RGB frame.
        xy: (33, 2) landmark pixels in this frame's coordinates; NaN rows are skipped.
        visibility: (33,) in [0, 1], or None (all visible). Parts below 0.5 are drawn faint.
        flags: ``{"left": bool, "right": bool}`` legs to draw red (knee valgus); other keys ignored.

    Returns:
        (H, W, 3) uint8 RGB copy with the skeleton drawn.
    """
    out = np.array(rgb, dtype=np.uint8, copy=True)
    pts = _as_xy(xy)
    seen = _as_visibility(visibility) >= MIN_VISIBILITY
    lw = _line_px(out.shape)
    radius = max(2, int(round(lw * 1.3)))
    if not seen.all():
        # low-confidence parts go on a scratch copy blended in faintly, before the solid parts so
        # the blend never washes over them
        faint = out.copy()
        if _draw_skeleton(faint, pts, ~seen, flags, lw, radius, edge_needs_both=False):
            _blend_onto(out, faint, FAINT_ALPHA, _points_box(pts, lw + radius + 3))
    _draw_skeleton(out, pts, seen, flags, lw, radius, edge_needs_both=True)
    return out


def _points_box(pts: np.ndarray, margin: int) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) around the drawable points of (N, 2) ``pts``, grown by ``margin``."""
    ok = [p for p in (_point(q) for q in pts) if p is not None]
    if not ok:
        return None
    xs, ys = [p[0] for p in ok], [p[1] for p in ok]
    return min(xs) - margin, min(ys) - margin, max(xs) + margin + 1, max(ys) + margin + 1


def _draw_skeleton(img: np.ndarray, pts: np.ndarray, selected: np.ndarray, flags: Mapping | None, lw: int,
                   radius: int, *, edge_needs_both: bool) -> bool:
    """In place: the selected dots, and edges with both ends (or either end) selected.

    ``pts`` is (33, 2), ``selected`` (33,) bool. An edge is as confident as its weaker end, so the
    solid pass needs both ends seen and the faint pass takes an edge with either end unseen.
    Returns whether anything was drawn.
    """
    drew = False
    for a, b in SKELETON_EDGES:
        pa, pb = _point(pts[a]), _point(pts[b])
        wanted = (selected[a] and selected[b]) if edge_needs_both else (selected[a] or selected[b])
        if pa is None or pb is None or not wanted:
            continue
        # dark under-stroke so white/green lines stay visible on pale backgrounds
        cv2.line(img, pa, pb, BLACK, lw + 2, cv2.LINE_AA)
        cv2.line(img, pa, pb, _edge_color(a, b, flags), lw, cv2.LINE_AA)
        drew = True
    for i in sorted({i for e in SKELETON_EDGES for i in e}):
        p = _point(pts[i])
        if p is None or not selected[i]:
            continue
        cv2.circle(img, p, radius + 1, BLACK, -1, cv2.LINE_AA)
        cv2.circle(img, p, radius, _joint_color(i, flags), -1, cv2.LINE_AA)
        drew = True
    return drew


# ------------------------------------------------------------------------------------------------
# Angles
# ------------------------------------------------------------------------------------------------


def _leg_points(xy: np.ndarray, leg: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    hip, knee, ankle = LEGS[leg]
    return xy[hip], xy[knee], xy[ankle]


def _medial(xy: np.ndarray, leg: str) -> float:
    """+1/-1: the direction of the body midline from this leg (from the hips, else the knees)."""
    this, other = LEGS[leg], LEGS[_OTHER[leg]]
    for k in (0, 1):  # hip, then knee
        a, b = xy[this[k]], xy[other[k]]
        if np.all(np.isfinite(a)) and np.all(np.isfinite(b)):
            return float(g.medial_sign(a, b))
    return 1.0 if leg == "right" else -1.0  # facing the camera: the person's right is image-left


def _best_side_leg(xy: np.ndarray, visibility) -> str | None:
    """The leg to label in a side view: the better-seen one (the near leg), else any complete one."""
    complete = [leg for leg in LEGS
                if np.isfinite(g.knee_flexion(*_leg_points(xy, leg))) and _point(xy[LEGS[leg][1]]) is not None]
    if len(complete) < 2 or visibility is None:
        return complete[0] if complete else None
    vis = _as_visibility(visibility)
    return max(complete, key=lambda leg: float(np.mean(vis[list(LEGS[leg])])))


def _fmt_deg(x: float, signed: bool = False) -> str:
    return f"{x:+.0f}°" if signed else f"{x:.0f}°"


def draw_angles(rgb: np.ndarray, xy: np.ndarray, *, view: str, visibility: np.ndarray | None = None,
                thigh_ratio: np.ndarray | None = None) -> np.ndarray:
    """Write joint angles beside the joints on a copy of ``rgb``.

    Front view: signed FPPA (+ = knee inside the hip-ankle line, valgus) for each knee, on the
    outer side of the knee, hidden while the thigh is foreshortened. Side view: the near leg's knee flexion in front of the knee
    and the trunk angle from vertical behind the hip. Other views: knee flexion only.

    Args:
        rgb: (H, W, 3) uint8 RGB frame.
        xy: (33, 2) landmark pixels; legs with a NaN hip/knee/ankle get no label.
        view: "front", "side", "oblique" or "unknown".
        visibility: optional (33,); in a side view it picks the near (better-seen) leg.
        thigh_ratio: optional (2,) [left, right] projected thigh / its standing length (the
            analysis's ``Signals.thigh_ratio`` at this frame): FPPA is shown, as in the rep table,
            only where it is ≥ ``FPPA_MIN_THIGH``; without it, where the thigh is ≥ half the shank.

    Returns:
        (H, W, 3) uint8 RGB copy.
    """
    out = np.array(rgb, dtype=np.uint8, copy=True)
    pts = _as_xy(xy)
    scale = 0.8 * _font_scale(out.shape)
    # clear of the joint dot and of the limb's flesh around the skeleton line
    gap = max(3 * _line_px(out.shape) + 2, int(0.03 * min(out.shape[:2])))
    with np.errstate(invalid="ignore", over="ignore"):  # inf landmarks: NaN angles, skipped below
        if view == "side":
            _side_labels(out, pts, visibility, scale, gap)
        else:
            _knee_labels(out, pts, view, scale, gap, thigh_ratio)
    return out


def _knee_labels(out: np.ndarray, pts: np.ndarray, view: str, scale: float, gap: int,
                 thigh_ratio: np.ndarray | None = None) -> None:
    """In place: a label beside the outside of each leg.

    Front view: the signed FPPA (+ = knee inside the hip–ankle line), but only while the thigh
    is not pointing at the camera: a 2D thigh shorter than half the shank is foreshortened and
    both FPPA and the 2D knee angle would mislead (planar cross-talk). Other views: knee flexion.
    """
    for leg in LEGS:
        hip, knee, ankle = _leg_points(pts, leg)
        flex = float(g.knee_flexion(hip, knee, ankle))
        k = _point(knee)
        if not np.isfinite(flex) or k is None:
            continue
        if view == "front":
            thigh, shank = float(g.distance(hip, knee)), float(g.distance(knee, ankle))
            f = float(g.fppa(hip, knee, ankle, _medial(pts, leg)))
            if not np.isfinite(f):
                continue
            ratio = None if thigh_ratio is None else float(thigh_ratio[LEG_INDEX[leg]])
            seen = thigh >= 0.5 * shank if ratio is None or not np.isfinite(ratio) else ratio >= FPPA_MIN_THIGH
            lines = [("FPPA " + _fmt_deg(f, signed=True), WHITE)] if seen else [("FPPA n/a", GREY)]
        else:
            lines = [("knee " + _fmt_deg(flex), WHITE)]
        # labels go outside the whole leg (a caved-in knee has its hip and ankle further out)
        outward = -_medial(pts, leg)
        xs = np.array([p[0] for p in (hip, knee, ankle)])
        edge = np.nanmax(outward * xs) * outward
        x = int(round(edge + outward * gap)) if np.isfinite(edge) else k[0]
        _draw_label(out, lines, (x, k[1]), align="left" if outward > 0 else "right", scale=scale)


def _side_labels(out: np.ndarray, pts: np.ndarray, visibility, scale: float, gap: int) -> None:
    """In place: near-leg knee flexion in front of the knee, trunk angle behind the hip."""
    leg = _best_side_leg(pts, visibility)
    forward = 1.0
    if leg is not None:
        hip, knee, ankle = _leg_points(pts, leg)
        forward = 1.0 if knee[0] >= hip[0] else -1.0  # knees travel forward of the hips in a squat
        k = _point(knee)
        if k is not None:
            _draw_label(out, [("knee " + _fmt_deg(float(g.knee_flexion(hip, knee, ankle))), WHITE)],
                        (k[0] + int(forward * gap), k[1]), align="left" if forward > 0 else "right", scale=scale)
    mid_hip = g.midpoint(pts[L_HIP], pts[R_HIP])
    mid_sh = g.midpoint(pts[L_SHOULDER], pts[R_SHOULDER])
    if not (np.all(np.isfinite(mid_hip)) and np.all(np.isfinite(mid_sh))) and leg is not None:
        side = 0 if leg == "left" else 1  # one side hidden: use the near side's hip and shoulder
        mid_hip, mid_sh = pts[(L_HIP, R_HIP)[side]], pts[(L_SHOULDER, R_SHOULDER)[side]]
    trunk = float(g.segment_angle_from_vertical(mid_hip, mid_sh))
    h = _point(mid_hip)
    if np.isfinite(trunk) and h is not None:
        _draw_label(out, [("trunk " + _fmt_deg(trunk), WHITE)], (h[0] - int(forward * gap), h[1]),
                    align="right" if forward > 0 else "left", scale=scale)


# ------------------------------------------------------------------------------------------------
# Banner
# ------------------------------------------------------------------------------------------------


def draw_hud(rgb: np.ndarray, *, rep_count: int, rep_label: str | None, verdict: str | None, cue: str | None,
             severity: str = "ok", note: str | None = None) -> np.ndarray:
    """Draw the top banner on a copy of ``rgb``: "Rep N <label>", the verdict, and the cue.

    The verdict is coloured by ``severity`` (ok green, minor amber, major red) and marked by a
    coloured bar at the banner's left edge; a ``note`` (a possible knee verdict, not a fault) follows
    it in pale yellow (:data:`POSSIBLE_COLOR`, also the bar's colour when there is no verdict). Text
    wraps to the frame width and fonts scale with the frame, so it reads on 360-px portrait clips
    and 1080p alike. The banner sits on a
    semi-transparent dark box and never exceeds ~45% of the frame height (extra cue lines are cut).

    Args:
        rgb: (H, W, 3) uint8 RGB frame.
        rep_count: the rep number to show; 0 or less shows ``rep_label`` alone (default "No rep yet").
        rep_label: short grey text after the number, e.g. "of 5"; None for none.
        verdict: e.g. "Good rep" / "Knees caved in (left)"; None for none.
        cue: one coaching sentence; None for none.
        severity: "ok" / "minor" / "major".
        note: e.g. "Knees: possible — look"; None for none.

    Returns:
        (H, W, 3) uint8 RGB copy; only rows in the top band change.
    """
    out = np.array(rgb, dtype=np.uint8, copy=True)
    h, w = out.shape[:2]
    scale = _font_scale(out.shape)
    cue_scale = 0.8 * scale
    thick, cue_thick = _text_thickness(scale), _text_thickness(cue_scale)
    pad = max(4, int(round(scale * 10)))
    bar = max(3, int(round(scale * 7))) if (verdict or note) else 0
    text_x = bar + pad
    max_w = max(1, w - text_x - pad)
    sev_color = SEVERITY_COLORS.get(severity, WHITE)
    bar_color = sev_color if verdict else POSSIBLE_COLOR

    if rep_count and rep_count > 0:
        head = _words(f"Rep {int(rep_count)}", WHITE) + _words(rep_label, GREY)
    else:  # before the first rep (or none at all): the label alone, e.g. "No squats found"
        head = _words(rep_label or "No rep yet", WHITE)
    if (verdict or note) and head:
        head[-1] = (head[-1][0] + ":", head[-1][1])
    if verdict:
        head += _words(verdict, sev_color)
        if note:
            head[-1] = (head[-1][0] + ";", head[-1][1])
    head += _words(note, POSSIBLE_COLOR)
    rows = [(line, scale, thick) for line in _wrap_words(head, scale, thick, max_w)]
    rows += [(line, cue_scale, cue_thick) for line in _wrap_words(_words(cue, WHITE), cue_scale, cue_thick, max_w)]

    # lay out rows until the banner would grow past its height budget
    budget = max(1, int(h * HUD_MAX_FRACTION))
    placed: list = []
    y = pad
    for i, (line, sc, th) in enumerate(rows):
        _, cap, base = _text_size("Hg", sc, th)
        row_h = cap + base + pad // 2
        if i and y + row_h + pad > budget:
            placed[-1] = (_with_ellipsis(placed[-1][0], placed[-1][1], placed[-1][2], max_w),) + placed[-1][1:]
            break
        placed.append((line, sc, th, y + cap))
        y += row_h
    box_h = min(h, y + pad - pad // 2)
    _darken_box(out, 0, 0, w, box_h, HUD_ALPHA)
    if bar:
        out[:box_h, :bar] = bar_color
    for line, sc, th, baseline in placed:
        x = text_x
        space = cv2.getTextSize(" ", _FONT, sc, th)[0][0]
        for word, color in line:
            _put_text(out, word, (x, baseline), sc, color, th)
            x += _text_size(word, sc, th)[0] + space
    return out


# ------------------------------------------------------------------------------------------------
# Putting it together for one frame
# ------------------------------------------------------------------------------------------------


def _rep_times(rep: Mapping) -> tuple[float, float] | None:
    s: Any = rep.get("start_s")  # JSON values: _finite() says whether float() takes them
    e: Any = rep.get("end_s")
    return (float(s), float(e)) if _finite(s) and _finite(e) else None


def rep_at_time(result: Mapping, t_s: float) -> tuple[dict | None, bool]:
    """The rep to show at ``t_s``: the one in progress, else the last completed, else None.

    Returns:
        (rep dict or None, True if ``t_s`` lies inside that rep's [start_s, end_s]).
    """
    best, best_end = None, -math.inf
    for rep in (result.get("reps") or []):
        times = _rep_times(rep)
        if times is None:
            continue
        start, end = times
        if start <= t_s <= end:
            return rep, True
        if end < t_s and end > best_end:
            best, best_end = rep, end
    return best, False


def _legs_text(legs: Iterable[str]) -> str:
    legs = [leg for leg in legs if leg in LEGS]
    return "both" if len(legs) == 2 else (legs[0] if legs else "")


def valgus_legs(rep: Mapping | None) -> dict:
    """The rep's ``valgus`` object for :func:`draw_pose` when its knees clearly caved in (legs drawn
    red); ``{}`` for any other verdict (a "possible" knee is not a fault: its legs stay green)."""
    if not rep or faults.valgus_verdict(rep) != faults.CLEAR:
        return {}
    return dict(rep.get("valgus") or {})


def verdict_text(rep: Mapping | None) -> str | None:
    """A short verdict for a rep: "Good rep", "Knees caved in (left)", "Not deep enough; Heels lifted",
    with a possible knee verdict (not a fault) last: "Knees: possible — look", "Not deep enough;
    Knees: possible (left) — look"."""
    if rep is None:
        return None
    faults_text, possible = hud_verdict(rep)
    return "; ".join(t for t in (faults_text, possible) if t)


def hud_verdict(rep: Mapping | None) -> tuple[str | None, str | None]:
    """(the faults' verdict, the possible-knee note) for the banner, drawn in different colours:
    ``("Good rep", None)``, ``("Not deep enough; Heels lifted", "Knees: possible — look")``,
    ``(None, "Knees: possible — look")`` (a possible knee is not called a good rep), ``(None, None)``
    without a rep."""
    if rep is None:
        return None, None
    possible = faults.possible_text(rep)
    return _faults_text(rep) or (None if possible else "Good rep"), possible


def _faults_text(rep: Mapping) -> str | None:
    """"Knees caved in (left); Not deep enough" for the rep's flags; None without flags."""
    flags = list(rep.get("flags") or [])
    if not flags:
        return None
    details = {d.get("code"): d for d in (rep.get("flag_details") or []) if isinstance(d, Mapping)}
    parts = []
    for code in sorted(flags, key=lambda c: _VERDICT_ORDER.index(c) if c in _VERDICT_ORDER else len(_VERDICT_ORDER)):
        if code == "knee_valgus":
            valgus = rep.get("valgus") or {}
            legs = details.get(code, {}).get("legs") or [leg for leg in LEGS if valgus.get(leg)]
            which = _legs_text(legs)
            words = faults.long_label(code)
            parts.append(f"{words} ({which})" if which else words)
        elif code == "lateral_shift":
            side = details.get(code, {}).get("direction")
            words = faults.long_label(code)
            parts.append(f"{words} ({side})" if side else words)
        else:
            parts.append(faults.long_label(code))
    return "; ".join(parts)


def annotate_frame(rgb: np.ndarray, t_s: float, analysis_result: Mapping, track_xy_at_t: np.ndarray,
                   visibility_at_t: np.ndarray | None = None, thigh_ratio_at_t: np.ndarray | None = None) -> np.ndarray:
    """Skeleton, angles and banner for the frame at ``t_s``.

    The banner shows the rep in progress (else the last completed one), its verdict, first cue and
    severity. Legs are drawn red only while inside a rep that flagged them for valgus. With no reps,
    the banner shows the analysis's first problem message (e.g. "No squat reps were found ...").

    Args:
        rgb: (H, W, 3) uint8 RGB frame.
        t_s: the frame's time in seconds.
        analysis_result: the JSON result of :func:`vision.analysis.analyze_track`.
        track_xy_at_t: (33, 2) landmarks in this frame's pixels (NaN when none).
        visibility_at_t: optional (33,).
        thigh_ratio_at_t: optional (2,): see :func:`draw_angles`.

    Returns:
        (H, W, 3) uint8 RGB copy.
    """
    rep, inside = rep_at_time(analysis_result, t_s)
    valgus = valgus_legs(rep) if inside else {}
    view = (rep.get("view") if rep is not None else None) or analysis_result.get("view") or "unknown"
    out = draw_pose(rgb, track_xy_at_t, visibility_at_t, flags=valgus)
    out = draw_angles(out, track_xy_at_t, view=view, visibility=visibility_at_t, thigh_ratio=thigh_ratio_at_t)
    reps = analysis_result.get("reps") or []
    if rep is None:
        problems = analysis_result.get("problems") or []
        cue = problems[0].get("message") if (not reps and problems and isinstance(problems[0], Mapping)) else None
        return draw_hud(out, rep_count=0, rep_label=None if reps else "No squats found", verdict=None, cue=cue)
    cues = rep.get("cues") or []
    verdict, note = hud_verdict(rep)
    return draw_hud(out, rep_count=int(rep.get("index") or 0), rep_label=f"of {len(reps)}",
                    verdict=verdict, cue=cues[0] if cues else None, severity=rep.get("severity") or "ok", note=note)
