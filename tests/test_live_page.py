"""The live page's sets (``ui/live_page.py``, ``ui/live_controller.py``) without a browser: frames are fed to ``LiveSession``
as the WebRTC worker would (synthetic squatters through a replaying pose model, or a real clip
through MediaPipe), then the page runs under ``AppTest`` as after STOP.

The real-browser tests (fake camera, START/STOP, speech hook) are in ``test_e2e_browser.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import shared_clip
from synthetic import flexion_profile, front_squat_track
from vision.track import PoseFrame

ROOT = Path(__file__).resolve().parents[1]
LIVE_PAGE = str(ROOT / "ui" / "live_page.py")
CLIENTS_PAGE = str(ROOT / "ui" / "clients_page.py")
TIMEOUT = 120
FS = 30.0
T0 = 1000.0  # the worker's monotonic clock at the first frame


class Replay:
    """A pose model that returns a prepared track's frames in order (no MediaPipe)."""

    def __init__(self, track):
        self.track, self.i = track, 0

    def process(self, rgb, t_s):
        tr, i = self.track, min(self.i, len(self.track) - 1)
        self.i += 1
        return PoseFrame(tr.xy[i], tr.visibility[i], tr.presence[i], tr.world[i], int(tr.people[i]))

    def close(self):
        pass


