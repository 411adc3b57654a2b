"""The Streamlit app under ``streamlit.testing`` (no browser): pages load, a real clip is analysed
(MediaPipe runs for real), bad input gives a helpful error, settings list every threshold.

``AppTest`` cannot drive a file uploader, so the analyse page reads the clip path from
``st.session_state["_test_video_path"]`` when it is set (its documented test seam).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from unittest import mock

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from vision.thresholds import PROFILES, Thresholds  # noqa: E402

SHARED_VIDEOS = Path(__file__).resolve().parents[1].parent / "shared" / "videos"
APP = str(ROOT / "app.py")
ANALYZE_PAGE = str(ROOT / "ui" / "analyze_page.py")
LIVE_PAGE = str(ROOT / "ui" / "live_page.py")
CLIENTS_PAGE = ROOT / "ui" / "clients_page.py"
TIMEOUT = 120  # MediaPipe runs for real; AppTest's default is 3 s


def shared_clip(name: str) -> Path:
    path = SHARED_VIDEOS / name
    if path.is_file():
        return path
    reason = f"shared clip {name} not found in {SHARED_VIDEOS}"
    if os.environ.get("CI"):
        pytest.fail(reason + " (CI must have the shared clips)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Never touch the user's client database; give streamlit-webrtc a session it can live without."""
    monkeypatch.setenv("SQUATCHECK_DB_URL", f"sqlite:///{tmp_path / 'clients.db'}")
    import streamlit_webrtc.component as webrtc_component

    # Under AppTest there is no real server session; the component handles a missing one (None).
    monkeypatch.setattr(webrtc_component, "get_this_session_info", lambda: None)


def _texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def _all_markdown(at) -> str:
    return "\n".join(_texts(at.markdown) + _texts(at.caption) + _texts(at.info) + _texts(at.warning)
                     + _texts(at.error) + _texts(at.success))


