"""Live (webcam) analysis: the offline pipeline in streaming form, one frame at a time.

Per frame: pose → One-Euro smoothing → the same depth signal (with a trailing standing
reference instead of a centred one) → the same ``RepCounter``. When a rep completes, and
``JUDGE_DELAY_S`` later (so the standing frames after it are in the buffer, as they are in a
file), the buffered frames go through the *offline* cleaning, signals and rep segmentation, and
the offline window that overlaps the live rep is judged by ``judge_dip``: a live rep is found
and judged like the same rep in a recording.

The whole set's landmarks are kept (:meth:`LiveAnalyzer.track`), so when the set ends
:meth:`LiveAnalyzer.analysis` runs the file pipeline (``vision.analysis.analyze_track``) on it:
the same result, tables and charts as an uploaded video.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from vision import geometry as g
from vision.assess import judge_dip
from vision.filters import OneEuroFilter
from vision.landmarks import L_ANKLE, L_HIP, LOWER_BODY, R_ANKLE, R_HIP
from vision.options import AnalysisOptions
from vision.reps import RepCounter, RepWindow
from vision.signals import EDGE_MARGIN, STANDING_PERCENTILE, STANDING_WINDOW_S, clean_track, compute_signals
from vision.thresholds import get_profile
from vision.track import PoseFrame, PoseTrack

# Local, not in thresholds.py: when the live page judges (scheduling on a slow machine), not how.
BUFFER_S = 20.0        # enough for the slowest rep plus its standing context
MIN_VISIBILITY = 0.5
JUDGE_DELAY_S = 0.5    # = Thresholds.rep_baseline_window: the standing frames after a rep are part of its baseline
JUDGE_MIN_FRAMES = 3   # ... and at least this many frames after it (a slow machine analyses few a second)
JUDGE_MAX_WAIT_S = 3.0  # the smoothed depth still down this long after the live rep ended: judge the live window
JUDGE_RETRY_S = 0.25    # while it is still down, look again this often (each look cleans the whole buffer)
MAX_SET_S = 20 * 60    # a set keeps its landmarks this long (the file limit); then a new set starts


@dataclass
class LiveState:
    """What the live page shows after each frame."""

    rep_count: int = 0
    last_rep: dict | None = None
    depth: float = float("nan")
    phase: str = "waiting"          # waiting | standing | down
    xy: np.ndarray | None = None    # (33, 2) smoothed landmarks in frame pixels
    visibility: np.ndarray | None = None
    message: str | None = None      # capture problem in plain words, or None
    reps: list = field(default_factory=list)
    rejected: list = field(default_factory=list)   # [(start_s, end_s, why)] dips not counted


class LiveAnalyzer:
    """Feed frames with :meth:`process`; read :attr:`state`.

    Args:
        estimator: anything with ``process(rgb, t_s) -> PoseFrame`` (a ``vision.pose.PoseEstimator``).
        options: the view, profile, sex and mirroring (``mirrored``: the frames are mirror images,
            as some capture paths flip them: relabel sides); the defaults when None. The pose
            options (model, extraction, workers, max side) are the estimator's, not used here.
    """

    def __init__(self, estimator, options: AnalysisOptions | None = None):
        import scipy.signal  # noqa: F401 - cleaning imports it lazily; not on the frame of the first rep (~0.5 s)

        self.estimator = estimator
        self.options = options or AnalysisOptions()
        self.profile = get_profile(self.options.profile)
        self.forced_view = self.options.forced_view
        self.mirrored = self.options.mirrored
        self.counter = RepCounter(self.profile.thresholds)
        self.state = LiveState()
        self._smooth = OneEuroFilter(min_cutoff=1.0, beta=0.05)
        self._frames: deque[tuple[float, PoseFrame]] = deque()
        self._chords: deque[tuple[float, float]] = deque()
        self._i = 0          # running frame number (RepCounter indices)
        self._first_i = 0    # running number of self._frames[0]
        self._size = (0, 0)
        self._pending: list[tuple[RepWindow, float]] = []   # (rep, its end time): waiting to be judged
        self._judged: list[tuple[int, int]] = []           # running (start, end) of the judged windows
        self._times: list[float] = []                      # the whole set (for :meth:`track`)
        self._poses: list[PoseFrame] = []
        self._retry_at = -np.inf

    def process(self, rgb: np.ndarray, t_s: float) -> LiveState:
        h, w = rgb.shape[:2]
        self._size = (w, h)
        frame = self.estimator.process(rgb, t_s)
        if self.mirrored and frame.people:
            frame = _mirror_frame(frame, w)
        self._frames.append((t_s, frame))
        if not self._times or t_s - self._times[0] <= MAX_SET_S:
            self._times.append(t_s)
            self._poses.append(frame)
        while self._frames and t_s - self._frames[0][0] > BUFFER_S:
            self._frames.popleft()
            self._first_i += 1
        st = self.state
        st.xy = self._smooth(t_s, frame.xy) if frame.people else None
        st.visibility = frame.visibility if frame.people else None
        depth = self._depth(t_s, frame)
        st.depth = depth
        rep = self.counter.update(self._i, t_s, depth)
        st.phase = {"wait": "waiting", "up": "standing", "down": "down"}[self.counter.state]
        if rep is not None:
            self._pending.append((rep, t_s))
        self._i += 1
        while self._pending and t_s >= self._retry_at and self._ready(*self._pending[0], t_s):
            if not self._judge(self._pending[0][0], timed_out=t_s - self._pending[0][1] >= JUDGE_MAX_WAIT_S):
                self._retry_at = t_s + JUDGE_RETRY_S  # the smoothed depth has not come back up yet
                break
            self._pending.pop(0)
        return st

    def _ready(self, rep: RepWindow, t_end: float, t_s: float) -> bool:
        return t_s - t_end >= JUDGE_DELAY_S - 1e-9 and (self._i - 1) - rep.end >= JUDGE_MIN_FRAMES

    @property
    def pending(self) -> int:
        """Reps counted by the state machine but not judged yet (too few frames after them so far)."""
        return len(self._pending)

    @property
    def frames(self) -> int:
        """Frames kept for the set's :meth:`track`."""
        return len(self._times)

    @property
    def full(self) -> bool:
        """The set has reached ``MAX_SET_S``: later frames are not kept for :meth:`track`."""
        return bool(self._times) and self._times[-1] - self._times[0] >= MAX_SET_S

    def flush(self) -> LiveState:
        """Judge the reps still waiting for their delay (the set ends: STOP, or the camera stopped)."""
        while self._pending:
            self._judge(self._pending.pop(0)[0], final=True)
        return self.state

    def track(self) -> PoseTrack:
        """The whole set's raw landmarks (as a file's ``extract_track`` gives them)."""
        return PoseTrack.from_frames(self._times, self._poses, *self._size)

    def analysis(self, *, source: str | None = None):
        """The set analysed by the file pipeline (``analyze_track``): a ``vision.analysis.Analysis``.

        ``video`` holds the set's frame size, duration and mean frame rate; ``source.live`` is True.
        """
        from vision.analysis import analyze_track

        self.flush()
        track = self.track()
        n = len(track)
        span = float(track.t[-1] - track.t[0]) if n > 1 else 0.0
        fps = (n - 1) / span if span > 0 else 0.0
        info = {"fps": round(fps, 2), "frames": n, "duration_s": round(span + (1 / fps if fps else 0.0), 2),
                "width": self._size[0], "height": self._size[1], "rotation": 0, "codec": "live camera"}
        # the frames were relabelled as they came (``mirrored``): the track is not mirrored again
        analysis = analyze_track(track, self.options.replace(mirrored=False), video_info=info, source=source)
        analysis.result["source"]["live"] = True
        analysis.result["live"] = {"rep_count": self.state.rep_count,
                                   "rejected_dips": [{"start_s": round(a, 2), "end_s": round(b, 2), "reason": r}
                                                     for a, b, r in self.state.rejected]}
        return analysis

    def _depth(self, t_s: float, frame: PoseFrame) -> float:
        st = self.state
        if not frame.people:
            st.message = "No one in view: stand 2–3 m from the camera, whole body in frame."
            return float("nan")
        # depth from MediaPipe's own (already filtered) landmarks, not the One-Euro-smoothed ones
        # drawn on the picture: One-Euro smooths hardest where the body is still, which is exactly
        # the brief stand between two quick reps, and would merge them
        raw = frame.xy
        inside = g.in_frame(raw[list(LOWER_BODY)], *self._size, EDGE_MARGIN)   # the file pipeline's rule
        if not inside or frame.visibility[list(LOWER_BODY)].mean() < MIN_VISIBILITY:
            st.message = "Hips, knees or feet are out of view: step back so your whole body is in frame."
            return float("nan")
        st.message = "Several people in view: only one person should be in frame." if frame.people > 1 else None
        chord = float((g.distance(raw[L_HIP], raw[L_ANKLE]) + g.distance(raw[R_HIP], raw[R_ANKLE])) / 2)
        self._chords.append((t_s, chord))
        while self._chords and t_s - self._chords[0][0] > 2 * STANDING_WINDOW_S:
            self._chords.popleft()
        ref = np.percentile([c for _, c in self._chords], STANDING_PERCENTILE)
        return 1.0 - chord / ref if ref > 0 else float("nan")

    def _judge(self, rep: RepWindow, *, timed_out: bool = False, final: bool = False) -> bool:
        """Judge a counted rep with the file pipeline on the buffered frames; count it if it is a
        squat. False: not decided yet (the smoothed depth is still down), ask again later."""
        st = self.state
        found = self._offline_window(rep)
        if found == "settling":
            if not (timed_out or final):
                return False
            if final:  # the set ended first: a file ending here would not count it either
                self._reject(rep.start, rep.end, "the set ended before the rep was finished")
                return True
            found = self._live_window(rep)
        if isinstance(found, str):  # why the file pipeline does not see a rep here
            self._reject(rep.start, rep.end, found)
            return True
        if found is None:
            return True
        sig, win = found
        judged, why = judge_dip(sig, win, self.forced_view, self.profile, len(st.reps) + 1,
                                single_leg_norm=self.options.single_leg_fppa_norm, earlier=st.reps)
        self._judged.append((win.start + self._first_i, win.end + self._first_i))
        if judged is None:
            self._reject(win.start + self._first_i, win.end + self._first_i, why or "not a squat")
            return True
        st.reps.append(judged)
        st.rep_count = len(st.reps)
        st.last_rep = judged
        return True

    def _reject(self, start: int, end: int, why: str) -> None:
        """A dip not counted, between running frame numbers ``start`` and ``end``, and why."""
        t = self._times
        at = (lambda i: float(t[min(max(i, 0), len(t) - 1)])) if t else (lambda i: 0.0)
        self.state.rejected.append((at(start), at(end), why))

    def _buffer_signals(self):
        times = [t for t, _ in self._frames]
        frames = [f for _, f in self._frames]
        return compute_signals(clean_track(PoseTrack.from_frames(times, frames, *self._size)))

    def _live_window(self, rep: RepWindow):
        sig = self._buffer_signals()
        start, end = rep.start - self._first_i, rep.end - self._first_i
        if start < 0:
            return None
        return sig, RepWindow(start, rep.bottom - self._first_i, end, float(np.nanmax(sig.depth[start:end + 1])))

    def _offline_window(self, rep: RepWindow):
        """(signals of the buffer, the rep's window in them) as a file would find it; or "settling"
        (the smoothed depth is still down: ask again); or why a file would not count a rep here (str);
        or None (already judged, or older than the buffer).

        The buffer is cleaned and segmented like a file (``clean_track``, ``compute_signals``, the
        ``RepCounter``); the window overlapping the live rep most is used, so the rep starts, bottoms
        and ends where it would in a recording (the movement checks are sensitive to a frame's shift).
        A window already judged (two live dips that are one rep offline): None.
        """
        sig = self._buffer_signals()
        offset = self._first_i
        start, end = rep.start - offset, rep.end - offset
        if start < 0:  # began before the buffer (longer than any rep may last)
            return None
        counter = RepCounter(self.profile.thresholds)
        depth = np.where(sig.valid, sig.depth, np.nan)
        windows = [w for i in range(len(sig.t)) if (w := counter.update(i, float(sig.t[i]), float(depth[i])))]
        overlap = [(min(end, w.end) - max(start, w.start), w) for w in windows]
        overlap = [(o, w) for o, w in overlap if o > 0]
        if overlap:
            win = max(overlap, key=lambda ow: ow[0])[1]
            if any(max(a, win.start + offset) <= min(b, win.end + offset) for a, b in self._judged):
                return None
            return sig, win
        if counter.state == "down":
            return "settling"
        why = [r for a, b, r in counter.rejected if min(end, b) - max(start, a) > 0]
        return why[-1] if why else "no rep once the frames around it were smoothed"


def _mirror_frame(frame: PoseFrame, width: int) -> PoseFrame:
    from vision.landmarks import MIRROR_PERMUTATION

    xy = frame.xy[MIRROR_PERMUTATION].copy()
    xy[:, 0] = width - xy[:, 0]
    world = frame.world[MIRROR_PERMUTATION].copy()
    world[:, 0] = -world[:, 0]
    return PoseFrame(xy, frame.visibility[MIRROR_PERMUTATION], frame.presence[MIRROR_PERMUTATION], world, frame.people)