def squats(seconds: float = 12.0):
    """Three front-view squats, the second with both knees caving in."""
    t = np.arange(0, seconds, 1 / FS)
    kt = np.where((t > 3.5) & (t < 6.5), -0.35, 0.3)
    return front_squat_track(t, flexion_profile(t, [(1, 2.0, 130), (4, 2.0, 130), (7, 2.0, 130)]), knee_track=kt,
                             noise_px=1.0)


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Own client database and temp folder; streamlit-webrtc without a server session."""
    monkeypatch.setenv("SQUATCHECK_DB_URL", f"sqlite:///{tmp_path / 'clients.db'}")
    import streamlit_webrtc.component as webrtc_component

    from ui import results_view

    monkeypatch.setattr(webrtc_component, "get_this_session_info", lambda: None)
    monkeypatch.setattr(results_view, "work_dir", lambda: tmp_path / "work")
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()  # closes the page's Store


def feed(monkeypatch, track, *, until_s: float | None = None, record: bool = False):
    """A LiveSession that has seen ``track`` frame by frame (up to ``until_s``)."""
    import vision.pose
    from ui import live_controller

    monkeypatch.setattr(vision.pose, "PoseEstimator", lambda model: Replay(track))
    sess = live_controller.LiveSession()
    sess.record = record
    rng = np.random.default_rng(0)
    picture = rng.integers(0, 255, (track.height, track.width, 3), dtype=np.uint8)  # some texture to encode
    for i, t in enumerate(track.t):
        if until_s is not None and t > until_s:
            break
        picture[0, 0, 0] = i % 256  # a live camera's picture always changes a little (sensor noise)
        sess.process_rgb(picture, now=T0 + float(t))
    return sess


def page_with(sess) -> AppTest:
    from ui import live_page

    at = AppTest.from_file(LIVE_PAGE, default_timeout=TIMEOUT)
    at.session_state[live_page.SESSION_KEY] = sess
    return run(at)


def run(target) -> AppTest:
    at = target.run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def save_as_new_client(at: AppTest, name: str, *, keep_video: bool = False) -> AppTest:
    k = "live_save_to_client"
    run(at.selectbox(key=f"{k}_client").select("__new_client__"))
    at.text_input(key=f"{k}_new_name").input(name)
    if keep_video:
        at.checkbox(key=f"{k}_keep").check()
    return run(at.button(key=f"{k}_button").click())


# ------------------------------------------------------------------------------------------------


def test_stopped_set_is_shown_like_an_uploaded_video_and_saved_to_a_client(monkeypatch):
    sess = feed(monkeypatch, squats())
    assert sess.snapshot["rep_count"] == 3
    at = page_with(sess)  # not playing: the page ends the set, as after STOP
    assert sess.last_set is not None and sess.last_set.ended == "stop"

    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Reps"] == "3" and tiles["Reps with knee valgus"] == "1 of 3" and tiles["Worst rep"] == "Rep 2"
    (table,) = [d.value for d in at.dataframe]
    assert len(table) == 3 and list(table["Rep"]) == [1, 2, 3]
    assert "caved in" in table.iloc[1]["Cue"]
    assert any("Live counter: **3 reps**" in m for m in texts(at.markdown))
    assert len(at.get("vega_lite_chart")) == 3, "knee flexion, KASR and depth charts"
    assert len(at.get("image")) == 3, "one bottom-frame thumbnail per rep"
    assert [b.label for b in at.get("download_button")] == ["Download JSON", "Download CSV (one row per rep)"]
    assert any("No video of this set was recorded" in c for c in texts(at.caption))
    assert at.checkbox(key="live_save_to_client_keep").disabled  # no video to keep

    at = save_as_new_client(at, "Anna Live")
    (ok,) = texts(at.success)
    assert ok.startswith("Saved as session #") and ok.endswith("for Anna Live.")

    clients = run(AppTest.from_file(CLIENTS_PAGE, default_timeout=TIMEOUT))
    assert [h.value for h in clients.header] == ["Anna Live"]
    (history,) = [d.value for d in clients.dataframe]
    assert len(history) == 1


def test_recorded_set_has_its_annotated_video_and_the_video_can_be_kept(monkeypatch, tmp_path):
    sess = feed(monkeypatch, squats(), record=True)
    assert sess.snapshot["recording"]
    at = page_with(sess)
    live = sess.last_set
    assert live.recording is not None and live.recording.is_file()
    assert live.recording.parent == tmp_path / "work"
    assert len(at.get("video")) == 1, "annotated video of the recording"
    assert "Download annotated MP4" in [b.label for b in at.get("download_button")]
    at = save_as_new_client(at, "Ben Recorded", keep_video=True)
    (ok,) = texts(at.success)
    assert ok.endswith("The video was kept on this computer.")


def test_camera_stopping_mid_set_keeps_the_reps_so_far(monkeypatch):
    sess = feed(monkeypatch, squats(), until_s=6.6)  # two reps done, then no more frames
    assert sess.snapshot["rep_count"] == 2
    sess.end_set("camera")  # what the page's poll does when no frame came for CAMERA_STALE_S
    at = page_with(sess)
    assert any("ended when the camera stopped sending pictures" in m for m in texts(at.markdown))
    (table,) = [d.value for d in at.dataframe]
    assert len(table) == 2


def test_a_pause_ends_the_set_and_a_late_frame_after_stop_starts_none(monkeypatch):
    from ui import live_controller

    track = squats()
    sess = feed(monkeypatch, track, until_s=6.6)
    picture = np.zeros((track.height, track.width, 3), np.uint8)
    first = sess.snapshot["set_id"]
    sess.process_rgb(picture, now=T0 + 6.6 + live_controller.RESTART_GAP_S + 1)  # back after a long pause
    assert sess.last_set is not None and sess.last_set.id == first and sess.last_set.ended == "pause"
    assert sess.snapshot["set_id"] != first and sess.snapshot["rep_count"] == 0

    sess.end_set("stop")  # the one-frame set is too short to keep: the paused set stays the last one
    assert sess.last_set.id == first
    sess.active = False  # after STOP
    sess.process_rgb(picture, now=T0 + 20)
    assert sess.end_set("stop") is None


def test_a_frozen_picture_is_not_analysed_and_marks_the_camera_frozen(monkeypatch):
    from ui import live_controller

    track = squats()
    sess = feed(monkeypatch, track, until_s=3.0)
    still = np.full((track.height, track.width, 3), 90, np.uint8)
    t = 3.0
    while not sess.frozen:
        t += 1 / FS
        sess.process_rgb(still, now=T0 + t)
    assert live_controller.FROZEN_S <= t - 3.0 <= live_controller.FROZEN_S + 0.1
    analysed = sess.snapshot["frames"]
    for _ in range(30):  # the same picture keeps coming: not analysed
        t += 1 / FS
        sess.process_rgb(still, now=T0 + t)
    assert sess.frozen and sess.snapshot["frames"] == analysed
    moving = still.copy()
    moving[0, 0] = 0
    sess.process_rgb(moving, now=T0 + t + 0.1)
    assert not sess.frozen


def test_each_rep_is_announced_once_and_mute_skips_without_a_backlog():
    from ui.live_page import ANNOUNCE_KEEP_S, announcements

    fault = {"index": 1, "flags": ["knee_valgus"], "flag_details": [{"code": "knee_valgus", "severity": "major"}]}
    clean = {"index": 2, "flags": []}
    spoken: dict = {}
    snap = {"set_id": "a", "reps": (fault,)}
    items = announcements(snap, speak=True, say_number=False, spoken=spoken, now=100.0)
    assert items == [{"key": "a:1", "text": "Knees out.", "beep": False}]
    # the next polls repeat it in the page only while it is fresh (the browser speaks a key once)
    assert announcements(snap, speak=True, say_number=False, spoken=spoken, now=101.0) == items
    assert announcements(snap, speak=True, say_number=False, spoken=spoken, now=100 + ANNOUNCE_KEEP_S + 1) == []
    # muted: the new rep is marked as seen, so unmuting later does not replay it
    snap = {"set_id": "a", "reps": (fault, clean)}
    assert announcements(snap, speak=False, say_number=False, spoken=spoken, now=110.0) == []
    assert announcements(snap, speak=True, say_number=True, spoken=spoken, now=111.0) == [
        {"key": "a:2", "text": "2.", "beep": True}]
    # another set: its own keys
    assert announcements({"set_id": "b", "reps": (fault,)}, speak=True, say_number=False, spoken=spoken,
                         now=112.0)[0]["key"] == "b:1"


def test_speak_toggle_is_remembered_across_pages():
    from ui import live_page

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at = run(at)
    at = run(at.switch_page("ui/live_page.py"))
    assert at.toggle(key=live_page.SPEAK_KEY).value is True
    at = run(at.toggle(key=live_page.SPEAK_KEY).set_value(False))
    at = run(at.switch_page("ui/analyze_page.py"))  # the toggle's widget state is dropped here
    at = run(at.switch_page("ui/live_page.py"))
    assert at.toggle(key=live_page.SPEAK_KEY).value is False


@pytest.mark.videos
def test_recording_of_a_live_set_analysed_again_gives_the_same_reps(monkeypatch, tmp_path):
    """A real clip through the live path at a webcam-like 15 fps (MediaPipe, recording on), then the
    recording through the file path: the same reps, bottoms and knee verdicts."""
    from ui import live_controller
    from vision.analysis import AnalysisOptions, analyze_video
    from vision.video import iter_frames

    clip = shared_clip("front_bodyweight_valgus_office_01.mp4")
    sess = live_controller.LiveSession()
    sess.record = True
    for i, frame in enumerate(iter_frames(clip, max_side=480)):
        if i % 2 == 0:
            sess.process_rgb(frame.rgb, now=T0 + frame.t_s)
    live = sess.end_set("stop")
    sess.close()
    result = live.analyzer.analysis(source=live.name).result
    again = analyze_video(live.recording, AnalysisOptions(workers=1)).result
    assert live.rep_count == result["summary"]["rep_count"] == again["summary"]["rep_count"] >= 3
    for a, b in zip(result["reps"], again["reps"]):
        assert abs(a["bottom_s"] - b["bottom_s"]) < 0.25
        assert ("knee_valgus" in a["flags"]) == ("knee_valgus" in b["flags"])


def test_a_set_analysed_at_too_few_frames_a_second_says_so(monkeypatch):
    from dataclasses import replace

    track = squats()
    keep = np.arange(0, len(track), 6)  # 5 frames a second: a slow machine
    slow = replace(track, t=track.t[keep], xy=track.xy[keep], visibility=track.visibility[keep],
                   presence=track.presence[keep], world=track.world[keep], people=track.people[keep])
    at = page_with(feed(monkeypatch, slow))
    assert any("Only about 5 frames a second were analysed" in w for w in texts(at.warning))


def _camera_frames(indices, fps: int = 30):
    """Tiny camera frames with WebRTC-style timestamps (pts in 1/fps ticks), each picture different."""
    from fractions import Fraction

    import av

    out = []
    for i in indices:
        frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i % 256, np.uint8), format="rgb24")
        frame.pts, frame.time_base = i, Fraction(1, fps)
        out.append(frame)
    return out


class Clock:
    """A monotonic clock that moves only when told: set to a frame's arrival, or advanced by an analysis."""

    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class TimedReplay(Replay):
    """A :class:`Replay` whose every analysis takes ``cost_s`` on ``clock``."""

    def __init__(self, track, clock: Clock, cost_s: float):
        super().__init__(track)
        self.clock, self.cost_s = clock, cost_s

    def process(self, rgb, t_s):
        self.clock.t += self.cost_s
        return super().process(rgb, t_s)


