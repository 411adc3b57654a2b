"""The live set's controller: what runs on each camera frame, with no Streamlit in it.

streamlit-webrtc's worker thread hands every camera frame (raw, not mirrored) to the browser session's
:class:`LiveSession` through :func:`_make_callback`; each frame is analysed as it is, so "left knee" is
the person's own left, by the engine's ``LiveAnalyzer`` (one per set, guarded by a lock; the pose model
is created lazily in the worker thread). Only the picture sent back is mirrored, when "Mirror preview"
is on, and the text is drawn after the flip so it stays readable.

A *set* (:class:`LiveSet`) runs from START to STOP (a pause of more than ``RESTART_GAP_S``, a change of
settings or the camera stopping also ends it). The worker keeps what the set needs for the full result:
the landmarks (in the ``LiveAnalyzer``), small JPEG frames around each rep's bottom (the thumbnails)
and, only when "Record video" is ticked, an H.264 recording in the app's temp folder. A picture that
stays the same to the pixel for ``FROZEN_S`` marks the camera frozen.

The page (``ui/live_page.py``) only reads :attr:`LiveSession.snapshot` and :attr:`LiveSession.last_set`,
ends a set with :meth:`LiveSession.end_set` and shows the result.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from ui import results_view
from vision.options import AnalysisOptions

log = logging.getLogger("squatcheck.ui.live")

RESTART_GAP_S = 3.0      # a pause longer than this (STOP/START) starts a fresh set
FLAG_SHOW_S = 2.5        # after a rep, its valgus legs stay red this long
TILE_ALIVE_S = 1.0       # no tile refresh for this long (no page polling): the video draws the live count
STALE_S = 0.1            # a queued camera frame that would be this old when its picture is ready is dropped
FROZEN_S = 4.0           # the same picture to the pixel for this long: the camera froze (a live sensor is never still)
MIN_SET_FRAMES = 10      # a "set" of fewer frames (a frame still in flight after STOP) is dropped
THUMB_MAX_SIDE = 360     # the JPEG frames kept around each rep's bottom
THUMB_KEEP_S = 0.4       # ... this close to a judged rep's bottom
THUMB_STEP_S = 1 / 15    # ... at most this often (the one nearest the bottom is shown; each costs ~1.5 ms)
RECORD_FPS = 30.0        # nominal rate of the recording (frames carry their real times)
RECORD_CRF = 18          # near-lossless: a recording analysed again finds the same landmarks


@dataclass
class LiveSet:
    """One set: what the worker kept, and (once made on the page thread) its results entry."""

    id: str
    started: datetime
    analyzer: object                      # vision.live.LiveAnalyzer
    record: bool
    shape: tuple
    thumbs: dict = field(default_factory=dict)   # {t_s: JPEG bytes}
    last_thumb_s: float = float("-inf")         # when the newest thumbnail was taken (set clock)
    writer: object = None                 # vision.video_writer.H264Writer while recording
    recording: Path | None = None         # the finished recording
    recording_error: str | None = None
    ended: str | None = None              # why it ended (a key of ui.live_page.ENDED_TEXT); None while running
    entry: dict | None = None

    @property
    def name(self) -> str:
        return f"live set {self.started:%Y-%m-%d %H:%M}"

    @property
    def stem(self) -> str:
        return f"live-set-{self.started:%Y%m%d-%H%M%S}"

    @property
    def rep_count(self) -> int:
        return int(self.analyzer.state.rep_count)


class _SessionClock:
    """The pose model sees one increasing clock over the whole browser session (MediaPipe's
    tracking runs on time), while each set's analyser counts from 0."""

    def __init__(self, estimator) -> None:
        self.estimator = estimator
        self.offset = 0.0

    def process(self, rgb, t_s):
        return self.estimator.process(rgb, t_s + self.offset)

    def close(self) -> None:
        self.estimator.close()


def _empty_snapshot(set_id: str | None = None) -> dict:
    return {"set_id": set_id, "frames": 0, "rep_count": 0, "last_rep": None, "reps": (), "message": None,
            "phase": "waiting", "error": None, "fps": 0.0, "recording": False,
            "recording_error": None, "ended": None}