def _run_analysis(clip: Path, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["_test_video_path"] = str(clip)
    for k, v in state.items():
        at.session_state[k] = v
    return at.run(timeout=TIMEOUT)


# --- loading ---------------------------------------------------------------------------------


def test_app_loads_with_sidebar_settings():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run(timeout=TIMEOUT)
    assert not at.exception
    assert [t.value for t in at.title] == ["Analyse a squat video"]
    labels = [s.label for s in at.sidebar.selectbox]
    assert labels == ["Camera view", "Squat type", "Sex (for single-leg FPPA norms)", "Pose model"]
    assert at.sidebar.selectbox(key="settings_view").options == [
        "auto (detect per rep)", "front (facing the camera)", "side (side-on (90°))"]
    assert at.sidebar.selectbox(key="settings_profile").options == list(PROFILES)
    assert at.sidebar.selectbox(key="settings_sex").options == ["not specified", "female", "male"]
    assert [o.split()[0] for o in at.sidebar.selectbox(key="settings_model").options] == ["lite", "full", "heavy"]
    # no clip yet: the filming tips are shown
    assert "How to film" in _all_markdown(at)


def test_settings_expander_lists_every_threshold_with_source():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run(timeout=TIMEOUT)
    assert not at.exception
    expander = [e for e in at.sidebar.expander if e.label == "Thresholds and sources"]
    assert expander, "thresholds expander missing"
    text = "\n".join(_texts(expander[0].markdown) + _texts(expander[0].caption))
    for name, th in Thresholds().to_dict().items():
        assert f"**{name}** = {th['value']:g} {th['unit']} — {th['source']}" in text
    assert "single-leg" in text.lower()


def test_single_leg_profile_shows_the_sex_specific_norm():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run(timeout=TIMEOUT)
    at.sidebar.selectbox(key="settings_profile").select("single-leg").run(timeout=TIMEOUT)
    at.sidebar.selectbox(key="settings_sex").select("female").run(timeout=TIMEOUT)
    assert not at.exception
    captions = _texts(at.sidebar.caption)
    assert "Single-leg FPPA norm (women): up to 13°" in captions
    at.sidebar.selectbox(key="settings_sex").select("male").run(timeout=TIMEOUT)
    assert "Single-leg FPPA norm (men): up to 9°" in _texts(at.sidebar.caption)


def test_navigation_switches_to_every_page():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run(timeout=TIMEOUT)
    at.switch_page("ui/live_page.py").run(timeout=TIMEOUT)
    assert not at.exception
    assert [t.value for t in at.title] == ["Live webcam"]
    if CLIENTS_PAGE.is_file():
        at.switch_page("ui/clients_page.py").run(timeout=TIMEOUT)
        assert not at.exception
    at.switch_page("ui/analyze_page.py").run(timeout=TIMEOUT)
    assert not at.exception
    assert [t.value for t in at.title] == ["Analyse a squat video"]


@pytest.mark.parametrize("page", [ANALYZE_PAGE, LIVE_PAGE, str(CLIENTS_PAGE)])
def test_each_page_renders_on_its_own(page):
    if not Path(page).is_file():
        pytest.skip(f"{page} does not exist yet")
    at = AppTest.from_file(page, default_timeout=TIMEOUT).run(timeout=TIMEOUT)
    assert not at.exception


def test_live_page_explains_how_to_get_a_camera_without_one():
    at = AppTest.from_file(LIVE_PAGE, default_timeout=TIMEOUT).run(timeout=TIMEOUT)
    assert not at.exception
    assert not at.error
    info = "\n".join(_texts(at.info))
    assert "START" in info
    assert "Allow camera access in the browser's address bar, or plug in a webcam" in info
    assert "https or localhost" in info
    assert at.checkbox(key="live_mirror").value is True
    assert "Screening aid" in "\n".join(_texts(at.caption))


def test_live_page_warns_about_bad_ice_server_json(monkeypatch):
    monkeypatch.setenv("SQUATCHECK_ICE_SERVERS", "{oops")
    at = AppTest.from_file(LIVE_PAGE, default_timeout=TIMEOUT).run(timeout=TIMEOUT)
    assert not at.exception
    assert any("SQUATCHECK_ICE_SERVERS" in w for w in _texts(at.warning))


# --- analysing -------------------------------------------------------------------------------


def test_analyse_real_clip_shows_summary_table_and_downloads():
    clip = shared_clip("front_overheadsquat_kneein_asym_01.mov")
    import vision.analysis

    real = vision.analysis.analyze_video
    with mock.patch.object(vision.analysis, "analyze_video", side_effect=real) as spy:
        at = _run_analysis(clip)
        assert not at.exception
        assert not at.error, _texts(at.error)
        assert spy.call_count == 1

        tiles = {m.label: m.value for m in at.metric}
        assert tiles["Reps"] == "1"
        assert tiles["Reps with knee valgus"] == "1 of 1"
        assert tiles["Worst rep"] == "Rep 1"

        assert len(at.dataframe) == 1
        table = at.dataframe[0].value
        assert list(table.columns) == ["Rep", "Time", "Verdict", "Depth", "Valgus L", "Valgus R", "Other flags",
                                       "Confidence", "Cue"]
        assert len(table) == 1
        row = table.iloc[0]
        assert row["Verdict"] == "Major"
        assert row["Valgus R"].startswith("caved in")  # labels.csv: the right knee caves in
        assert "right knee" in row["Cue"]

        text = _all_markdown(at)
        assert "Camera view found:** Front view" in text
        assert "Screening aid, not a diagnosis" in text and "±3°" in text  # disclaimer with measurement error
        assert "Main cue:" in text
        labels = [b.label for b in at.get("download_button")]
        assert labels == ["Download JSON", "Download CSV (one row per rep)", "Download annotated MP4"]
        assert len(at.get("vega_lite_chart")) == 3, "knee flexion, KASR and depth charts expected"
        assert len(at.get("image")) == 1, "one bottom-frame thumbnail per rep expected"
        assert len(at.get("video")) == 1, "annotated video missing"

        # a widget click reruns the script: the cached result is reused, the engine does not run again
        at.checkbox(key="upload_mirrored").check().run(timeout=TIMEOUT)  # a setting that changes the result
        assert spy.call_count == 2
        at.checkbox(key="upload_mirrored").uncheck().run(timeout=TIMEOUT)
        at.run(timeout=TIMEOUT)
        assert spy.call_count == 2, "rerun recomputed the analysis instead of using the cache"
        assert not at.exception


def test_corrupt_file_shows_helpful_error(tmp_path):
    bad = tmp_path / "not_a_video.mp4"
    bad.write_bytes(os.urandom(64 * 1024))
    at = _run_analysis(bad)
    assert not at.exception
    assert len(at.error) == 1
    msg = at.error[0].value
    assert "not_a_video.mp4" in msg
    assert "Traceback" not in msg
    assert "phone" in msg  # says what to do
    assert not at.metric and not at.dataframe


def test_missing_file_shows_error_not_exception(tmp_path):
    at = _run_analysis(tmp_path / "gone.mp4")
    assert not at.exception
    assert len(at.error) == 1 and "gone.mp4" in at.error[0].value


def _upload(name: str, data: bytes, server_tmp: Path, monkeypatch) -> AppTest:
    """Upload through the real file uploader; the app's temp folder is ``server_tmp``."""
    import tempfile

    server_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(server_tmp))   # the page's WORK_DIR lives under it
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run(timeout=TIMEOUT)
    at.file_uploader(key="upload").upload(name, data, "video/mp4")
    return at.run(timeout=TIMEOUT)


