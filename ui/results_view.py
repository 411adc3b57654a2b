"""One analysis on the page, as the analyse page and the live page both show it.

Summary tiles, the rep table with cues, the signal charts with rep bands, the bottom frame of
each rep, the annotated video, JSON/CSV downloads and the "Save to client" form. The tiles and the
table are drawn first; the charts, thumbnails and annotated video then fill places of their own
below, each saying what is being made until it is there. The pages only
make the *entry* (what was analysed) and call :func:`show_results`.

An entry is a dict:

``name``: shown in the header; ``stem``: download file names (default: ``name`` without its
suffix); ``path``: the clip on disk, or None (a live set recorded without its video);
``analysis``: a ``vision.analysis.Analysis``; ``thumbs``: ``{rep index: RGB}`` or None to read
them from ``path``; ``charts``: the signal charts once made (start with None or leave out);
``video`` / ``video_error``: the annotated MP4 once drawn (start with None);
``key``: anything hashable that identifies the analysis (names the annotated video file).
"""

from __future__ import annotations

import hashlib
import os
import re
import logging
import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path

import streamlit as st

from ui import presenters, settings as ui_settings
from vision.errors import SquatCheckError

log = logging.getLogger("squatcheck.ui")

def work_dir() -> Path:
    """The app's folder for uploads, recordings and annotated videos (under the system temp folder,
    looked up on each call so it follows ``tempfile.tempdir``). Owner only (0700): each browser
    session keeps its upload and annotated videos in a folder of its own inside (:func:`session_dir`)."""
    return Path(tempfile.gettempdir()) / "squatcheck_ui"


# Temp videos (uploads, live recordings, annotated videos: clients' videos) older than this are
# deleted by the sweep (:func:`prune_work_dir`, run by a background thread every SWEEP_EVERY_S and
# on each upload): a tab left open longer has to upload the clip again to keep it.
WORK_MAX_AGE_S = 3600
SWEEP_EVERY_S = 300
AUTO_RENDER_MAX_S = 90         # longer clips get a button instead of drawing the annotated video at once
THUMB_MAX_SIDE = 480
VIDEO_MAX_SIDE = 720
VIDEO_PORTRAIT_WIDTH = 360     # on-page size of the annotated video (px)
VIDEO_LANDSCAPE_WIDTH = 720
CHART_HEIGHT = 260             # px per signal panel (title, plot and axis)
FILMING_TIPS = (
    "**How to film:** phone on a stand at hip height, 2–3 m away, whole body from head to feet in frame, "
    "good light, one person in view. Film **from the front** to check the knees (valgus) and **from the side** "
    "to check depth, trunk lean and heels. 3–5 slow reps are plenty."
)


def private_work_dir() -> Path:
    """:func:`work_dir`, created (or narrowed to) 0700."""
    from trainer.store import private_dir

    return private_dir(work_dir())


_SESSION_DIR_KEY = "_work_dir_token"


class _SessionFolder:
    """Kept in a browser session's state: when Streamlit forgets the session (the tab closed, its
    state dropped), the session's temp folder goes with it (best effort: the sweep is the bound)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        import weakref

        weakref.finalize(self, shutil.rmtree, str(path), True)


def session_dir() -> Path:
    """This browser session's own temp folder (0700, a random name) inside :func:`work_dir`."""
    holder = st.session_state.get(_SESSION_DIR_KEY)
    if not isinstance(holder, _SessionFolder):
        holder = _SessionFolder(work_dir() / f"s-{secrets.token_hex(16)}")
        st.session_state[_SESSION_DIR_KEY] = holder
    private_work_dir()
    from trainer.store import private_dir

    return private_dir(holder.path)


def is_temp_video(path: Path | str | None) -> bool:
    """True for a file this app wrote in its temp folder (an upload, a recording), never for a
    file the app was pointed at (the tests' clips, a kept video)."""
    if path is None:
        return False
    try:
        return Path(work_dir()).resolve() in Path(path).resolve().parents
    except (OSError, RuntimeError):
        return False


def delete_temp_video(path: Path | str | None) -> bool:
    """Delete ``path`` if it is one of this app's temp videos; True when it is gone."""
    if not is_temp_video(path):
        return False
    try:
        Path(path).unlink(missing_ok=True)
    except OSError as err:
        log.warning("could not delete a temp video: %s", err)
        return False
    return True


