"""Import the engine in the background when the app starts, so the first analysis does not wait for it.

MediaPipe, SciPy and the engine's modules take ~1.5 s to import on the 2-core machine; a user takes
longer than that to pick a file. Python's import lock makes a page that needs a module first simply
wait for the same import, never run it twice.
"""

from __future__ import annotations

import logging
import threading

import streamlit as st

log = logging.getLogger("squatcheck.ui.preload")


def _import_engine() -> None:
    try:
        # what pose needs first: an upload that arrives meanwhile starts pose as soon as these are in
        from mediapipe.tasks.python import vision as _mp_vision  # noqa: F401 - the pose model runtime

        import vision.analysis  # noqa: F401
        import vision.pose

        import scipy.signal  # noqa: F401 - track cleaning, needed only once pose is done
        _warm_pose_runtime(vision.pose)
    except Exception:  # the page that needs it reports the problem in words
        log.warning("preloading the engine failed", exc_info=True)


def _warm_pose_runtime(pose) -> None:
    """Run the default model once on a blank frame and close it: the process's first landmarker pays
    the pose runtime's one-time start-up (measured 0.13-0.21 s for the two segments' landmarkers of a
    first analysis, 0.09 s afterwards). Every analysis still gets new landmarkers of its own."""
    import numpy as np

    with pose.PoseEstimator("full") as estimator:
        estimator.process(np.zeros((64, 64, 3), np.uint8), 0.0)


@st.cache_resource(show_spinner=False)
def start() -> threading.Thread:
    """Start the background import once per server process (later calls return the same thread)."""
    thread = threading.Thread(target=_import_engine, name="squatcheck-preload", daemon=True)
    thread.start()
    return thread
