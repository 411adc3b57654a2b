"""Page: live webcam squat counter (streamlit-webrtc).

The browser sends the raw camera picture (not mirrored) over WebRTC; each frame is analysed as
it is, so "left knee" is the person's own left, by the engine's ``LiveAnalyzer`` (one per
browser session, guarded by a lock; the pose model is created lazily in the WebRTC worker
thread). Only the picture sent back is mirrored, when "Mirror preview" is on, and the text is
drawn after the flip so it stays readable.

ICE servers: none by default (host candidates: works on localhost and a LAN, no internet). For a
deployment behind NAT set ``SQUATCHECK_ICE_SERVERS`` to a JSON list, e.g.
``[{"urls": ["stun:stun.example.org:3478"]}]``.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import numpy as np
import streamlit as st

from ui import presenters, settings as ui_settings

log = logging.getLogger("squatcheck.ui.live")

SESSION_KEY = "_live_session"
STREAMER_KEY = "squat-live"
RESTART_GAP_S = 3.0      # a pause longer than this (STOP/START) starts a fresh set
FLAG_SHOW_S = 2.5        # after a rep, its valgus legs stay red this long
POLL_S = 0.25          # the Reps tile follows the count drawn on the video within a quarter second
CAMERA_HELP = ("Allow camera access in the browser's address bar, or plug in a webcam; on a remote machine "
               "use https or localhost (browsers only give camera access to secure pages).")


class LiveSession:
    """Per browser session: the analyzer, its lock, and the latest state for the page to poll.

    ``process`` runs in streamlit-webrtc's worker thread; the page only reads :attr:`snapshot`
    (a dict replaced whole after every frame, so reading it needs no lock).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.wanted = ("full", "bodyweight", "auto", None)   # (model, profile, view, sex) from the sidebar
        self.mirror_preview = True
        self._config: tuple | None = None
        self._estimator = None
        self._analyzer = None
        self._t0: float | None = None
        self._last_wall = 0.0
        self._last_rep_wall = -1e9
        self.snapshot: dict = {"frames": 0, "rep_count": 0, "last_rep": None, "message": None, "phase": "waiting",
                               "error": None, "fps": 0.0}

    def close(self) -> None:
        """Release the pose model (a new one is created lazily by the next frame)."""
        with self.lock:
            if self._estimator is not None:
                self._estimator.close()
            self._estimator = self._analyzer = None
            self._config = None

    # --- worker thread ------------------------------------------------------------------------
    def _ensure_analyzer(self, now: float) -> None:
        from vision.live import LiveAnalyzer
        from vision.pose import PoseEstimator

        model, profile, view, sex = self.wanted
        if self._estimator is None or (self._config and self._config[0] != model):
            if self._estimator is not None:
                self._estimator.close()
            self._estimator = PoseEstimator(model)
            self._analyzer = None
        if self._analyzer is None or self._config != self.wanted or now - self._last_wall > RESTART_GAP_S:
            self._analyzer = LiveAnalyzer(self._estimator, profile=profile, view=view, mirrored=False, sex=sex)
            self._config = self.wanted
            self._t0 = now
            self._last_rep_wall = -1e9

    def process_rgb(self, rgb: np.ndarray) -> np.ndarray:
        """Analyse one camera frame (unmirrored RGB) and return the picture to show."""
        now = time.monotonic()
        with self.lock:
            try:
                self._ensure_analyzer(now)
                before = self._analyzer.state.rep_count
                state = self._analyzer.process(rgb, now - self._t0)
            except Exception as err:  # never kill the stream: show the problem on the picture and page
                msg = str(err) if _is_user_error(err) else "Live analysis failed on this frame (see the log)."
                if msg != self.snapshot.get("error"):  # log once per problem, not on every frame
                    log.exception("live analysis failed")
                self.snapshot = {**self.snapshot, "error": msg}
                self._last_wall = now
                return self._draw(rgb, None, None, 0, None, msg)
            dt = now - self._last_wall
            self._last_wall = now
            if state.rep_count != before:
                self._last_rep_wall = now
            fps = self.snapshot["fps"]
            fps = (0.8 * fps + 0.2 / dt) if 0 < dt < 2 else fps
            self.snapshot = {"frames": self.snapshot["frames"] + 1, "rep_count": state.rep_count,
                             "last_rep": state.last_rep, "message": state.message, "phase": state.phase,
                             "error": None, "fps": fps}
            xy = None if state.xy is None else np.array(state.xy, copy=True)
            vis = None if state.visibility is None else np.array(state.visibility, copy=True)
            recent = now - self._last_rep_wall < FLAG_SHOW_S
            return self._draw(rgb, xy, vis, state.rep_count, state.last_rep, state.message, recent)

    def _draw(self, rgb, xy, vis, rep_count, last_rep, message, show_flags: bool = False) -> np.ndarray:
        from vision.overlay import draw_angles, draw_hud, draw_pose, verdict_text

        out = rgb
        h, w = rgb.shape[:2]
        if self.mirror_preview:  # flip the picture and the landmarks, then draw: text stays readable
            out = np.ascontiguousarray(rgb[:, ::-1])
            if xy is not None:
                xy = xy.copy()
                xy[:, 0] = w - xy[:, 0]
        if xy is not None:
            flags = (last_rep or {}).get("valgus") if show_flags else None
            out = draw_pose(out, xy, vis, flags=flags)
            view = self._config[2] if self._config and self._config[2] != "auto" else \
                ((last_rep or {}).get("view") or "unknown")
            out = draw_angles(out, xy, view=view, visibility=vis)
        cues = (last_rep or {}).get("cues") or []
        cue = message or (cues[0] if cues else "Whole body in view, then squat.")
        return draw_hud(out, rep_count=rep_count, rep_label=None, verdict=verdict_text(last_rep), cue=cue,
                        severity=(last_rep or {}).get("severity") or "ok")


