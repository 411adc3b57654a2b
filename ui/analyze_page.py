"""Page: upload a squat video, analyse it, show the results.

The analysis itself is the engine's (``vision.analysis.analyze_video``); this page saves the
upload (owner-only, in the browser session's own temp folder, deleted when the results no longer
need it: a new upload, the uploader emptied, the analysis saved to a client - the kept copy then
lives in the client's folder - a failed analysis, or the hourly sweep), runs the engine with a progress bar, caches the result per file content + settings
(so widget clicks do not recompute) and shows it with ``ui.results_view`` (shared with the live
page's finished sets).

Test seam: when ``st.session_state["_test_video_path"]`` is set, that file is analysed instead
of an upload (``streamlit.testing`` cannot drive a file uploader).
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from pathlib import Path

import streamlit as st

from ui import auth, presenters, results_view, settings as ui_settings, upload_guard
from ui.results_view import FILMING_TIPS, public_text, show_unexpected_error
from vision.errors import SquatCheckError, VideoReadError
from vision.video import DEFAULT_MAX_DURATION_S

log = logging.getLogger("squatcheck.ui")

UPLOAD_TYPES = ["mp4", "mov", "m4v", "webm", "avi", "mkv"]
MAX_UPLOAD_MB = 500            # keep in step with .streamlit/config.toml (server.maxUploadSize)
CACHE_ENTRIES = 3              # analyses kept per browser session
MAX_MINUTES = DEFAULT_MAX_DURATION_S / 60
TEST_PATH_KEY = "_test_video_path"


# ------------------------------------------------------------------------------------------------
# Input: an upload (or the test seam) → a file on disk + its content hash
# ------------------------------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _forget_uploads(keep: Path | None = None) -> None:
    """Delete this session's temp uploads (and their annotated videos) other than ``keep``, and drop
    their cached analyses: a new upload replaced them, or the uploader was emptied."""
    folder = results_view.session_dir()
    cache = _cache()
    kept = {keep} if keep is not None else set()
    for key, entry in list(cache.items()):
        p = entry.get("path")
        if p is None or Path(p).parent != folder:
            continue
        if keep is not None and Path(p) == keep:
            if entry.get("video") is not None:
                kept.add(Path(entry["video"]))  # the same upload's annotated videos stay
        else:
            del cache[key]
    for f in folder.iterdir():
        if f not in kept:
            results_view.delete_temp_video(f)


def _save_upload(uploaded, *, write: bool = True) -> tuple[Path, str]:
    """The upload as a file in this browser session's private temp folder (0600 in a 0700 folder),
    named by its SHA-256 (written and hashed once per upload). A new upload deletes the previous
    one. With ``write=False`` an upload already seen is not written again once deleted (after a
    save, or by the sweep): its cached analysis no longer needs it."""
    memo = st.session_state.get("_upload_memo")
    file_id = getattr(uploaded, "file_id", None)
    same = bool(memo and file_id and memo[0] == file_id)
    if same and (not write or Path(memo[1]).is_file()):
        return Path(memo[1]), memo[2]
    data = uploaded.getbuffer()
    sha = memo[2] if same else hashlib.sha256(data).hexdigest()
    suffix = Path(uploaded.name).suffix.lower() or ".mp4"
    if suffix[1:] not in UPLOAD_TYPES:
        suffix = ".mp4"
    folder = results_view.session_dir()
    path = folder / f"{sha[:32]}{suffix}"
    _forget_uploads(keep=path)
    results_view.prune_work_dir()
    if not path.is_file() or path.stat().st_size != len(data):
        results_view.write_private(path, data)
    st.session_state["_upload_memo"] = (file_id, str(path), sha)
    return path, sha


def _pick_source() -> tuple[Path, str, str, object] | None:
    """(path on disk, SHA-256, display name, how to write the upload again or None) of the clip to
    analyse, or None."""
    test_path = st.session_state.get(TEST_PATH_KEY)
    if test_path:
        path = Path(test_path)
        sha = _sha256_file(path) if path.is_file() else f"missing:{path}"
        return path, sha, path.name, None
    # only a session shown the uploader (past the sign-in gate) may upload, for as long as its sign-in lasts
    upload_guard.allow(auth.idle_timeout_s() if auth.current_user() is not None else None)
    uploaded = st.file_uploader(
        "Squat video", type=UPLOAD_TYPES, key="upload",
        help=f"MP4, MOV, M4V, WebM, AVI or MKV, up to {MAX_UPLOAD_MB} MB and {MAX_MINUTES:g} minutes. "
             "The video is analysed on this computer and not sent anywhere.")
    if uploaded is None:
        if st.session_state.pop("_upload_memo", None) is not None:
            _forget_uploads()  # the uploader was emptied: its results are gone from the page
        return None
    path, sha = _save_upload(uploaded, write=False)
    return path, sha, uploaded.name, lambda: _save_upload(uploaded)


# ------------------------------------------------------------------------------------------------
# Running the engine, cached per (content, settings)
# ------------------------------------------------------------------------------------------------


def _cache() -> OrderedDict:
    cache = st.session_state.get("_analysis_cache")
    if not isinstance(cache, OrderedDict):
        cache = OrderedDict()
        st.session_state["_analysis_cache"] = cache
    return cache


def _analyse(path: Path, sha: str, name: str, settings: ui_settings.Settings, mirrored: bool,
             rewrite=None) -> dict | None:
    """The cached entry for this clip + settings (running the engine if needed); None after an error.
    ``rewrite``: writes the upload again when it was deleted (after a save) and is needed again."""
    options = settings.analysis_options(mirrored=mirrored)
    key = (sha, options)
    cache = _cache()
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    if rewrite is not None and not path.is_file():
        path, _sha = rewrite()
    from vision.analysis import analyze_video

    bar = st.progress(0.0, text="Opening the video…")
    try:
        analysis = analyze_video(path, options, progress=results_view.throttled_progress(bar, presenters.progress_text))
    except SquatCheckError as err:
        bar.empty()
        _show_input_error(err, path, name)
        return None
    except Exception as err:  # a bug or an unexpected library failure: never a traceback on the page
        bar.empty()
        show_unexpected_error(err, "analysing this video", path, name)
        return None
    bar.empty()
    analysis.result["source"]["file"] = name  # the user's file name, not the temp file's
    results_view.public_result(analysis.result, path, name)
    entry = {"key": key, "name": name, "path": path, "analysis": analysis, "thumbs": None, "video": None,
             "video_error": None}
    cache[key] = entry
    while len(cache) > CACHE_ENTRIES:
        cache.popitem(last=False)
    return entry


def _show_input_error(err: SquatCheckError, path: Path | None = None, name: str = "the video") -> None:
    msg = public_text(str(err), path, name)
    if isinstance(err, VideoReadError):
        msg += "\n\nTry another file: a clip straight from a phone's camera app (MP4 or MOV) works best."
    st.error(msg, icon=":material/error:")


# ------------------------------------------------------------------------------------------------
# Page
# ------------------------------------------------------------------------------------------------


def render() -> None:
    st.title("Analyse a squat video")
    st.caption("Upload a clip of a few squats. The app finds each rep and checks the knees (valgus), depth and, "
               "from the side, trunk lean and heels. Everything runs on this computer.")
    settings = ui_settings.current()
    mirrored = st.checkbox("Mirror-image video (recorded with a selfie camera that flips the picture)",
                           key="upload_mirrored",
                           help="Tick this if left and right are swapped in the recording, so 'left knee' "
                                "means the person's own left.")
    source = _pick_source()
    if source is None:
        st.markdown(FILMING_TIPS)
        return
    path, sha, name, rewrite = source
    entry = _analyse(path, sha, name, settings, mirrored, rewrite)
    if entry is None:
        results_view.delete_temp_video(path)  # nothing to show or keep: the upload is not needed
        return
    try:
        results_view.show_results(entry, settings)
    except Exception as err:
        show_unexpected_error(err, "showing the results", path, name)


if __name__ == "__main__":
    render()
