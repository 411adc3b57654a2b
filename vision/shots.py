"""Shot boundaries in edited clips (hard cuts between camera angles or zoom levels).

A hard cut changes the whole picture from one frame to the next: the mean absolute difference
of small grey thumbnails (``PoseTrack.cut_score``, measured while decoding) spikes far above
its level in the surrounding frames, where even a handheld camera changes the picture
gradually. Cleaning, standing references and rep counting then run within each shot, never
across a cut (a cut also jumps the body's size, which would look like a squat).
"""

from __future__ import annotations

import numpy as np

from vision.track import PoseTrack

# Local, not in thresholds.py: a video-editing cut detector on grey levels, not a rule on the body.
CUT_MIN_SCORE = 0.06   # [heuristic] ≥ 6% mean grey-level change between consecutive frames
CUT_CONTRAST = 8.0     # [heuristic] and ≥ 8× the median change of the surrounding second (cuts seen: 34–120×)
CONTEXT = 15           # frames each side for that median


def shot_ids(track: PoseTrack) -> np.ndarray:
    """(T,) int shot number per frame: 0 for the first shot, +1 after each detected cut."""
    T = len(track)
    score = track.cut_score
    if score is None or T < 3:
        return np.zeros(T, int)
    score = np.asarray(score, float)
    padded = np.pad(score, CONTEXT, mode="edge")
    local = np.median(np.lib.stride_tricks.sliding_window_view(padded, 2 * CONTEXT + 1), axis=1)
    cut = (score >= CUT_MIN_SCORE) & (score >= CUT_CONTRAST * np.maximum(local, 1e-3))
    cut[0] = False
    return np.cumsum(cut)