def _page_text(at) -> str:
    details = [c.value for e in at.expander for c in e.code]
    return "\n".join([_all_markdown(at), *details, *_texts(at.subheader)])


def test_unreadable_upload_is_named_as_the_user_named_it(tmp_path, monkeypatch):
    server_tmp = tmp_path / "server_tmp"
    data = b"These are my squat notes, not a video.\n" * 20
    at = _upload("my squat.mp4", data, server_tmp, monkeypatch)
    assert not at.exception
    # the upload was saved under its SHA-256 (in this session's folder), and deleted once it could not
    # be analysed: there is nothing to show or keep
    import hashlib

    saved = [Path(hashlib.sha256(data).hexdigest()[:32] + ".mp4")]
    assert not list((server_tmp / "squatcheck_ui").rglob("*.mp4"))
    assert len(at.error) == 1
    assert at.error[0].value == (   # ...which the user never sees
        "Could not read 'my squat.mp4': it is not a video file, or it is damaged or incomplete. Export the clip as "
        "MP4 (H.264) and try again.\n\nTry another file: a clip straight from a phone's camera app (MP4 or MOV) "
        "works best.")
    text = _page_text(at)
    assert str(server_tmp) not in text and "squatcheck_ui" not in text and saved[0].stem not in text


def test_truncated_upload_shows_video_incomplete_without_server_paths(tmp_path, monkeypatch):
    src = shared_clip("side_bodyweight_fullsquat_01.mp4")
    server_tmp = tmp_path / "server_tmp"
    at = _upload("my squat.mp4", src.read_bytes()[:40 * 1024], server_tmp, monkeypatch)
    assert not at.exception
    assert not at.error, _texts(at.error)
    warnings = _texts(at.warning)
    assert warnings[0].startswith("Only 0.8 s of 6.3 s could be read: the file ends early or is damaged, so the "
                                  "copy or upload may be incomplete. Only that part was analysed")
    assert "Results: my squat.mp4" in _texts(at.subheader)
    text = _page_text(at)
    saved = list((server_tmp / "squatcheck_ui").glob("s-*/*.mp4"))
    assert saved and str(server_tmp) not in text and saved[0].stem not in text


def test_engine_messages_lose_the_servers_paths():
    from ui.results_view import public_text, work_dir

    WORK_DIR = work_dir()

    saved = WORK_DIR / "0a835f30c0ffee.mp4"
    assert public_text(f"Could not read '{saved}': damaged.", saved, "my squat.mp4") == \
        "Could not read 'my squat.mp4': damaged."
    assert public_text("0a835f30c0ffee.mp4 ended early", saved, "my squat.mp4") == "my squat.mp4 ended early"
    assert public_text(f"Could not create '{WORK_DIR / 'ab.annotated.mp4'}': full.", saved, "my squat.mp4") == \
        "Could not create 'a temporary file': full."


def test_no_person_clip_shows_the_problem_as_a_warning():
    clip = shared_clip("neg_no_person_blank_screen_01.mp4")
    at = _run_analysis(clip)
    assert not at.exception
    assert not at.error
    warnings = _texts(at.warning)
    assert any("No person was found" in w for w in warnings)
    assert not at.dataframe  # no rep table without reps
    assert "Screening aid" in "\n".join(_texts(at.info))


def test_unexpected_error_is_friendly(tmp_path):
    clip = shared_clip("front_barbell_highbar_short_01.mp4")
    import vision.analysis

    with mock.patch.object(vision.analysis, "analyze_video", side_effect=RuntimeError("boom")) as spy:
        at = _run_analysis(clip)
    assert spy.call_args.args[1].sex is None  # bodyweight profile: sex is not used
    assert not at.exception
    assert len(at.error) == 1
    assert at.error[0].value.startswith("Something went wrong analysing this video")
    assert "boom" not in at.error[0].value  # details only in the expander
    details = [e for e in at.expander if e.label == "Details"]
    assert details and "RuntimeError: boom" in details[0].code[0].value


