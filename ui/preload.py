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
        import scipy.signal  # noqa: F401 - track cleaning
        from mediapipe.tasks.python import vision as _mp_vision  # noqa: F401 - the pose model runtime

        import vision.analysis  # noqa: F401
        import vision.pose  # noqa: F401
    except Exception:  # the page that needs it reports the problem in words
        log.warning("preloading the engine failed", exc_info=True)


@st.cache_resource(show_spinner=False)
def start() -> threading.Thread:
    """Start the background import once per server process (later calls return the same thread)."""
    thread = threading.Thread(target=_import_engine, name="squatcheck-preload", daemon=True)
    thread.start()
    return thread