def write_private(path: Path, data) -> None:
    """Write ``data`` to ``path`` (0600 from its first byte, whatever the umask), atomically."""
    tmp = path.with_name(path.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def prune_work_dir(max_age_s: float = WORK_MAX_AGE_S) -> None:
    """Delete this app's temp videos older than ``max_age_s`` (they are clients' videos), in the
    work folder and every session folder, and session folders left empty that long."""
    cutoff = time.time() - max_age_s
    root = work_dir()
    if not root.is_dir():
        return
    for f in list(root.glob("*")) + list(root.glob("s-*/*")):
        try:
            if f.is_file() and not f.is_symlink() and f.stat().st_mtime < cutoff:
                f.unlink()
        except OSError:
            pass
    for d in root.glob("s-*"):
        try:
            if d.is_dir() and not d.is_symlink() and d.stat().st_mtime < cutoff:
                d.rmdir()  # only when empty
        except OSError:
            pass


_sweeper_lock = threading.Lock()
_sweeper: threading.Thread | None = None


def start_sweeper(every_s: float = SWEEP_EVERY_S) -> None:
    """Once per process: a daemon thread that runs :func:`prune_work_dir` every ``every_s``, so no
    temp video outlives ``WORK_MAX_AGE_S`` by more than that, even when nobody uploads."""
    global _sweeper
    with _sweeper_lock:
        if _sweeper is not None and _sweeper.is_alive():
            return

        def loop() -> None:
            while True:
                try:
                    prune_work_dir()
                except Exception:  # noqa: BLE001 - never let the sweep die
                    log.exception("temp sweep failed")
                time.sleep(every_s)

        _sweeper = threading.Thread(target=loop, name="squatcheck-temp-sweep", daemon=True)
        _sweeper.start()


def throttled_progress(bar, label_fn, min_interval_s: float = 0.25):
    t0 = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] < min_interval_s and done < total:
            return
        last[0] = now
        frac, text = label_fn(done, total, now - t0)
        bar.progress(frac, text=text)
    return progress


def _path_spellings(path: Path) -> list[str]:
    """Every way the engine may have written ``path`` in a message, longest first."""
    forms = {str(path), os.path.abspath(path)}
    try:
        forms.add(str(path.resolve()))
    except (OSError, RuntimeError):
        pass
    return sorted((f for f in forms if f), key=len, reverse=True)


def _server_folders() -> list[str]:
    folders = {str(work_dir()), tempfile.gettempdir()}
    for folder in list(folders):
        try:
            folders.add(str(Path(folder).resolve()))
        except (OSError, RuntimeError):
            pass
    return sorted(folders, key=len, reverse=True)


def public_text(text: str, path: Path | None, name: str) -> str:
    """``text`` as the user may see it: the saved clip's path (any spelling, or its bare temp-file
    name) becomes ``name``, the name the user gave the file; any other path in this app's work
    folder or the system temp folder (annotated videos, worker files) becomes "a temporary file"."""
    text = str(text)
    if path is not None:
        for form in _path_spellings(Path(path)):
            text = text.replace(form, name)
        if Path(path).name and Path(path).name != name:
            text = re.sub(rf"(?<![\w.-]){re.escape(Path(path).name)}", lambda _m: name, text)
    for folder in _server_folders():
        folder = folder.rstrip("/\\")
        if len(folder) > 1:  # never "/" alone
            text = re.sub(re.escape(folder) + r"(?:[\\/][^\s'\"]*|(?![\w.-]))", "a temporary file", text)
    return text


def public_result(result: dict, path: Path, name: str) -> None:
    """The result's user-visible texts (problems, quality notes, the main cue) through
    :func:`public_text`, in place: the user's file name, never the server's folders."""
    for problem in result.get("problems") or []:
        if isinstance(problem, dict) and problem.get("message"):
            problem["message"] = public_text(problem["message"], path, name)
    quality = result.get("quality") or {}
    if quality.get("notes"):
        quality["notes"] = [public_text(n, path, name) for n in quality["notes"]]
    summary = result.get("summary") or {}
    if isinstance(summary.get("main_cue"), str):
        summary["main_cue"] = public_text(summary["main_cue"], path, name)


def show_unexpected_error(err: BaseException, doing: str, path: Path | None = None, name: str = "the video") -> None:
    log.exception("Unexpected error while %s", doing)  # the log (server side) keeps the real paths
    st.error(f"Something went wrong {doing}. Please try again; if it keeps happening, try another clip "
             "(an MP4 straight from a phone works best) and report the problem with the details below.",
             icon=":material/error:")
    with st.expander("Details"):
        st.code(public_text(f"{type(err).__name__}: {err}", path, name), language=None)