def _is_user_error(err: BaseException) -> bool:
    from vision.errors import SquatCheckError

    return isinstance(err, SquatCheckError)


def _session() -> LiveSession:
    sess = st.session_state.get(SESSION_KEY)
    if sess is None or not hasattr(sess, "process_rgb"):
        sess = LiveSession()
        st.session_state[SESSION_KEY] = sess
    return sess


def rtc_configuration() -> tuple[dict, str | None]:
    servers, error = presenters.parse_ice_servers(os.environ.get("SQUATCHECK_ICE_SERVERS"))
    return {"iceServers": servers}, error


def _make_callback(sess: LiveSession):
    import av

    def video_frame_callback(frame: "av.VideoFrame") -> "av.VideoFrame":
        rgb = frame.to_ndarray(format="rgb24")
        out = sess.process_rgb(rgb)
        new = av.VideoFrame.from_ndarray(out, format="rgb24")
        if frame.time_base is not None:  # keep the timing of the camera frame
            new.pts, new.time_base = frame.pts, frame.time_base
        return new
    return video_frame_callback


def _status(sess: LiveSession) -> None:
    snap = sess.snapshot
    summary = presenters.live_summary(snap["rep_count"], snap["last_rep"])
    cols = st.columns(2)
    cols[0].metric("Reps", summary["reps"])
    cols[1].metric("Frames analysed", snap["frames"], help=f"about {snap['fps']:.0f} per second right now")
    if snap["last_rep"]:
        box = {"ok": st.success, "minor": st.warning, "major": st.error}.get(summary["severity"], st.info)
        box(f"**Last rep: {summary['verdict']}.** {summary['cue'] or ''}")
    if snap["error"]:
        st.error(snap["error"])
    elif snap["message"]:
        st.info(snap["message"])
    elif snap["frames"] == 0:
        st.info("Waiting for the first camera frame… If nothing arrives, check that START was pressed and the "
                "camera is allowed. " + CAMERA_HELP)


def render() -> None:
    st.title("Live webcam")
    st.caption("Squat in front of your webcam: reps are counted and judged as you go, with the same checks as the "
               "video analysis. Stand 2–3 m away with your whole body in view; face the camera to check the knees.")
    settings = ui_settings.current()
    sess = _session()
    sess.wanted = (settings.model, settings.profile, settings.view, settings.engine_sex)
    sess.mirror_preview = st.checkbox("Mirror preview", value=True, key="live_mirror",
                                      help="Show the picture like a mirror. The analysis always uses the "
                                           "unmirrored camera picture, so 'left knee' is your own left.")
    try:
        from streamlit_webrtc import WebRtcMode, webrtc_streamer
    except ImportError:
        st.error("Live mode needs the streamlit-webrtc package, which is not installed. "
                 "Install the project's requirements, or use 'Analyse a video'.")
        return
    rtc, rtc_error = rtc_configuration()
    if rtc_error:
        st.warning(rtc_error)
    try:
        ctx = webrtc_streamer(
            key=STREAMER_KEY,
            mode=WebRtcMode.SENDRECV,
            rtc_configuration=rtc,
            media_stream_constraints={"video": True, "audio": False},
            video_frame_callback=_make_callback(sess),
            async_processing=True,
        )
    except Exception as err:  # the component needs a real Streamlit server session
        log.exception("webrtc_streamer failed")
        ctx = None
        st.warning(f"The live video could not start here ({type(err).__name__}). Reload the page; if it keeps "
                   "happening, use 'Analyse a video' with a recorded clip instead.")
    playing = bool(getattr(getattr(ctx, "state", None), "playing", False))
    if playing:
        st.fragment(run_every=POLL_S)(_status)(sess)
    else:
        snap = sess.snapshot
        if snap["rep_count"]:
            st.markdown(f"Last set: **{snap['rep_count']} reps**.")
        st.info("Press **START** to turn the camera on. No picture, or an error about the device? " + CAMERA_HELP,
                icon=":material/videocam:")
    from vision.analysis import DISCLAIMER

    st.caption(DISCLAIMER)


if __name__ == "__main__":
    render()