@pytest.mark.parametrize(("cost_s", "kept"), [(0.020, (10, 11, 12)), (0.040, (10, 12)), (0.060, (11, 12))])
def test_queued_camera_frames_are_analysed_in_order_at_their_capture_times_unless_stale(monkeypatch, cost_s, kept):
    """The WebRTC worker hands over every frame that queued while the previous ones were analysed;
    each is analysed, 1/30 s apart on the set's clock, except those that would be older than
    STALE_S by the time their picture is ready. The picture sent back is the newest frame's.

    On the callback's clock (frame i arrives at T0 + i/30; an analysis takes ``cost_s``), of 300 ms
    of backlog (frames 3-12) a frame is kept when its lag behind the newest, plus the analyses done
    before it in this batch, plus the running cost estimate (1/30 s at first, then 80/20 with each
    measured cost; 0 for the frame that started the model) is at most STALE_S. 20 ms a frame:
    frame 10 is 0.091 s old when done, 11 0.077 s; 40 ms: 10 is 0.098 s, 11 (behind 10's analysis)
    0.107 s; 60 ms: 10 is 0.105 s, 11 0.072 s. The newest is always analysed."""
    import asyncio

    import vision.pose
    from ui import live_controller

    clock = Clock(T0)
    monkeypatch.setattr(vision.pose, "PoseEstimator", lambda model: TimedReplay(squats(4.0), clock, cost_s))
    sess = live_controller.LiveSession()
    callback = live_controller._make_callback(sess, clock=clock)
    asyncio.run(callback(_camera_frames([0])))                  # starts the pose model: not analysed
    assert sess.snapshot["frames"] == 0
    clock.t = T0 + 2 / 30
    [picture] = asyncio.run(callback(_camera_frames([1, 2])))   # one frame of backlog: both analysed
    assert picture.pts == 2
    assert sess.snapshot["frames"] == 2 and sess.dropped == 0
    clock.t = T0 + 12 / 30
    [picture] = asyncio.run(callback(_camera_frames(range(3, 13))))  # 300 ms of backlog: the old ones dropped
    assert picture.pts == 12
    assert sess.snapshot["frames"] == 2 + len(kept) and sess.dropped == 10 - len(kept)
    t = sess.end_set().analyzer.track().t                       # the set's clock starts at frame 1
    assert np.allclose(t, (np.array([1, 2, *kept]) - 1) / 30, atol=1e-9)  # capture times, not analysis times


