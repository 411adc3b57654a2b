"""What kind of movement a dip is: a squat on both legs, a squat on one leg, or not a squat.

A dip whose lower body was out of view for much of it is not judged at all. The depth signal dips for lunges, split squats, burpees, deadlifts and picking things up too.
These tests use what each movement does to the body, not the camera view, so they hold from the
front, the side and anything between:
- **lunge / split squat / step-back**: one leg folds towards the floor while the other bends over
  its planted foot — the thighs move asymmetrically (one towards horizontal, one staying near
  vertical) and the folding leg's shin lies back (its knee drops to about its ankle's height);
- **step**: a foot moves, in the picture and against the other foot (walking, stepping into a lunge;
  a panning camera moves both feet and the hips alike);
- **burpee / floor work**: the body is not upright before or after the dip (a plank: the hips
  low although the legs are straight); not from the front, where a plank's legs point away from
  the camera, look as short as a deep squat's and the burpee reads as one dip between two stances;
- **bow / setting a bar down** (re-racking, putting a weight on a bench): a squat starts and
  finishes standing tall; a trunk still tipped over, closer to horizontal than vertical, when
  the legs have straightened at either end of the dip is not the end of a squat;
- **hinge** (deadlift, picking up, walking a bar into the rack): the trunk tips over much further
  than the shins (in a squat trunk and shins lean about alike). Leans come from each segment's
  vertical extent against its standing length, so they hold from any camera angle.
A squat on one leg holds one foot off the floor through the rep (its ankle stays well above the
standing one from start to end), or moves its free foot with the body and back (a step-down off a
box lowers it below the standing foot) while the standing foot stays put; it does not fold the
other leg back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vision import geometry as g
from vision.rep_frames import RepFrames, nanmedian, sustained_max
from vision.thresholds import Thresholds



@dataclass(frozen=True)
class Movement:
    kind: str                 # "squat", "single_leg" or "rejected"
    reason: str | None = None  # why a rejected dip is not a squat


SQUAT = Movement("squat")
SINGLE_LEG = Movement("single_leg")


def lunge_like(rf: RepFrames, th: Thresholds, look_down_tan: float = 0.0) -> bool:
    """One leg folds back towards the floor while the other bends over its foot (any view).

    Two signatures, either enough: the thighs move asymmetrically with the rear shin folded, or the
    shins alone differ — one lies near the floor (its knee down at its ankle's height, lower than
    the other knee) while the other stands upright. In a squat on both feet both shins tilt alike.
    The shins' test still holds where the camera makes the front thigh look steep (a low camera near
    the front knee) or MediaPipe misplaces a thigh, as on an oblique reverse lunge whose thighs read
    only 0.4 apart. The shins are read as a level camera would see them (``look_down_tan``, the
    camera's look-down angle, ``geometry.level_shank_vertical``): a phone looking down 35-40°
    makes a deep squat's forward-leaning shins look nearly flat (0.2-0.3), and turned 25° off the
    front one of them more than the other; every rep of such sets was thrown away as a lunge.
    """
    hk = rf.sig.hip_knee[rf.loaded]                # (k, 2): ≈ −1 thigh vertical, ≈ 0 horizontal
    shins = g.level_shank_vertical(rf.sig.shank_vertical[rf.loaded], look_down_tan)  # (k, 2): ≈ 1 upright, ≈ 0 flat
    rear = np.argmin(np.nan_to_num(hk, nan=0.0), axis=1)   # the leg whose thigh stays more vertical
    rows = np.arange(len(rf.loaded))
    asym = np.abs(hk[:, 0] - hk[:, 1])
    folded = shins[rows, rear] <= th.lunge_folded_shin.value
    if sustained_max(np.where(folded, asym, np.nan), rf.n_sustain) >= th.lunge_thigh_asymmetry.value:
        return True
    low = np.argmin(np.nan_to_num(shins, nan=np.inf), axis=1)   # the leg whose shin lies flatter
    spread = shins[rows, 1 - low] - shins[rows, low]
    # ... with its knee down below the other (its thigh hangs more steeply from the hip): a pistol's
    # free leg, held out in front, has a flat shin too, but its knee is up near the hip
    knee_down = hk[rows, low] < hk[rows, 1 - low]
    lying = (shins[rows, low] <= th.lunge_folded_shin.value) & knee_down
    return sustained_max(np.where(lying, spread, np.nan), rf.n_sustain) >= th.lunge_shin_asymmetry.value


def lifted_foot(rf: RepFrames, th: Thresholds) -> int | None:
    """The foot (0 left, 1 right) that stays clearly above the other from the rep's start to its
    end: higher than a planted far foot ever looks from an oblique camera. None when neither does."""
    y = rf.sig.ankle_pos[rf.idx, :, 1]             # image y down, leg lengths
    lift = y[:, 0] - y[:, 1]                        # + = left foot lower (right lifted)
    side = np.sign(nanmedian(lift))
    if side == 0 or len(lift) < 3:
        return None
    lifted = side * lift >= th.single_leg_lift.value
    if lifted[[0, -1]].all() and np.mean(lifted) >= th.single_leg_fraction.value:
        return 1 if side > 0 else 0
    return None


def one_foot_lifted(rf: RepFrames, th: Thresholds) -> bool:
    """One foot held off the floor through the rep (a pistol, a shrimp squat, or a rear foot up on a bench)."""
    return lifted_foot(rf, th) is not None


def free_foot_held(rf: RepFrames, th: Thresholds) -> bool:
    """A foot held off the floor that goes down and up with the hips: a single-leg squat whose free
    foot is held in the hand behind (a shrimp squat) or in front (a pistol), whatever its shin does.

    A Bulgarian split squat's rear foot is off the floor too, but it rests on a bench and stays put
    while the hips go down; a lunge's rear foot is on the floor. Measured as how far the lifted
    ankle moves down for each unit the hips move down over the rep (least squares slope of image
    heights, which a camera's view does not change the sign of).
    """
    free = lifted_foot(rf, th)
    if free is None:
        return False
    hip = rf.sig.hip_pos[rf.idx, 1]
    ankle = rf.sig.ankle_pos[rf.idx, free, 1]
    ok = np.isfinite(hip) & np.isfinite(ankle)
    if ok.sum() < 3 or np.ptp(hip[ok]) <= 0:
        return False
    h = hip[ok] - hip[ok].mean()
    slope = float(h @ (ankle[ok] - ankle[ok].mean()) / (h @ h))
    return slope >= th.free_foot_follows_hips.value


def lateral_lunge_like(rf: RepFrames, th: Thresholds) -> bool:
    """The body lowered over one leg while the other stayed straight and in line (a lateral or side
    lunge), with both feet on the floor: in a squat both legs shorten alike (the straighter one by ≥ 0.86 of the
    other on every counted rep of the shared clips, from any view), in a lateral lunge the straight
    leg hardly shortens (≤ 0.22 from the front to 45° on synthetic skeletons). Not from the side,
    where the straight leg's sideways tilt is seen end-on.

    ... and the hips travelled sideways off the middle of the feet (``lateral_lunge_hip_travel``,
    either way: over the bent leg's foot, as a lateral lunge's do, or away from it, as in a
    shuffle or dance step). A squat whose one knee caves far in points that thigh at the camera:
    its leg reads straight and hardly shortened beside the other, as a lunge's does (synthetic
    squats with one knee a foot length inside its line, up to 10° off the front: every rep was
    thrown away), but its hips stay over the middle of the feet."""
    short = rf.sig.leg_shortening[rf.loaded]      # (k, 2)
    if not np.isfinite(short).all(axis=1).any():
        return False
    rows = np.arange(len(rf.loaded))
    straighter = np.argmin(np.nan_to_num(short, nan=np.inf), axis=1)
    bent, straight = short[rows, 1 - straighter], short[rows, straighter]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(bent > 0, straight / bent, np.nan)
    # ... and that leg really is straight: hip, knee and ankle in line, which they are from any view
    in_line = nanmedian(rf.sig.knee_flexion[rf.loaded[rows], straighter]) <= th.straight_leg_max_flexion.value
    return bool(nanmedian(ratio) < th.lateral_lunge_ratio.value and in_line
                and abs(nanmedian(rf.hip_shift())) >= th.lateral_lunge_hip_travel.value)


def moving_free_foot(rf: RepFrames, th: Thresholds) -> int | None:
    """The leg (0 left, 1 right) whose foot travels with the body (further than a planted foot's own
    wander, ``planted_travel``) and comes back while the other foot stays planted: a squat on one
    leg whose free foot is lowered off a step (step-down), reached forward or held up, in any view.
    None when no foot does.

    A step is different: its foot lands somewhere else and stays there.
    """
    at_bottom, at_end = rf.foot_shift()
    # over the rep, not only at the bottom, as long as it is several times the other foot's wander
    # (from the front a bilateral squat's bent knees read nearly straight: its feet wander alike)
    moved = rf.foot_moved(th.free_foot_wander_ratio.value)
    free = int(np.nanargmax(moved)) if np.isfinite(moved).any() else 0
    planted = 1 - free
    planted_travel = th.planted_travel.value
    moving = bool(moved[free] >= planted_travel and at_end[free] <= planted_travel and leg_straight(rf, free, th)
                  and at_bottom[planted] <= planted_travel and rf.foot_travel()[planted] <= planted_travel)
    return free if moving else None


def leg_straight(rf: RepFrames, k: int, th: Thresholds) -> bool:
    """Leg ``k`` held nearly straight over the loaded phase: its hip, knee and ankle stay in line in
    any view, as a single-leg squat's free leg does, where a lunge's or split squat's rear leg bends
    to put its knee near the floor.

    Read from the knee angle, or, where the leg points nearly at the camera (its hip-ankle length in
    the picture under ``free_leg_end_on`` of its standing length) and that angle is a few pixels'
    noise, from the knee staying on the segment from its hip to its ankle (``knee_off_straight_leg``):
    a line stays a line in any camera, however foreshortened. A pistol's free leg held out at a
    phone low on the floor reads so (its knee angle 36-68°); a Bulgarian split squat's rear leg,
    folded under the hips to its foot up on a bench, puts its knee well off that segment."""
    sig, loaded = rf.sig, rf.loaded
    if nanmedian(sig.knee_flexion[loaded, k]) <= th.free_leg_max_flexion.value:
        return True
    end_on = nanmedian(sig.leg_shortening[loaded, k]) >= 1.0 - th.free_leg_end_on.value
    return bool(end_on and nanmedian(sig.knee_off_leg[loaded, k]) <= th.knee_off_straight_leg.value)


def held_free_leg(rf: RepFrames, th: Thresholds) -> int | None:
    """The leg (0 left, 1 right) whose foot is held off the floor through the rep (``lifted_foot``),
    whose shin reads flat and which is held straight: a pistol's free leg held out towards the
    camera, where a Bulgarian split squat's rear leg, its foot up on a bench, bends. A camera low on
    the floor sees such a foot come towards it more than across the picture (0.10 leg lengths on a
    synthetic pistol), so ``moving_free_foot`` cannot tell it. Not its foot's travel instead of
    the straight leg: a real Bulgarian split squat's rear ankle point moved 0.12-0.19 leg lengths
    on its bench (the foot rolls), as far as a free foot. None otherwise."""
    lifted = lifted_foot(rf, th)
    if lifted is None or lifted != flatter_shin(rf):
        return None
    return lifted if leg_straight(rf, lifted, th) else None


def flatter_shin(rf: RepFrames) -> int:
    """The leg (0 left, 1 right) whose shin lies flatter in the picture over the loaded phase: a
    lunge's rear leg, or a pistol's free leg held out towards the camera."""
    shins = [nanmedian(rf.sig.shank_vertical[rf.loaded, k]) for k in range(2)]
    return int(np.argmin(np.nan_to_num(shins, nan=np.inf)))


def standing_leg(rf: RepFrames, th: Thresholds) -> int:
    """The leg a single-leg squat stands on: the foot that stays put while the free one moves with
    the body; when both stay put (a foot held still in the air), the lower one (on the floor).
    The lowest foot alone would pick the free foot of a step-down off a box, and a pistol's free
    foot held forward towards a camera that looks down (lower in the picture than the standing one)."""
    moved = rf.foot_moved(th.free_foot_wander_ratio.value)  # see moving_free_foot
    if np.isfinite(moved).all() and abs(moved[0] - moved[1]) >= 0.1:  # [heuristic] leg lengths: one planted, one moving
        return int(np.argmin(moved))
    y = rf.sig.ankle_pos[rf.bent, :, 1] if len(rf.bent) else rf.sig.ankle_pos[rf.idx, :, 1]
    return int(np.nanargmax(np.nanmean(y, axis=0)))


def feet_moved(rf: RepFrames, th: Thresholds, single_leg: bool) -> bool:
    """A foot travelled while the body was lowered (a step, a walk-out or a walking lunge).

    A foot travels as far as a step in the picture (``stance_max_step``), and not with the body: a
    handheld phone that pans moves both feet and the hips alike (the shared squats re-filmed with a
    camera panning a fifth of the picture: two of their reps were thrown away as steps), a step
    moves one foot at a time. So the line from one ankle to the other must change too, by more than
    the ankles' jitter (``stance_line_jitter``); on one leg, whose free foot moves by design, the
    standing foot (:func:`standing_leg`, the one the knee judge judges) against the hips' sideways
    position, which stays over it.
    """
    lowered = rf.idx[rf.sig.depth[rf.idx] >= 0.25 * rf.win.peak_depth]
    in_picture = rf.foot_travel(lowered)
    if single_leg:
        standing = standing_leg(rf, th)
        against_body = rf.foot_travel(lowered, against_hips=True)[standing]
    else:
        standing, against_body = int(np.argmax(in_picture)), rf.stance_travel(lowered)
    return bool(in_picture[standing] > th.stance_max_step.value and against_body > th.stance_line_jitter.value)


def not_upright_around(rf: RepFrames, th: Thresholds) -> bool:
    """The body was not upright at the start or the end of the dip: straight legs but low hips (a plank)."""
    h = rf.sig.hip_height
    ends = [nanmedian(h[max(i - 2, 0):i + 3]) for i in rf.standing_ends]
    return any(np.isfinite(e) and e < th.upright_min.value for e in ends)


def bent_over_at_ends(rf: RepFrames, th: Thresholds) -> bool:
    """The trunk was still tipped far over at the start or the end of the dip, where the legs are
    straight (bowing under a bar to rack it, setting a weight down): at the frame where the depth
    crosses the exit threshold *and* over the standing frames just outside that end
    (``RepFrames.standing_by_ends``, those with the shoulders above the hips). At the crossing a
    quarter squat's trunk still leans, and from a camera looking down 20-30° at the hips a trunk
    leaning 25° towards it reads 45° (synthetic quarter squats were thrown away); a bow stays bent
    as the person stands.

    Not judged where the shoulders ever sit below the hips in the dip: a bow or a squat never puts
    them there (only a hinge past horizontal does, and that is judged by ``hinge_like``), so the
    trunk's landmarks are not credible (MediaPipe does it for a lifter hidden behind the plates).
    """
    up = rf.sig.torso_upright
    if not np.isfinite(up[rf.idx]).any() or np.nanmin(up[rf.idx]) < 0:
        return False

    def bent(uprightness: np.ndarray) -> bool:
        lean = nanmedian(uprightness)
        return bool(np.isfinite(lean) and lean_deg(lean) >= th.end_trunk_max_lean.value)

    return any(bent(up[max(i - 2, 0):i + 3]) and bent(up[standing][up[standing] >= 0])
               for i, standing in zip(rf.standing_ends, rf.standing_by_ends()))


def lean_deg(vertical_extent: np.ndarray | float) -> np.ndarray:
    """A segment's tilt from vertical (deg) from its vertical extent / standing length: (...) -> (...)."""
    return np.degrees(np.arccos(np.clip(vertical_extent, 0.0, 1.0)))


def hinge_like(rf: RepFrames, th: Thresholds) -> bool:
    """The trunk tipped over much further than the shins, sustained in the loaded phase."""
    sig = rf.sig
    trunk = lean_deg(sig.torso_upright[rf.loaded])
    shin = lean_deg(np.nanmean(sig.shank_vertical[rf.loaded], axis=1))
    return sustained_max(trunk - shin, rf.n_sustain) >= th.hinge_divergence.value


def classify_movement(rf: RepFrames, view: str, th: Thresholds, single_leg_profile: bool = False) -> Movement:
    """Squat, single-leg squat, or not a squat (with the reason) for one dip.

    ``view`` is the bilateral view verdict (used only by the view-specific split-stance checks);
    ``single_leg_profile``: the user said these are single-leg squats.
    """
    if np.mean(rf.sig.valid[rf.idx]) < th.movement_min_seen.value:
        return Movement("rejected", "the hips, knees or feet were out of view for much of the dip, so it was not "
                                    "counted (film the whole body)")
    # a shrimp squat's free shin lies folded like a lunge's, its foot off the floor; a deep pistol's free
    # shin points at the camera and its knee hangs below the standing one's, as a lunge's rear leg does,
    # but that leg is straight, and its foot travels with the body while the standing foot stays put, or
    # is held off the floor through the rep
    moving = moving_free_foot(rf, th)
    held = free_foot_held(rf, th)
    # the camera's look-down angle, read from the toes, where they point at it (not from the side)
    look_down = rf.look_down_tan if view != "side" else 0.0
    if lunge_like(rf, th, look_down) and not (held or (moving is not None and moving == flatter_shin(rf))
                                   or held_free_leg(rf, th) is not None):
        return Movement("rejected", "one leg folded back towards the floor (a lunge or split squat), not a squat")
    single = single_leg_profile or held or moving is not None or one_foot_lifted(rf, th)
    if feet_moved(rf, th, single):
        return Movement("rejected", "the feet moved (a step or lunge), not a squat")
    if not_upright_around(rf, th):
        return Movement("rejected", "the body was not upright before or after the dip (a burpee or floor work), "
                                    "not a squat")
    if bent_over_at_ends(rf, th):
        return Movement("rejected", "the trunk was still bent far over as the legs straightened (bowing to rack a "
                                    "bar or set a weight down), not the end of a squat")
    if hinge_like(rf, th):
        return Movement("rejected", "the trunk bent far over while the shins stayed upright (a hinge: deadlift, "
                                    "picking something up or racking a bar), not a squat")
    if single:
        return SINGLE_LEG
    if view != "side" and lateral_lunge_like(rf, th):
        return Movement("rejected", "one leg stayed straight while the body lowered over the other (a side lunge), "
                                    "not a squat")
    # the stance over the rep's bottom (its bent frames), not at one frame: one glitching ankle point at the
    # deepest frame (0.13 leg lengths apart where the frames around it read 0.02-0.03) is no split stance
    feet = rf.sig.ankle_pos[rf.bent]                       # (k, 2 feet, xy) in leg lengths
    if view == "side" and nanmedian(np.abs(feet[:, 0, 0] - feet[:, 1, 0])) > th.stance_max_split.value:
        return Movement("rejected", "the feet were split front-to-back (lunge / split squat)")
    # No such test from the front: there the feet's depth shows only as height in the picture, and
    # a camera looking down 30° from 15° to the side lifts one foot of a shoulder-width stance by
    # more than a split stance would (synthetic squats: every rep thrown away). Lunges and split
    # squats are told from the front by what the legs do (``lunge_like``).
    return SQUAT