def test_single_leg_profile_passes_the_chosen_sex_to_the_engine():
    clip = shared_clip("front_barbell_highbar_short_01.mp4")
    import vision.analysis

    with mock.patch.object(vision.analysis, "analyze_video", side_effect=RuntimeError("stop here")) as spy:
        _run_analysis(clip, settings_profile="single-leg", settings_sex="male")
    options = spy.call_args.args[1]
    assert (options.profile, options.sex) == ("single-leg", "male")


# --- the live page's frame callback (no browser) ------------------------------------------------


def test_live_callback_analyses_unmirrored_and_mirrors_only_the_preview():
    """Frames go through the real LiveAnalyzer; the returned picture is flipped only when asked."""
    import asyncio

    import av
    import numpy as np

    from ui import live_controller
    from vision.video import iter_frames

    clip = shared_clip("front_barbell_highbar_short_01.mp4")
    frames = [f.rgb for _, f in zip(range(12), iter_frames(clip, max_side=320))]
    sess = live_controller.LiveSession()
    callback = live_controller._make_callback(sess)
    for rgb in frames[:10]:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        [out] = asyncio.run(callback([frame]))
        assert isinstance(out, av.VideoFrame)
        assert (out.width, out.height) == (frame.width, frame.height)
    snap = sess.snapshot
    assert snap["frames"] == 9 and snap["error"] is None   # the first frame waited for the pose model
    assert snap["rep_count"] == 0 and snap["phase"] in ("waiting", "standing", "down")

    # same frame, preview mirrored vs not: the analysis input is identical, only the picture flips
    rgb = frames[10]
    sess.mirror_preview = False
    plain = sess.process_rgb(rgb)
    sess.mirror_preview = True
    mirrored = sess.process_rgb(frames[11])
    assert plain.shape == mirrored.shape == rgb.shape
    # below the banner, the mirrored preview is the flipped camera picture (plus the skeleton)
    h = rgb.shape[0]
    lower = slice(int(h * 0.9), h)
    diff_flipped = np.abs(mirrored[lower].astype(int) - frames[11][lower, ::-1].astype(int)).mean()
    diff_same = np.abs(mirrored[lower].astype(int) - frames[11][lower].astype(int)).mean()
    assert diff_flipped < diff_same
    sess.close()