def _thumbnails(entry: dict) -> dict:
    if entry.get("thumbs") is None:
        entry["thumbs"] = {}
        if entry.get("path") is None:
            return entry["thumbs"]
        from vision.render import bottom_frames

        try:
            with st.spinner("Picking the bottom frame of each rep…"):
                entry["thumbs"] = bottom_frames(entry["path"], entry["analysis"], max_side=THUMB_MAX_SIDE)
        except Exception:  # thumbnails are a nice-to-have: never fail the page for them
            log.exception("bottom_frames failed")
    return entry["thumbs"]


def _annotated_video(entry: dict) -> Path | None:
    """Render (once) the annotated H.264 MP4 for this entry."""
    if entry.get("video") is not None or entry.get("video_error"):
        return entry.get("video")
    from vision.render import render_annotated_video

    # next to its source: an upload's annotated video goes with it (a new upload, or the sweep)
    folder = Path(entry["path"]).parent if is_temp_video(entry["path"]) else private_work_dir()
    out = folder / f"{hashlib.sha256(repr(entry['key']).encode()).hexdigest()[:32]}.annotated.mp4"
    bar = st.progress(0.0, text="Drawing the annotated video…")

    def label(done, total, elapsed):
        frac, text = presenters.progress_text(done, total, elapsed)
        return frac, text.replace("Analysing", "Drawing the annotated video")
    try:
        entry["video"] = render_annotated_video(entry["path"], entry["analysis"], out, max_side=VIDEO_MAX_SIDE,
                                                progress=throttled_progress(bar, label))
        os.chmod(entry["video"], 0o600)
    except SquatCheckError as err:
        entry["video_error"] = public_text(str(err), entry["path"], entry.get("name") or "the video")
    except Exception as err:
        log.exception("render_annotated_video failed")
        entry["video_error"] = f"The annotated video could not be made ({type(err).__name__})."
    finally:
        bar.empty()
    return entry["video"]


def signal_charts(analysis) -> list:
    """One Altair chart per signal panel (knee flexion, KASR, depth) with rep bands and threshold rules."""
    import altair as alt

    result = analysis.result
    df = presenters.chart_frame(analysis.signals, panels=presenters.chart_panels(result))
    if df.empty:
        return []
    bands = presenters.rep_bands(result)
    rules = presenters.threshold_rules(result)
    duration = float(result.get("video", {}).get("duration_s") or df["t"].max())
    x_scale = alt.Scale(domain=[0, duration], nice=False)
    sev_scale = alt.Scale(domain=["ok", "minor", "major"], range=["#2e9e4f", "#f0a800", "#d62728"])
    charts = []
    for panel, y_title, _ in presenters.CHART_PANELS:
        d = df[df["panel"] == panel]
        if d["value"].notna().sum() == 0:
            continue
        layers = []
        if not bands.empty:
            layers.append(alt.Chart(bands).mark_rect(opacity=0.15).encode(
                x=alt.X("start_s:Q", scale=x_scale, title="time (s)"), x2="end_s:Q",
                color=alt.Color("severity:N", scale=sev_scale, legend=None),
                tooltip=[alt.Tooltip("label:N", title="rep"), alt.Tooltip("severity:N", title="verdict")]))
        layers.append(alt.Chart(d).mark_line(strokeWidth=2).encode(
            x=alt.X("t:Q", scale=x_scale, title="time (s)"),
            y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
            color=alt.Color("series:N", legend=alt.Legend(title=None, orient="top", direction="horizontal")
                            if d["series"].nunique() > 1 else None),
            tooltip=[alt.Tooltip("series:N"), alt.Tooltip("t:Q", format=".2f", title="time (s)"),
                     alt.Tooltip("value:Q", format=".2f")]))
        r = rules[rules["panel"] == panel]
        if not r.empty:
            layers.append(alt.Chart(r).mark_rule(strokeDash=[5, 4], color="#444").encode(y="value:Q"))
            layers.append(alt.Chart(r).mark_text(align="left", dx=4, dy=-6, color="#444", fontSize=11).encode(
                x=alt.value(0), y="value:Q", text="label:N"))
        title = panel
        if panel == "Knee flexion" and result.get("view") != "side":
            title += " (2D: reads low from the front)"
        charts.append(alt.layer(*layers).resolve_scale(color="independent").properties(title=title, height=250))
    return charts


