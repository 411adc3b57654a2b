"""The guided screening protocol: which clips to film, how, and what the trainer measures by hand.

Issue 22's protocol, after the NASM overhead-squat assessment's views (corrective.md §1), the heel-lift
squat (Bell 2008, corrective.md §2) and Crossley 2011's single-leg squat (5 reps). A page shows these
steps in order; the command line takes one clip per step. Every step may be skipped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

FRONT, SIDE, HEELS_RAISED, SINGLE_LEG_LEFT, SINGLE_LEG_RIGHT = (
    "front", "side", "heels_raised", "single_leg_left", "single_leg_right")
STEP_IDS = (FRONT, SIDE, HEELS_RAISED, SINGLE_LEG_LEFT, SINGLE_LEG_RIGHT)
RETEST_WEEKS = 4  # corrective.md §1 and §7: re-assess every 4-6 weeks, re-test at 4 weeks
HEEL_BOARD_CM = 2.5  # issue 22: a ~2.5 cm plate or board under the heels


@dataclass(frozen=True)
class Step:
    """One clip of the protocol: what to film, from where, and which engine settings analyse it."""

    id: str
    title: str
    camera: str  # the view the engine should see: "front" or "side"
    reps: int
    instructions: str
    profile: str  # the engine profile the clip is analysed with
    when: str = "always"  # "always", or why the step is only sometimes needed

    def to_dict(self) -> dict:
        return asdict(self)


CAMERA_SETUP = ("Phone on a tripod at knee-to-hip height, about 3 m away, the whole body (head to feet) in frame, "
                "good light, fitted clothes, shoes off, one person in view.")

STEPS: tuple[Step, ...] = (
    Step(FRONT, "Squat from the front", "front", 5,
         "Feet shoulder-width, toes forward, arms overhead in line with the ears; squat to chair height or lower "
         "at about 4 s a rep, 5 reps. The person faces the camera squarely.", "bodyweight"),
    Step(SIDE, "Squat from the side", "side", 5,
         "The same squat, 5 reps, turned 90 degrees to the camera (depth, trunk lean and heel rise).", "bodyweight"),
    Step(HEELS_RAISED, "Heels-raised squat from the front", "front", 5,
         f"The same squat from the front with both heels on a plate or board about {HEEL_BOARD_CM:g} cm high, "
         "to the same depth as step 1, 5 reps.", "bodyweight",
         when="only when the knees caved in in step 1 (the follow-up test that tells the ankle from the hip)"),
    Step(SINGLE_LEG_LEFT, "Single-leg squat on the left leg", "front", 5,
         "Standing on the LEFT leg (on a 20 cm box, or the floor), arms crossed on the chest, squat as far as "
         "comfortable and back up, 5 reps at about 2 s each, facing the camera.", "single-leg"),
    Step(SINGLE_LEG_RIGHT, "Single-leg squat on the right leg", "front", 5,
         "The same on the RIGHT leg, 5 reps, facing the camera.", "single-leg"),
)
STEPS_BY_ID = {s.id: s for s in STEPS}

HAND_ENTRIES = (
    {"id": "knee_to_wall_cm", "title": "Knee-to-wall distance, left and right (cm)",
     "instructions": "Weight-bearing lunge test: the foot's big toe X cm from a wall, heel down, the knee touches "
                     "the wall; move the foot back until the heel just stays down. The largest toe-to-wall "
                     "distance, per side, in cm."},
    {"id": "pain", "title": "Pain during the squat (yes / no) and where",
     "instructions": "Ask whether any step hurt. Any pain: no exercise plan, see a clinician."},
)


def describe_protocol() -> dict:
    """The protocol as a plain dict (for a page or the JSON): the steps, the camera set-up, the hand entries."""
    return {"camera_setup": CAMERA_SETUP, "steps": [s.to_dict() for s in STEPS], "hand_entries": list(HAND_ENTRIES),
            "retest_weeks": RETEST_WEEKS}