def test_app_preloads_the_engine_in_the_background():
    """The app's start imports MediaPipe, SciPy and the engine on a background thread, so the first
    upload does not wait for them (checked in a fresh interpreter: nothing imported before)."""
    import subprocess
    import sys

    code = ("import sys; from ui import preload; assert 'mediapipe' not in sys.modules; "
            "preload._import_engine(); "
            "print(all(m in sys.modules for m in ('scipy.signal', 'mediapipe', 'vision.analysis', 'vision.pose')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "True"


# --- a "possible" knee verdict in the results view (hand-built result, no engine run) -------------------


def _results_app(result: dict) -> None:
    from types import SimpleNamespace

    import numpy as np

    from ui import results_view, settings as ui_settings

    thumbs = {r["index"]: np.full((48, 32, 3), 90, np.uint8) for r in result["reps"]}
    entry = {"name": "clip.mp4", "path": None, "analysis": SimpleNamespace(result=result, signals=None, track=None),
             "thumbs": thumbs, "video": None, "key": "possible-test"}
    results_view.show_results(entry, ui_settings.current(), key="t_")


def _possible_result(possible: bool = True) -> dict:
    def rep(i, flags, valgus, severity, cue):
        return {"index": i, "start_s": 2.0 * i, "bottom_s": 2.0 * i + 0.5, "end_s": 2.0 * i + 1.0,
                "flags": flags, "flag_details": [{"code": f, "severity": severity} for f in flags],
                "metrics": {"knee_flexion_deg": 100.0, "kasr_min": 0.9}, "confidence": 0.9, "cues": [cue],
                "view": "front", "severity": severity, "valgus": valgus, "not_judged": {}}

    good = "Good rep: nothing to correct from this camera angle."
    maybe = {"left": False, "right": False, "phase": None, "verdict": "possible", "possible_legs": ["right"],
             "decided_by": ["kasr"]}
    reps = [rep(1, ["knee_valgus"], {"left": True, "right": False, "phase": "bottom", "verdict": "clear",
                                     "possible_legs": [], "decided_by": ["foot_line"]}, "major",
                "Your left knee caved in at the bottom: push the knees out over your toes."),
            rep(2, [], maybe if possible else {"left": False, "right": False, "phase": None}, "ok", good)]
    return {"view": "front", "view_confidence": 0.95, "quality": {"score": 1.0, "notes": []}, "problems": [],
            "reps": reps, "not_judged": {},
            "summary": {"rep_count": 2, "valgus_reps": 1, "possible_valgus_reps": int(possible), "shallow_reps": 0,
                        "flagged_reps": 1, "worst_rep": 1, "main_cue": reps[0]["cues"][0]},
            "thresholds": {}, "disclaimer": "Screening aid, not a diagnosis."}


def _captions(at) -> list[str]:
    return [img.caption for el in at.get("image") for img in el.proto.imgs]


def test_results_show_a_possible_rep_apart_from_the_faults():
    at = AppTest.from_function(_results_app, default_timeout=TIMEOUT, args=(_possible_result(),)).run()
    assert not at.exception, [e.value for e in at.exception]
    (tile,) = [m for m in at.metric if m.label == "Reps with knee valgus"]
    assert tile.value == "1 of 2"  # the clear rep only
    assert tile.proto.delta == "1 possible — look"
    assert tile.proto.color == tile.proto.MetricColor.ORANGE and tile.proto.direction == tile.proto.MetricDirection.NONE
    assert "not counted as a fault" in tile.help
    (table,) = [d.value for d in at.dataframe]
    assert list(table["Valgus L"]) == ["caved in (bottom)", "ok"]
    assert list(table["Valgus R"]) == ["ok", "possible — look"]
    assert list(table["Verdict"]) == ["Major", "OK"]
    captions = _captions(at)
    assert captions[1] == ("Rep 2 at 4.5 s: OK — Good rep: nothing to correct from this camera angle. · "
                           "Knees: possible (right) — look at this rep")
    assert "possible" not in captions[0]


def test_results_without_possible_reps_look_as_before():
    at = AppTest.from_function(_results_app, default_timeout=TIMEOUT, args=(_possible_result(False),)).run()
    assert not at.exception, [e.value for e in at.exception]
    (tile,) = [m for m in at.metric if m.label == "Reps with knee valgus"]
    assert tile.value == "1 of 2" and not tile.proto.delta
    (table,) = [d.value for d in at.dataframe]
    assert list(table["Valgus R"]) == ["ok", "ok"]
    assert not any("possible" in c for c in _captions(at))


def _table_first_app(result: dict) -> None:
    import streamlit as st

    from ui import results_view, settings as ui_settings

    calls = st.session_state.setdefault("chart_calls", [])
    real = results_view.signal_charts
    results_view.signal_charts = lambda analysis: calls.append(1) or real(analysis)
    try:
        from types import SimpleNamespace

        import numpy as np

        entry = st.session_state.setdefault("entry", {
            "name": "clip.mp4", "path": None, "analysis": SimpleNamespace(result=result, signals=None, track=None),
            "thumbs": {r["index"]: np.full((48, 32, 3), 90, np.uint8) for r in result["reps"]},
            "video": None, "key": "table-first"})
        results_view.show_results(entry, ui_settings.current(), key="t_")
    finally:
        results_view.signal_charts = real


def test_results_draw_the_table_first_and_the_rest_in_their_own_places():
    """Tiles and table first; the later parts replace their own "being made" notes (none is left once
    they are there), keep the page order, and the charts are made once per analysis, not on every rerun."""
    at = AppTest.from_function(_table_first_app, default_timeout=TIMEOUT, args=(_possible_result(),)).run()
    assert not at.exception, [e.value for e in at.exception]
    headings = [m for m in _texts(at.markdown) if m.startswith("####")]
    assert headings[0] == "#### Rep by rep"
    assert headings.index("#### Bottom of each rep") < headings.index("#### Annotated video")
    assert not any(c.endswith("…") for c in _texts(at.caption)), _texts(at.caption)
    (table,) = [d.value for d in at.dataframe]
    at.run()  # a widget click reruns the page: same table, charts not made again
    assert not at.exception, [e.value for e in at.exception]
    (again,) = [d.value for d in at.dataframe]
    assert again.equals(table)
    assert at.session_state["chart_calls"] == [1]


# --- uploads: owner only, deleted when the results no longer need them (issue 23 #8) ----------


def _session_files(server_tmp: Path) -> list[Path]:
    return sorted(p for p in (server_tmp / "squatcheck_ui").rglob("*") if p.is_file())


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX file modes")
def test_upload_is_owner_only_and_deleted_once_saved_without_the_video(tmp_path, monkeypatch):
    clip = shared_clip("front_bodyweight_fullsquat_01.mp4")
    monkeypatch.setattr(os, "umask", lambda mask: 0o022)  # the app must not rely on its own umask
    server_tmp = tmp_path / "server_tmp"
    at = _upload("my squat.mp4", clip.read_bytes(), server_tmp, monkeypatch)
    assert not at.exception and not at.error, _texts(at.error)
    assert at.metric, "the clip was not analysed"
    files = _session_files(server_tmp)
    upload = [p for p in files if not p.name.endswith(".annotated.mp4")]
    assert len(upload) == 1 and upload[0].read_bytes() == clip.read_bytes()
    folder = upload[0].parent
    assert folder.parent == server_tmp / "squatcheck_ui" and folder.name.startswith("s-")  # this session's own
    assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
    assert _mode(folder) == 0o700 and _mode(folder.parent) == 0o700

    run = lambda: at.run(timeout=TIMEOUT)  # noqa: E731
    at.selectbox(key="save_to_client_client").select("__new_client__")
    run()
    at.text_input(key="save_to_client_new_name").input("Anna Smith")
    run()
    assert at.checkbox(key="save_to_client_keep").value is False
    at.button(key="save_to_client_button").click()
    run()
    assert not at.exception
    assert any("Saved as session" in s for s in _texts(at.success))
    assert not upload[0].exists(), "the upload stayed after the analysis was saved without the video"
    assert at.metric  # the results stay on the page
    run()  # a later rerun does not write the upload again
    assert not upload[0].exists()
    assert not [p for p in (tmp_path / "videos").rglob("*") if p.is_file()]  # nothing kept


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX file modes")
def test_kept_video_is_owner_only_and_a_new_upload_deletes_the_previous(tmp_path, monkeypatch):
    clip = shared_clip("front_bodyweight_fullsquat_01.mp4")
    server_tmp = tmp_path / "server_tmp"
    at = _upload("my squat.mp4", clip.read_bytes(), server_tmp, monkeypatch)
    assert not at.exception and at.metric
    first = _session_files(server_tmp)
    assert first

    at.selectbox(key="save_to_client_client").select("__new_client__")
    at.run(timeout=TIMEOUT)
    at.text_input(key="save_to_client_new_name").input("Anna Smith")
    at.run(timeout=TIMEOUT)
    at.checkbox(key="save_to_client_keep").check()
    at.button(key="save_to_client_button").click()
    at.run(timeout=TIMEOUT)
    assert any("The video was kept" in s for s in _texts(at.success))
    kept = [p for p in (tmp_path / "videos").rglob("*") if p.is_file()]
    assert len(kept) == 1 and kept[0].read_bytes() == clip.read_bytes()
    assert _mode(kept[0]) == 0o600 and _mode(kept[0].parent) == 0o700
    upload = [p for p in first if not p.name.endswith(".annotated.mp4")]
    assert not upload[0].exists(), "the temp upload stayed next to the kept copy"

    # another upload (unreadable: nothing to show) replaces this one: the earlier annotated video goes
    # too, and the new file is deleted once its analysis has failed
    at.file_uploader(key="upload").upload("notes.mp4", b"not a video\n" * 50, "video/mp4")
    at.run(timeout=TIMEOUT)
    assert len(at.error) == 1
    assert _session_files(server_tmp) == []


def test_the_sweep_deletes_temp_videos_older_than_an_hour(tmp_path, monkeypatch):
    import tempfile
    import time as _time

    from ui import results_view

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert results_view.WORK_MAX_AGE_S <= 3600
    old, fresh = tmp_path / "squatcheck_ui" / "s-abc" / "old.mp4", tmp_path / "squatcheck_ui" / "s-def" / "new.mp4"
    legacy = tmp_path / "squatcheck_ui" / "0a1b.mp4"  # an older version's upload, not in a session folder
    for f in (old, fresh, legacy):
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"video")
    hour_ago = _time.time() - 3601
    for f in (old, legacy, old.parent):
        os.utime(f, (hour_ago, hour_ago))
    results_view.prune_work_dir()
    assert not old.exists() and not legacy.exists() and fresh.exists()