def test_the_video_draws_the_rep_count_the_reps_tile_shows(monkeypatch):
    """While the page refreshes the Reps tile, the picture carries the count the tile shows, so the
    two never disagree (a new rep reaches both at the tile's refresh); with no page polling, the
    live count."""
    from ui import live_controller

    track = squats()
    sess = feed(monkeypatch, track, until_s=5.0)
    picture = np.zeros((track.height, track.width, 3), np.uint8)
    live = sess.snapshot["rep_count"]
    assert live == 1 and sess.drawn_count == 1                   # nobody polls: the live count
    sess.tile_shows({**sess.snapshot, "rep_count": 0})           # the tile still shows the count before
    sess.process_rgb(picture, now=T0 + 5.1)
    assert sess.drawn_count == 0
    sess.tile_shows(sess.snapshot)
    sess.process_rgb(picture + 1, now=T0 + 5.2)
    assert sess.drawn_count == 1
    sess.tile_shows({**sess.snapshot, "rep_count": 0})
    monkeypatch.setattr(live_controller, "TILE_ALIVE_S", 0.0)          # the page stopped polling
    sess.process_rgb(picture + 2, now=T0 + 5.3)
    assert sess.drawn_count == live


# --- a "possible" knee verdict on the live page: shown in a neutral box, never spoken ------------------

