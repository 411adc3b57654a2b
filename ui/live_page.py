"""Page: live webcam squat coach (streamlit-webrtc).

The browser sends the raw camera picture (not mirrored) over WebRTC; what happens to each frame
(the set, its ``LiveAnalyzer``, thumbnails, recording, the picture sent back) is the controller's,
``ui/live_controller.py``, which runs in the WebRTC worker thread without Streamlit. This page
holds one ``LiveSession`` per browser session, polls its snapshot for the Reps tile and the status,
and speaks the cues. A *set* runs from START to STOP (a pause, a change of settings or the camera
stopping also ends it). When the set ends the page runs the file pipeline on it
(``LiveAnalyzer.analysis``: ``vision.analysis.analyze_track``) and shows it with
``ui.results_view``, exactly as an uploaded video, with the same "Save to client" form.

Spoken feedback: after each counted rep the page asks the browser to speak (Web Speech API: the
voice runs on the user's own machine) the short cue of ``presenters.spoken_feedback``, or plays a
short WebAudio beep for a clean rep. Each rep is announced once, keyed by set id and rep index,
both in ``st.session_state`` and in the browser's ``sessionStorage`` (so neither a rerun nor a
reload repeats it). "Speak cues" mutes it; the choice is kept for the browser session.

A camera that stops sending pictures mid-set (unplugged, taken by another app) is noticed by the
page after ``CAMERA_STALE_S`` without a frame while the worker is idle; one that keeps sending the
very same picture (frozen) after ``live_controller.FROZEN_S``. The set ends there, with a message, and what was
recorded until then is shown and can be saved.

ICE servers: none by default (host candidates: works on localhost and a LAN, no internet). For a
deployment behind NAT set ``SQUATCHECK_ICE_SERVERS`` to a JSON list, e.g.
``[{"urls": ["stun:stun.example.org:3478"]}]``.
"""

from __future__ import annotations

import json
import logging
import os
import time

import streamlit as st

from ui import presenters, results_view, settings as ui_settings
from ui.live_controller import LiveSession, LiveSet, _make_callback, _unjpeg

log = logging.getLogger("squatcheck.ui.live")

SESSION_KEY = "_live_session"
STREAMER_KEY = "squat-live"
POLL_S = 0.25            # the Reps tile is refreshed this often; the video draws the count it shows
CAMERA_STALE_S = 2.5     # no frame for this long while playing: the camera stopped
ANNOUNCE_KEEP_S = 4.0    # an announcement stays in the page this long (the browser dedupes it)
LOW_FPS = 8.0            # fewer frames a second than this: reps are counted and judged unreliably

SPEAK_KEY, SPEAK_PREF = "live_speak", "_live_speak_pref"
NUMBER_KEY, NUMBER_PREF = "live_say_number", "_live_say_number_pref"
RECORD_KEY = "live_record"
SPOKEN_KEY = "_live_spoken"          # {"set:rep": first announced (epoch s)}
CANCEL_SPEECH_KEY = "_live_cancel_speech"

CAMERA_HELP = ("Allow camera access in the browser's address bar, or plug in a webcam; on a remote machine "
               "use https or localhost (browsers only give camera access to secure pages).")
CAMERA_LOST = ("The camera stopped sending pictures (unplugged, frozen, or taken by another app). What was "
               "recorded until then is kept: {reps} below. Check the camera, then press STOP and START for a "
               "new set.")
SLOW = ("Only about {fps:.0f} frames a second {verb} analysed: too few to count and judge reps reliably (about "
        f"{LOW_FPS:.0f} are needed). Close other programs, or film the set and use 'Analyse a video'.")
NO_RECORDING = ("No video of this set was recorded. Tick **Record video** above before START to get "
                "the annotated video and to be able to keep the video with the client's session.")
ENDED_TEXT = {"stop": "stopped", "camera": "ended when the camera stopped sending pictures",
              "pause": "ended after a pause", "settings": "ended when the settings changed",
              "full": "reached the 20-minute limit", "resized": "ended when the camera's picture size changed"}


def _session() -> LiveSession:
    sess = st.session_state.get(SESSION_KEY)
    if sess is None or not hasattr(sess, "end_set"):
        sess = LiveSession()
        st.session_state[SESSION_KEY] = sess
    return sess


def rtc_configuration() -> tuple[dict, str | None]:
    servers, error = presenters.parse_ice_servers(os.environ.get("SQUATCHECK_ICE_SERVERS"))
    return {"iceServers": servers}, error


# ------------------------------------------------------------------------------------------------
# Spoken feedback
# ------------------------------------------------------------------------------------------------

