"""A guided screening (issue 22): from the squat's findings to the follow-up test, a plan and a re-test.

Built on the engine's result dicts; the engine (``vision/``) knows nothing of it. One concept per module:

* ``protocol``: the steps to film and the hand entries;
* ``clips``: one analysed clip read as a step (the knees' pattern over the set, numbers with their error);
* ``heel_lift``: heels raised vs flat → the ankle or the hip/trunk-control branch, or no clear conclusion;
* ``single_leg``: the single-leg squat rated good / fair / poor per side (Crossley 2011);
* ``findings``: knee caving, knee-to-wall, side view, shift and asymmetry, pain;
* ``plan``: a few corrective exercises from ``trainer/data/corrective_exercises.json``;
* ``retest``: a re-screen against the last one, real only beyond the measurement error; the trend;
* ``screen``: :func:`build_screening`, the one call a page makes;
* ``sources``: every source cited, by id;
* ``pdf``: the trainer's report and the client's one-page handout; ``cli``: ``python -m vision screen``.
"""

from trainer.screening.protocol import STEP_IDS, STEPS, describe_protocol
from trainer.screening.retest import compare_screenings, trend
from trainer.screening.screen import build_screening

__all__ = ["STEPS", "STEP_IDS", "build_screening", "compare_screenings", "describe_protocol", "trend"]