POSSIBLE_REP = {"index": 2, "start_s": 1.0, "bottom_s": 1.5, "end_s": 2.0, "flags": [], "flag_details": [],
                "severity": "ok", "cues": ["Good rep: nothing to correct from this camera angle."], "view": "front",
                "metrics": {}, "not_judged": {},
                "valgus": {"left": False, "right": False, "phase": None, "verdict": "possible",
                           "possible_legs": ["left"], "decided_by": ["within_set"]}}
CLEAR_REP = {"index": 1, "start_s": 0.0, "bottom_s": 0.5, "end_s": 0.9, "flags": ["knee_valgus"],
             "flag_details": [{"code": "knee_valgus", "severity": "major"}], "severity": "major",
             "cues": ["Both knees caved in at the bottom: push the knees out over your toes."], "view": "front",
             "metrics": {}, "not_judged": {},
             "valgus": {"left": True, "right": True, "phase": "bottom", "verdict": "clear", "possible_legs": [],
                        "decided_by": ["foot_line"]}}


def test_a_possible_rep_is_announced_with_a_beep_never_in_words():
    from ui.live_page import announcements

    snap = {"set_id": "p", "reps": (CLEAR_REP, POSSIBLE_REP)}
    assert announcements(snap, speak=True, say_number=False, spoken={}, now=100.0) == [
        {"key": "p:1", "text": "Knees out.", "beep": False}, {"key": "p:2", "text": None, "beep": True}]


def _status_app(last_rep: dict, reps: tuple) -> None:
    import time

    from ui import live_controller, live_page

    sess = live_controller.LiveSession()
    sess.snapshot = {**live_controller._empty_snapshot("s1"), "frames": 60, "rep_count": len(reps), "last_rep": last_rep,
                     "reps": reps, "phase": "standing", "fps": 30.0}
    sess.last_done = time.monotonic()  # the camera is alive
    live_page._status(sess)


def test_live_status_boxes_a_possible_rep_neutrally_and_does_not_speak_it():
    at = run(AppTest.from_function(_status_app, default_timeout=TIMEOUT,
                                   args=(POSSIBLE_REP, (CLEAR_REP, POSSIBLE_REP))))
    assert texts(at.info) == ["**Last rep: Knees: possible (left) — look.** Good rep: nothing to correct from this "
                              "camera angle."]
    assert not at.success and not at.warning and not at.error
    spoken = " ".join(str(h.proto.body) for h in at.get("html"))
    assert '"text": "Knees out."' in spoken and '"text": null, "beep": true' in spoken
    assert "possible" not in spoken.lower()
    # a clear rep: the red box as before
    at = run(AppTest.from_function(_status_app, default_timeout=TIMEOUT, args=(CLEAR_REP, (CLEAR_REP,))))
    assert texts(at.error) == ["**Last rep: Knees caved in (both).** Both knees caved in at the bottom: push the "
                               "knees out over your toes."]