_SPEECH_JS = """<script>
(() => {
  const items = %s;
  const KEY = "squatcheck.spoken";
  let done = [];
  try { done = JSON.parse(window.sessionStorage.getItem(KEY) || "[]"); } catch (e) { done = []; }
  const todo = items.filter((it) => !done.includes(it.key));
  if (!todo.length) return;
  try { window.sessionStorage.setItem(KEY, JSON.stringify(done.concat(todo.map((it) => it.key)).slice(-500))); }
  catch (e) {}
  const beep = () => {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    const ctx = window.__squatcheckAudio || (window.__squatcheckAudio = new Ctx());
    if (ctx.state === "suspended") ctx.resume();
    const osc = ctx.createOscillator(), gain = ctx.createGain(), t = ctx.currentTime;
    osc.type = "sine"; osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.25, t + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.15);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t); osc.stop(t + 0.16);
  };
  for (const it of todo) {
    if (it.beep) { try { beep(); } catch (e) {} }
    if (it.text && window.speechSynthesis && window.SpeechSynthesisUtterance) {
      const u = new SpeechSynthesisUtterance(it.text);
      u.rate = 1.1;
      window.speechSynthesis.speak(u);
    }
  }
})();
</script>"""
_CANCEL_JS = "<script>window.speechSynthesis && window.speechSynthesis.cancel();</script>"


def announcements(snap: dict, *, speak: bool, say_number: bool, spoken: dict, now: float) -> list[dict]:
    """The reps to announce now: ``[{"key", "text", "beep"}]``. ``spoken`` (``{key: first time}``) is
    updated: every rep is marked when first seen, muted or not, so unmuting never replays a backlog,
    and an announcement is repeated in the page for ``ANNOUNCE_KEEP_S`` only (the browser says it once)."""
    items = []
    for rep in snap.get("reps") or ():
        key = f"{snap.get('set_id')}:{rep.get('index')}"
        first = spoken.setdefault(key, now)
        if speak and now - first <= ANNOUNCE_KEEP_S:
            items.append({"key": key, **presenters.spoken_feedback(rep, say_number)})
    for key in [k for k, t in spoken.items() if now - t > 3600]:  # a long session: forget old sets
        del spoken[key]
    return items


def _speak(snap: dict) -> None:
    items = announcements(snap, speak=bool(st.session_state.get(SPEAK_PREF, True)),
                          say_number=bool(st.session_state.get(NUMBER_PREF, False)),
                          spoken=st.session_state.setdefault(SPOKEN_KEY, {}), now=time.time())
    if items:
        st.html(_SPEECH_JS % json.dumps(items), unsafe_allow_javascript=True)


def _remember(widget_key: str, pref_key: str) -> None:
    st.session_state[pref_key] = bool(st.session_state.get(widget_key))
    if widget_key == SPEAK_KEY and not st.session_state[pref_key]:
        st.session_state[CANCEL_SPEECH_KEY] = True  # stop a cue being spoken right now


def _toggle(label: str, widget_key: str, pref_key: str, default: bool, help: str, container) -> bool:
    """A toggle whose value outlives the page (widget state is dropped when another page is shown)."""
    if widget_key not in st.session_state:
        st.session_state[widget_key] = bool(st.session_state.get(pref_key, default))
    st.session_state.setdefault(pref_key, st.session_state[widget_key])
    return container.toggle(label, key=widget_key, on_change=_remember, args=(widget_key, pref_key), help=help)


# ------------------------------------------------------------------------------------------------
# The page
# ------------------------------------------------------------------------------------------------


def _status(sess: LiveSession) -> None:
    snap = sess.snapshot
    summary = presenters.live_summary(snap["rep_count"], snap["last_rep"])
    cols = st.columns(2)
    cols[0].metric("Reps", summary["reps"])
    sess.tile_shows(snap)
    cols[1].metric("Frames analysed", snap["frames"], help=f"about {snap['fps']:.0f} per second right now")
    if snap["last_rep"]:
        # "possible" (a possible knee, not a fault) and anything unknown: a neutral box
        box = {"ok": st.success, "minor": st.warning, "major": st.error}.get(summary["tone"], st.info)
        box(f"**Last rep: {summary['verdict']}.** {summary['cue'] or ''}")
    stale = snap["frames"] > 0 and (sess.frozen or (not sess.busy and
                                                     time.monotonic() - sess.last_done > CAMERA_STALE_S))
    if snap["ended"] == "camera" or (stale and snap["ended"] is None):
        st.error(CAMERA_LOST.format(reps=_reps_text(snap["rep_count"])), icon=":material/videocam_off:")
        if snap["ended"] is None and sess.end_set("camera") is not None:
            st.rerun()  # the whole page: the set so far is shown below
    elif snap["error"]:
        st.error(snap["error"])
    elif snap["message"]:
        st.info(snap["message"])
    elif snap["frames"] == 0:
        st.info("Waiting for the first camera frame… If nothing arrives, check that START was pressed and the "
                "camera is allowed. " + CAMERA_HELP)
    if snap["frames"] >= 2 * LOW_FPS and 0 < snap["fps"] < LOW_FPS:
        st.warning(SLOW.format(fps=snap["fps"], verb="are"), icon=":material/speed:")
    if snap["recording"]:
        st.caption(":red[●] Recording this set (kept only if you tick “Keep the video” when saving it).")
    if snap["recording_error"]:
        st.warning(snap["recording_error"])
    _speak(snap)