def _show_header(result: dict, name: str) -> None:
    from ui.clients_presenters import md_text

    st.subheader(f"Results: {md_text(name)}")  # the user's file name: shown as typed
    st.markdown(f"**Camera view found:** {presenters.view_text(result)}")
    notes = presenters.quality_notes(result)
    if notes:
        st.caption("Video quality: " + " ".join(notes))
    for msg in presenters.problem_messages(result):
        st.warning(msg)
    judged_not = presenters.not_judged(result)
    tips = presenters.refilm_tips(result)
    if not result.get("reps"):  # the full filming tips follow below
        tips = [t for t in tips if t != presenters.GENERIC_REFILM_TIP]
    if judged_not or tips:
        label = "Not judged from this video, and how to re-film" if judged_not else "How to re-film"
        with st.expander(label, expanded=bool(result.get("problems"))):
            for why in dict.fromkeys(judged_not.values()):  # each reason once
                st.markdown(f"- {why}")
            for tip in tips:
                st.markdown(f"- **Re-filming tip:** {tip}")


def _show_summary(result: dict) -> None:
    tiles = presenters.summary_tiles(result)
    for col, tile in zip(st.columns(len(tiles)), tiles):
        # a tile's note (possible knee valgus: not a fault) sits under its value, amber, without an arrow
        col.metric(tile["label"], tile["value"], delta=tile.get("note"), delta_color="orange", delta_arrow="off",
                   help=tile["help"])
    cue = presenters.main_cue(result)
    if cue and result.get("reps"):
        st.markdown(f"**Main cue:** {cue}")


def _show_disclaimer(result: dict) -> None:
    from vision.analysis import DISCLAIMER

    st.info(result.get("disclaimer") or DISCLAIMER, icon=":material/info:")


def _show_norms(result: dict, settings: ui_settings.Settings) -> None:
    if settings.single_leg:
        lines = presenters.single_leg_norm(result.get("thresholds") or {}, settings.sex)
        st.caption(" · ".join(lines) + ". " + ui_settings.SEX_HELP)


def show_results(entry: dict, settings: ui_settings.Settings, *, key: str = "", no_video: str | None = None) -> None:
    """The whole results section for ``entry`` (see the module docstring).

    ``key`` prefixes every widget key (two pages can then keep their own downloads and save form);
    ``no_video`` is shown instead of the annotated video when the entry has no clip on disk.
    """
    analysis = entry["analysis"]
    result = analysis.result
    _show_header(result, entry["name"])
    if not result.get("reps"):
        st.info(FILMING_TIPS)
        _show_disclaimer(result)
        _show_downloads(entry, video=None, key=key)
        return
    _show_summary(result)
    _show_disclaimer(result)
    _show_norms(result, settings)

    _show_rep_table(result)

    # The tiles and the table are on the page now: they are what the user came for. Charts, thumbnails
    # and the annotated video follow, each in its own place (page order kept), saying what is being
    # made until it is there. They only read the analysis: nothing above changes when they arrive.
    charts_slot, thumbs_slot, video_slot = st.empty(), st.empty(), st.empty()
    if entry.get("charts") is None:
        charts_slot.caption("Drawing the charts…")
    if entry.get("thumbs") is None and entry.get("path") is not None:
        thumbs_slot.caption("Picking the bottom frame of each rep…")
    with charts_slot.container():
        _show_charts(entry)
    with thumbs_slot.container():
        _show_thumbnails(entry)
    with video_slot.container():
        video = _show_annotated_video(entry, no_video, key=key)
    _show_downloads(entry, video, key=key)
    _show_save_to_client(entry, key=key)


def _show_rep_table(result: dict) -> None:
    st.markdown("#### Rep by rep")
    small = st.column_config.TextColumn(width="small")
    st.dataframe(presenters.styled_rep_table(result), hide_index=True, width="stretch",
                 column_config={"Rep": st.column_config.NumberColumn(width="small"), "Verdict": small,
                                "Confidence": small, "Cue": st.column_config.TextColumn(width="large")})


def _show_charts(entry: dict) -> None:
    """The signal charts (made once per entry: a widget click reruns the page without making them again)."""
    if entry.get("charts") is None:
        entry["charts"] = signal_charts(entry["analysis"])
    if not entry["charts"]:
        return
    result = entry["analysis"].result
    st.markdown("#### Signals over time")
    st.caption("Shaded bands are the reps (green ok, amber minor, red major); dashed lines are thresholds."
               + (" KASR is knee width ÷ ankle width: below 0.8 the knees are well inside the feet (valgus)."
                  if any(p.startswith("KASR") for p in presenters.chart_panels(result)) else ""))
    for chart in entry["charts"]:
        st.altair_chart(chart, width="stretch", height=CHART_HEIGHT)