class LiveSession:
    """Per browser session: the current set, the last finished one, and the latest state to poll.

    ``process_rgb`` runs in streamlit-webrtc's worker thread; the page only reads :attr:`snapshot`
    (a dict replaced whole after every frame, so reading it needs no lock) and :attr:`last_set`,
    and ends a set with :meth:`end_set`.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.wanted = AnalysisOptions()   # the sidebar's model, profile, view and sex (never mirrored: see below)
        self.mirror_preview = True
        self.record = False        # record the next set's video
        self.active = True         # False after STOP: a late frame does not start a new set
        self._config: AnalysisOptions | None = None
        self._estimator: _SessionClock | None = None
        self._epoch = 0.0          # monotonic time of the session clock's 0
        self._set: LiveSet | None = None
        self.last_set: LiveSet | None = None
        self._t0 = 0.0
        self._last_wall = 0.0      # when the previous frame came (for the frame rate)
        self._last_rep_wall = -1e9
        self.busy = False          # a frame is being analysed right now (a slow machine is not a dead camera)
        self.last_done = 0.0       # when the last frame was finished, on the frames' clock
        self.frozen = False        # the camera has sent the very same picture for FROZEN_S
        self._picture: bytes | None = None
        self._changed_at = 0.0     # when the picture last changed
        self.snapshot: dict = _empty_snapshot()
        self.dropped = 0           # camera frames dropped as stale (not analysed)
        self._shown = (0, -1e9)    # (rep count, monotonic time) the Reps tile last showed
        self.drawn_count = 0       # the rep count drawn on the last picture

    def close(self) -> None:
        """End the running set and release the pose model (a new one is made by the next frame)."""
        with self.lock:
            self._finish("stop")
            if self._estimator is not None:
                self._estimator.close()
            self._estimator = None
            self._config = None

    def end_set(self, reason: str = "stop") -> LiveSet | None:
        """End the running set (STOP, or the camera stopped); it becomes :attr:`last_set` if it
        has frames. Returns it, or None when no set was running."""
        with self.lock:
            return self._finish(reason)

    # --- worker thread ------------------------------------------------------------------------
    def _finish(self, reason: str) -> LiveSet | None:
        """(lock held) Close the running set: judge its last rep, finish the recording."""
        live = self._set
        if live is None:
            return None
        self._set = None
        live.analyzer.flush()
        if live.writer is not None:
            try:
                live.writer.close()
                live.recording = Path(live.writer.path)
            except Exception as err:  # VideoWriteError: the set itself is still fine
                live.recording_error = str(err)
            live.writer = None
        live.ended = reason
        state = live.analyzer.state
        log.info("live set %s ended (%s): %d frames analysed, %d dropped as stale so far, %d reps", live.id, reason,
                 live.analyzer.frames, self.dropped, state.rep_count)
        self.snapshot = {**self.snapshot, "rep_count": state.rep_count, "reps": tuple(state.reps),
                         "last_rep": state.last_rep, "ended": reason, "recording": False}
        if live.analyzer.frames >= MIN_SET_FRAMES or state.rep_count:
            previous, self.last_set = self.last_set, live
            if previous is not None:
                _drop_recording(previous)
        else:
            _drop_recording(live)
        return live

    def _start_model(self, now: float) -> bool:
        """(lock held) Make the pose model if there is none or another one was chosen. True when it
        was made now: that takes a second or two, so this frame is not analysed and the set starts
        with the next fresh one (the frames that queued meanwhile are dropped as stale), instead of
        beginning with a gap."""
        model = self.wanted.model
        if self._estimator is not None and not (self._config and self._config.model != model):
            return False
        import scipy.signal  # noqa: F401 - the set's analyser needs it: imported here, not on its first frame

        from vision.pose import PoseEstimator

        self._finish("settings")
        if self._estimator is not None:
            self._estimator.close()
        self._estimator = _SessionClock(PoseEstimator(model))
        self._epoch = now
        return True

    def _ensure_set(self, now: float, shape: tuple) -> LiveSet:
        from vision.live import LiveAnalyzer

        if self._set is not None:
            if self._config != self.wanted:
                self._finish("settings")
            elif now - self.last_done > RESTART_GAP_S:  # idle, not just slow: the person paused or restarted
                self._finish("pause")
            elif self._set.analyzer.full:
                self._finish("full")
            elif self._set.shape != shape:
                self._finish("resized")
        if self._set is None:
            self._t0 = now
            self._estimator.offset = now - self._epoch
            # the camera picture is analysed unmirrored (the preview is mirrored only when drawn)
            analyzer = LiveAnalyzer(self._estimator, self.wanted.replace(mirrored=False))
            self._set = LiveSet(uuid.uuid4().hex[:12], datetime.now(), analyzer, bool(self.record), shape)
            self._config = self.wanted
            self._last_rep_wall = -1e9
            self.snapshot = _empty_snapshot(self._set.id)
        return self._set

    def process_rgb(self, rgb: np.ndarray, now: float | None = None) -> np.ndarray:
        """Analyse one camera frame (unmirrored RGB) and return the picture to show.

        ``now``: the frame's monotonic time (default: the clock; tests pass their own).
        """
        began = time.monotonic()
        now = began if now is None else now
        self.busy = True
        try:
            return self._process(rgb, now)
        finally:
            self.last_done = now + (time.monotonic() - began)
            self.busy = False

    def _process(self, rgb: np.ndarray, now: float) -> np.ndarray:
        with self.lock:
            if not self.active:  # after STOP: nothing is analysed until the next START
                return self._draw(rgb, None, None, 0, None, "Press START for a new set.")
            picture = np.ascontiguousarray(rgb[::16, ::16]).tobytes()
            if picture != self._picture:
                self._picture, self._changed_at = picture, now
            self.frozen = now - self._changed_at > FROZEN_S
            if self.frozen:  # not analysed: the page ends the set (a new one starts when the picture moves)
                return self._draw(rgb, None, None, 0, None, "The camera picture has frozen.")
            try:
                if self._start_model(now):
                    return self._draw(rgb, None, None, 0, None, "Starting the pose model…")
                live = self._ensure_set(now, rgb.shape)
                before = live.analyzer.state.rep_count
                t_s = now - self._t0
                state = live.analyzer.process(rgb, t_s)
            except Exception as err:  # never kill the stream: show the problem on the picture and page
                msg = str(err) if _is_user_error(err) else "Live analysis failed on this frame (see the log)."
                if msg != self.snapshot.get("error"):  # log once per problem, not on every frame
                    log.exception("live analysis failed")
                self.snapshot = {**self.snapshot, "error": msg}
                self._last_wall = now
                return self._draw(rgb, None, None, 0, None, msg)
            self._keep(live, rgb, t_s, state, counted=state.rep_count != before)
            dt = now - self._last_wall
            self._last_wall = now
            if state.rep_count != before:
                self._last_rep_wall = now
            fps = self.snapshot["fps"]
            fps = (0.8 * fps + 0.2 / dt) if 0 < dt < 2 else fps
            self.snapshot = {"set_id": live.id, "frames": self.snapshot["frames"] + 1, "rep_count": state.rep_count,
                             "last_rep": state.last_rep, "reps": tuple(state.reps), "message": state.message,
                             "phase": state.phase, "error": None, "fps": fps,
                             "recording": live.writer is not None, "recording_error": live.recording_error,
                             "ended": None}
            xy = None if state.xy is None else np.array(state.xy, copy=True)
            vis = None if state.visibility is None else np.array(state.visibility, copy=True)
            recent = now - self._last_rep_wall < FLAG_SHOW_S
            return self._draw(rgb, xy, vis, self._count_to_draw(state.rep_count), state.last_rep, state.message,
                              recent)

    def tile_shows(self, snap: dict) -> None:
        """The page's Reps tile has just shown ``snap``'s count: the video draws that count from now on."""
        self._shown = (int(snap["rep_count"]), time.monotonic())

    def _count_to_draw(self, live_count: int) -> int:
        """The rep count to draw on the picture: the one the Reps tile shows while the page polls (so the
        two agree but for a picture already in flight when the tile changes; the video follows a new rep
        when the tile does, within ``POLL_S``), the live count when no page has refreshed the tile for
        ``TILE_ALIVE_S`` (nobody is watching it)."""
        shown, when = self._shown
        count = shown if time.monotonic() - when <= TILE_ALIVE_S else live_count
        self.drawn_count = count
        return count

    def _keep(self, live: LiveSet, rgb: np.ndarray, t_s: float, state, *, counted: bool) -> None:
        """(lock held) What the set's result needs beyond the landmarks: a small frame while the
        body is lowered (a rep's bottom), and the recording when asked."""
        if live.record and live.recording_error is None:
            self._record(live, rgb, t_s)
        lowered = state.phase == "down" or (np.isfinite(state.depth) and
                                            state.depth >= live.analyzer.profile.thresholds.rep_exit.value)
        if lowered and t_s - live.last_thumb_s >= THUMB_STEP_S - 1e-6:
            live.thumbs[t_s] = _jpeg(rgb)
            live.last_thumb_s = t_s
        if counted or state.phase == "standing":
            _prune_thumbs(live, t_s)

    def _record(self, live: LiveSet, rgb: np.ndarray, t_s: float) -> None:
        from vision.video_writer import H264Writer

        try:
            if live.writer is None:
                results_view.private_work_dir()  # 0700
                results_view.prune_work_dir()
                h, w = rgb.shape[:2]
                out = results_view.work_dir() / f"live-{live.id}.mp4"
                live.writer = H264Writer(out, w, h, RECORD_FPS, crf=RECORD_CRF)
                if out.exists():
                    os.chmod(out, 0o600)
            live.writer.write(np.ascontiguousarray(rgb), t_s)
        except Exception as err:  # the disk is full or the writer failed: the analysis goes on
            log.exception("live recording failed")
            live.recording_error = f"The recording stopped: {err}"
            if live.writer is not None:
                live.writer.abort()
            live.writer = None

    def _draw(self, rgb, xy, vis, rep_count, last_rep, message, show_flags: bool = False) -> np.ndarray:
        from vision.overlay import draw_angles, draw_hud, draw_pose, hud_verdict, valgus_legs

        out = rgb
        h, w = rgb.shape[:2]
        if self.mirror_preview:  # flip the picture and the landmarks, then draw: text stays readable
            import cv2

            out = cv2.flip(rgb, 1)   # ~10× faster than copying a reversed NumPy view
            if xy is not None:
                xy = xy.copy()
                xy[:, 0] = w - xy[:, 0]
        if xy is not None:
            flags = valgus_legs(last_rep) if show_flags else None  # red legs: clearly caved knees only
            out = draw_pose(out, xy, vis, flags=flags)
            view = self._config.forced_view if self._config and self._config.forced_view else \
                ((last_rep or {}).get("view") or "unknown")
            out = draw_angles(out, xy, view=view, visibility=vis)
        cues = (last_rep or {}).get("cues") or []
        cue = message or (cues[0] if cues else "Whole body in view, then squat.")
        verdict, note = hud_verdict(last_rep)
        return draw_hud(out, rep_count=rep_count, rep_label=None, verdict=verdict, cue=cue,
                        severity=(last_rep or {}).get("severity") or "ok", note=note)


def _jpeg(rgb: np.ndarray) -> bytes:
    import cv2

    h, w = rgb.shape[:2]
    scale = min(1.0, THUMB_MAX_SIDE / max(h, w))
    small = rgb if scale == 1.0 else cv2.resize(rgb, (max(1, int(w * scale)), max(1, int(h * scale))),
                                                interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    return buf.tobytes() if ok else b""


def _unjpeg(data: bytes) -> np.ndarray | None:
    import cv2

    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if data else None
    return None if img is None else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _prune_thumbs(live: LiveSet, t_now: float) -> None:
    """Keep the frames near the bottoms of the judged reps, and those of the rep (maybe) under way."""
    reps = live.analyzer.state.reps
    bottoms = np.array([float(r["bottom_s"]) for r in reps]) if reps else np.zeros(0)
    settled = max([float(r["end_s"]) for r in reps], default=-np.inf)
    lowest_pending = t_now - 60.0  # a rep lasts far less: older unjudged dips were not reps
    for t in list(live.thumbs):
        near = bottoms.size and np.min(np.abs(bottoms - t)) <= THUMB_KEEP_S
        if not near and (t <= settled or t < lowest_pending):
            del live.thumbs[t]


def _drop_recording(live: LiveSet) -> None:
    """Delete a set's temp recording (a copy the trainer chose to keep is in the client store)."""
    if live.recording is not None:
        try:
            live.recording.unlink(missing_ok=True)
        except OSError:
            log.warning("could not delete %s", live.recording)
        live.recording = None


def _is_user_error(err: BaseException) -> bool:
    from vision.errors import SquatCheckError

    return isinstance(err, SquatCheckError)


def _make_callback(sess: LiveSession, clock: Callable[[], float] = time.monotonic):
    """streamlit-webrtc's ``queued_video_frames_callback``: it gets every camera frame that arrived
    while the previous ones were analysed. They are analysed in order, each at its own capture time
    (from the frames' timestamps; the newest one arrived now), except a frame that would be more than
    ``STALE_S`` old by the time its picture is ready: a brief stall (a rep being judged) costs a few
    milliseconds of latency instead of frames, while a machine too slow for the camera drops old
    frames rather than fall further and further behind. The picture sent back is the newest one's.
    ``clock``: the monotonic clock (tests pass one that an analysis advances by a known cost).
    """
    import av

    cost = 1 / 30   # recent analysis time of one frame (s)

    async def queued_frames_callback(frames: list["av.VideoFrame"]) -> list["av.VideoFrame"]:
        nonlocal cost
        arrived = clock()
        newest = frames[-1]
        out = None
        for frame in frames:
            lag = newest.time - frame.time if newest.time is not None and frame.time is not None else 0.0
            captured = arrived - max(0.0, lag)
            if frame is not newest and clock() + cost - captured > STALE_S:
                sess.dropped += 1
                continue
            began = clock()
            out = sess.process_rgb(frame.to_ndarray(format="rgb24"), now=captured)
            # capped: one slow frame (the model starting, a rep being judged) is not the usual cost
            cost = 0.8 * cost + 0.2 * min(clock() - began, 2 / 30)
        new = av.VideoFrame.from_ndarray(out, format="rgb24")
        if newest.time_base is not None:  # keep the timing of the camera frame
            new.pts, new.time_base = newest.pts, newest.time_base
        return [new]
    return queued_frames_callback