def _reps_text(n: int) -> str:
    return f"{n} rep" + ("" if n == 1 else "s")


def _entry(live: LiveSet) -> dict | None:
    """The set as an analyse-page entry (made once): the file pipeline's result and the thumbnails."""
    if live.entry is not None:
        return live.entry
    from vision.render import bottom_frames_from_images

    with st.spinner("Analysing the set…"):
        analysis = live.analyzer.analysis(source=live.name)
        images = [(t, img) for t, img in ((t, _unjpeg(b)) for t, b in sorted(live.thumbs.items())) if img is not None]
        try:
            thumbs = bottom_frames_from_images(images, analysis)
        except Exception:  # thumbnails are a nice-to-have
            log.exception("live thumbnails failed")
            thumbs = {}
    path = live.recording if live.recording is not None and live.recording.is_file() else None
    live.entry = {"key": ("live", live.id), "name": live.name, "stem": live.stem, "path": path,
                  "analysis": analysis, "thumbs": thumbs, "video": None, "video_error": None}
    return live.entry


def _show_set(live: LiveSet, settings: ui_settings.Settings) -> None:
    st.divider()
    try:
        entry = _entry(live)
    except Exception as err:
        results_view.show_unexpected_error(err, "analysing the set")
        return
    counted = live.rep_count
    found = int((entry["analysis"].result.get("summary") or {}).get("rep_count") or 0)
    line = (f"The set {ENDED_TEXT.get(live.ended, 'ended')} at {live.started:%H:%M}. "
            f"Live counter: **{_reps_text(counted)}**.")
    if found != counted:
        line += (f" Judged over the whole set, {_reps_text(found)} {'was' if found == 1 else 'were'} found (a rep at "
                 "the very start or end of the set, or one seen only partly, can change once the frames after it "
                 "are known).")
    st.markdown(line)
    st.caption("The page keeps the last set only: save or download it before the next set ends.")
    if live.recording_error:
        st.warning(live.recording_error)
    fps = float((entry["analysis"].result.get("video") or {}).get("fps") or 0)
    if 0 < fps < LOW_FPS:
        st.warning(SLOW.format(fps=fps, verb="were"), icon=":material/speed:")
    results_view.show_results(entry, settings, key="live_", no_video=NO_RECORDING)


def render() -> None:
    st.title("Live webcam")
    st.caption("Squat in front of your webcam: reps are counted and judged as you go, with the same checks as the "
               "video analysis, and a short cue is spoken after a rep that needs fixing. Stand 2–3 m away with your "
               "whole body in view; face the camera to check the knees. Press STOP to see the set in full.")
    settings = ui_settings.current()
    sess = _session()
    sess.wanted = settings.analysis_options()
    row = st.columns(4)
    sess.mirror_preview = row[0].checkbox("Mirror preview", value=True, key="live_mirror",
                                          help="Show the picture like a mirror. The analysis always uses the "
                                               "unmirrored camera picture, so 'left knee' is your own left.")
    sess.record = row[1].checkbox(
        "Record video", value=False, key=RECORD_KEY,
        help="Off: only the landmarks and a few small pictures of each rep's bottom are kept, in memory. On: the "
             "camera picture is also recorded to a temporary file on this computer (deleted after a day), for the "
             "annotated video and so that you can keep the video with the client's session. Starts with the "
             "next set.")
    _toggle("Speak cues", SPEAK_KEY, SPEAK_PREF, True, container=row[2],
            help="After each rep your browser says a short cue when something needs fixing (“Knees out”, “Go "
                 "deeper”) and beeps for a clean rep. The voice runs on this computer. Off: silent.")
    _toggle("Say rep numbers", NUMBER_KEY, NUMBER_PREF, False, container=row[3],
            help="Also say the rep's number after each rep.")
    if st.session_state.pop(CANCEL_SPEECH_KEY, False):
        st.html(_CANCEL_JS, unsafe_allow_javascript=True)
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
            queued_video_frames_callback=_make_callback(sess),
            async_processing=True,
        )
    except Exception as err:  # the component needs a real Streamlit server session
        log.exception("webrtc_streamer failed")
        ctx = None
        st.warning(f"The live video could not start here ({type(err).__name__}). Reload the page; if it keeps "
                   "happening, use 'Analyse a video' with a recorded clip instead.")
    playing = bool(getattr(getattr(ctx, "state", None), "playing", False))
    sess.active = playing
    if playing:
        st.fragment(run_every=POLL_S)(_status)(sess)
    else:
        sess.end_set("stop")  # STOP was pressed (or the stream dropped): the set so far is the result
        st.info("Press **START** to turn the camera on. No picture, or an error about the device (blocked, not "
                "found, in use)? " + CAMERA_HELP, icon=":material/videocam:")
    from vision.analysis import DISCLAIMER

    if sess.last_set is not None:
        _show_set(sess.last_set, settings)
    else:
        st.caption(DISCLAIMER)


if __name__ == "__main__":
    render()