def _show_thumbnails(entry: dict) -> None:
    thumbs = _thumbnails(entry)
    if not thumbs:
        return
    st.markdown("#### Bottom of each rep")
    reps = {int(r["index"]): r for r in entry["analysis"].result["reps"]}
    per_row = 4
    items = sorted(thumbs.items())
    for start in range(0, len(items), per_row):
        cols = st.columns(per_row)
        for col, (idx, img) in zip(cols, items[start:start + per_row]):
            rep = reps.get(idx, {})
            col.image(img, caption=presenters.thumbnail_caption(idx, rep), width="stretch")


def _show_annotated_video(entry: dict, no_video: str | None, *, key: str = "") -> Path | None:
    """The annotated video (drawn here, with its progress bar, the first time), or why there is none."""
    result = entry["analysis"].result
    st.markdown("#### Annotated video")
    video = entry.get("video")
    if entry.get("path") is None:
        st.caption(no_video or "No video of this analysis was kept.")
    elif video is None and not entry.get("video_error") and not Path(entry["path"]).is_file():
        st.caption("The uploaded video was deleted from the server once the analysis was saved (or after an "
                   "hour); upload it again to draw the annotated video.")
    elif video is None and not entry.get("video_error"):
        duration = float((result.get("video") or {}).get("duration_s") or 0)
        if duration <= AUTO_RENDER_MAX_S or entry.get("render_requested"):
            video = _annotated_video(entry)
        elif st.button(f"Draw the annotated video ({presenters.fmt_duration(duration)} of footage: this takes a "
                       "while)", key=f"{key}render_video"):
            entry["render_requested"] = True
            video = _annotated_video(entry)
    if video is not None and Path(video).is_file():
        info = result.get("video") or {}
        portrait = (info.get("height") or 0) > (info.get("width") or 0)
        st.video(str(video), width=VIDEO_PORTRAIT_WIDTH if portrait else VIDEO_LANDSCAPE_WIDTH)
    elif entry.get("video_error"):
        st.warning(entry["video_error"])
    return video


def _show_downloads(entry: dict, video: Path | None, *, key: str = "") -> None:
    from vision.export import to_csv, to_json

    result = entry["analysis"].result
    stem = entry.get("stem") or Path(entry["name"]).stem or "squat"
    cols = st.columns(3)
    from ui.clients_presenters import csv_safe_text
    from ui.downloads import private_download_button

    # deferred: no /media/ URL answers for them before a click of this (signed-in) session
    private_download_button("Download JSON", lambda: to_json(result), container=cols[0],
                            file_name=f"{stem}.squatcheck.json", mime="application/json", key=f"{key}dl_json")
    private_download_button("Download CSV (one row per rep)", lambda: csv_safe_text(to_csv(result)),
                            container=cols[1], file_name=f"{stem}.reps.csv", mime="text/csv", key=f"{key}dl_csv",
                            disabled=not result.get("reps"))
    if video is not None and Path(video).is_file():
        private_download_button("Download annotated MP4", lambda: Path(video).read_bytes(), container=cols[2],
                                file_name=f"{stem}.annotated.mp4", mime="video/mp4", key=f"{key}dl_mp4")


def _show_save_to_client(entry: dict, *, key: str = "") -> None:
    """The save-to-client form (``ui.save_form.render_save_to_client``, the Clients page's too), for this entry."""
    from ui.save_form import render_save_to_client

    result = entry["analysis"].result
    thumbs = entry.get("thumbs") or {}
    worst = (result.get("summary") or {}).get("worst_rep")
    frame = thumbs.get(worst) if worst is not None else None
    if frame is None and thumbs:
        frame = next(iter(thumbs.values()))
    st.markdown("#### Save to a client")
    path = entry.get("path")
    try:
        saved = render_save_to_client(result, str(path) if path is not None else None, worst_frame_rgb=frame,
                                      key=f"{key}save_to_client")
    except Exception as err:
        show_unexpected_error(err, "showing the save-to-client form")
        return
    if saved is not None:
        # saved (with a kept copy in the client's folder, or without the video): the results no longer
        # need the temp upload or recording
        delete_temp_video(path)
