"""The analysis pipeline: source → pose → track → clean → view → signals → reps → assessment.

``analyze_track`` is pure (a ``PoseTrack`` in, the JSON-able result out); ``analyze_video``
adds decoding and pose inference around it. The CLI, the app and the benchmarks call these.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vision import __version__
from vision.assess import SEVERITY_ORDER, WHY_SMALL, judge_dip, too_small_for_knees
from vision.extraction import ProgressFn
from vision.options import (  # noqa: F401 - re-exported: callers import them from here
    EVERY_FRAME,
    EXTRACTIONS,
    FAST,
    INFERENCE_MAX_SIDE,
    AnalysisOptions,
    Extraction,
)
from vision.shots import shot_ids
from vision.signals import Signals, clean_track, compute_signals
from vision.thresholds import get_profile
from vision.track import PoseTrack
from vision.reps import segment_reps
from vision.view import REFILM_TIP, ViewVerdict, assess_quality, classify_view, standing_mask

SCHEMA_VERSION = "1.0"
MAX_AUTO_WORKERS = 2       # MediaPipe uses one core per landmarker; this machine class has two
# Local, not in thresholds.py: clip-level capture warnings (a "problem" for the user), not a rep verdict.
NO_PERSON_FRACTION = 0.05
BODY_CUT_OFF_FRACTION = 0.7
MULTI_PERSON_FRACTION = 0.25
# A clip is reported incomplete (``video_incomplete``) when the decoded frames cover more than
# INCOMPLETE_MIN_MISSING_S less than the duration the file declares. Complete clips agree to within
# 0.05 s (all 47 labelled clips: stream/container duration vs last frame time + one frame), so 0.5 s
# is ten times that margin, yet shorter than the shortest rep that is counted (0.6 s): any missing
# stretch that could hide a rep is reported. No relative allowance: 10 % of a 10-minute clip would
# let dozens of reps go missing without a word. Frames more than READ_GAP_S apart (data that could
# not be decoded in between, e.g. a damaged stretch skipped by a parallel segment) count as missing.
INCOMPLETE_MIN_MISSING_S = 0.5
READ_GAP_S = 0.5

DISCLAIMER = (
    "Screening aid, not a diagnosis. Knee valgus from 2D video agrees only moderately with 3D "
    "measurement; manual 2D angle reliability is about ±3° and changes under about 9° between "
    "sessions are within measurement error. Depth from a front view is approximate. Low-back "
    "rounding cannot be measured. See a qualified professional for pain or injury."
)

@dataclass
class Analysis:
    """The result: ``to_dict()`` is the JSON contract; ``track``/``signals`` feed the UI's charts."""

    result: dict
    track: PoseTrack
    signals: Signals | None = None
    timings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return self.result


def _problem(code: str, message: str) -> dict:
    return {"code": code, "message": message}


def seconds_read(t: np.ndarray, fps: float | None) -> float:
    """Seconds of the clip that the decoded frame times ``t`` cover.

    Each frame counts until the next one and the last for one nominal frame interval (so a complete
    clip covers its declared duration); a jump of more than ``READ_GAP_S`` between two frames counts
    one frame interval only, and a first frame later than ``READ_GAP_S`` leaves the start uncovered.
    """
    t = np.asarray(t, dtype=float)
    if t.size == 0:
        return 0.0
    frame_s = 1.0 / fps if fps and np.isfinite(fps) and fps > 0 else 1.0 / 30.0
    steps = np.diff(t)
    covered = float(np.where(steps <= READ_GAP_S, steps, frame_s).sum()) + frame_s
    if 0.0 < t[0] <= READ_GAP_S:
        covered += float(t[0])
    return covered


def incomplete_read(t: np.ndarray, video_info: dict | None) -> tuple[float, float] | None:
    """``(seconds read, seconds declared)`` when the frames cover more than ``INCOMPLETE_MIN_MISSING_S``
    less than the file's declared duration; None when complete or when no duration is declared."""
    info = video_info or {}
    declared = info.get("duration_s")
    if not isinstance(declared, (int, float)) or not np.isfinite(declared) or declared <= 0:
        return None
    read = seconds_read(t, info.get("fps"))
    return (read, float(declared)) if declared - read > INCOMPLETE_MIN_MISSING_S else None


def incomplete_text(read_s: float, declared_s: float) -> str:
    """``only 0.8 s of 6.3 s could be read: …``: the shared wording of the problem and the error."""
    read = f"{read_s:.1f} s" if read_s >= 0.05 else "less than 0.1 s"
    return (f"only {read} of {declared_s:.1f} s could be read: the file ends early or is damaged, "
            "so the copy or upload may be incomplete.")


def analyze_track(track: PoseTrack, options: AnalysisOptions | None = None, *, video_info: dict | None = None,
                  source: str | None = None) -> Analysis:
    """Analyse a landmark track. Pure: no I/O.

    Args:
        track: raw (uncleaned) landmarks from :mod:`vision.pose`.
        options: the view, profile, mirroring and sex used (the defaults when None); the pose
            options (model, extraction, workers, max side) are not used here.
    """
    options = options or AnalysisOptions()
    prof = get_profile(options.profile)
    forced = options.forced_view
    norm = options.single_leg_fppa_norm
    if options.mirrored:
        track = track.mirrored()
    problems: list[dict] = []
    info = video_info or {}
    short = incomplete_read(track.t, video_info) if video_info else None
    if short:  # first: it explains every other problem (no person, no squats) the missing part causes
        text = incomplete_text(*short)
        problems.append(_problem("video_incomplete", text[0].upper() + text[1:] + " Only that part was analysed: "
                                 "copy or upload the whole clip again for a full check."))
    result: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "engine": {"name": "squatcheck", "version": __version__},
        "source": {"file": source},
        "video": {k: info.get(k) for k in ("fps", "frames", "duration_s", "width", "height")} | {
            k: v for k, v in info.items() if k not in ("fps", "frames", "duration_s", "width", "height")},
        "view": "unknown",
        "view_confidence": 0.0,
        "profile": prof.name,
        "sex": options.sex,
        "mirrored": options.mirrored,
        "quality": {},
        "reps": [],
        "rejected_dips": [],
        "summary": {},
        "problems": problems,
        "thresholds": prof.thresholds.to_dict(),
        "disclaimer": DISCLAIMER,
    }
    if video_info and len(track):
        result["video"]["read_s"] = round(seconds_read(track.t, info.get("fps")), 2)
    present = track.people > 0 if len(track) else np.zeros(0, bool)
    if len(track) == 0 or present.mean() < NO_PERSON_FRACTION:
        problems.append(_problem("no_person", "No person was found in the video. Film the whole body, "
                                 "head to feet, in good light, with only the person squatting in view."))
        result["summary"] = summarise([], problems)
        result["quality"] = {"score": 0.0, "notes": ["No person found."], "person_fraction": float(present.mean()) if len(track) else 0.0}
        return Analysis(result, track)

    shots = shot_ids(track)
    sig = compute_signals(clean_track(track, shots), shots=shots)
    quality = assess_quality(sig, track.people)
    result["quality"] = {"score": round(quality.score, 2), "notes": list(quality.notes),
                         "person_fraction": round(quality.person_fraction, 3),
                         "body_in_frame": round(quality.body_in_frame, 3),
                         "multi_person_fraction": round(quality.multi_person_fraction, 3),
                         "mean_visibility": round(quality.mean_visibility, 3)}
    if quality.multi_person_fraction > MULTI_PERSON_FRACTION:
        problems.append(_problem("multiple_people", "More than one person is in view: the analysis follows one "
                                 "person and may switch between them. Film one person at a time."))
    if quality.body_in_frame < BODY_CUT_OFF_FRACTION:
        problems.append(_problem("body_cut_off", "Hips, knees or feet are out of frame or hidden for much of the "
                                 "clip. Step back so the whole body, head to feet, stays in frame."))

    clip_view = classify_view(sig.shoulder_ratio, sig.nose_offset, standing_mask(sig), sig.ankle_ratio,
                              prof.thresholds) if not forced else ViewVerdict(forced, 1.0, float("nan"), float("nan"))
    windows, rejected = segment_reps(sig.t, np.where(sig.valid, sig.depth, np.nan), prof.thresholds, shots)
    reps: list[dict] = []
    for win in windows:
        rep, reason = judge_dip(sig, win, forced, prof, len(reps) + 1, single_leg_norm=norm, earlier=reps)
        if rep is None:
            rejected.append((win.start, win.end, reason))
        else:
            reps.append(rep)
    result["rejected_dips"] = [{"start_s": round(float(sig.t[a]), 2), "end_s": round(float(sig.t[b]), 2), "reason": r}
                               for a, b, r in rejected if 0 <= a < len(sig.t) and 0 <= b < len(sig.t)]

    views = Counter(r["view"] for r in reps)
    if reps:
        main_view = views.most_common(1)[0][0]
        result["view"] = main_view
        result["view_confidence"] = round(float(np.mean([r["confidence"] for r in reps if r["view"] == main_view])), 2)
        if len(views) > 1:
            result["views_by_rep"] = dict(views)
    else:
        result["view"] = clip_view.view
        result["view_confidence"] = round(clip_view.confidence, 2)
    small = [r["metrics"]["leg_px"] for r in reps
             if too_small_for_knees(r["view"], r["metrics"]["leg_px"], prof.thresholds)]
    if small:
        problems.append(_problem("person_too_small", WHY_SMALL.format(px=min(small))))
    if reps and result["view"] in ("oblique", "unknown"):
        problems.append(_problem("view_unsupported", "The camera sees the body at an angle, so exact depth cannot "
                                 "be judged, and the knees are judged against their toes only: caving in is shown "
                                 "clearly up to about 30° off the front, only as 'possible' beyond that, and not at "
                                 "all from behind. " + REFILM_TIP))
    elif result["view"] == "side":
        result["not_judged"] = {"valgus": "Knee valgus needs a front view: film facing the camera."}
    if not reps and "no_person" not in {p["code"] for p in problems}:
        problems.append(_problem("no_squats", "No squat reps were found. If you did squat, film the whole body "
                                 "from the front or side and go at least a quarter of the way down."))
    result["reps"] = reps
    result["summary"] = summarise(reps, problems)
    return Analysis(result, track, sig)


def summarise(reps: list[dict], problems: list[dict]) -> dict:
    worst = max(reps, key=lambda r: (SEVERITY_ORDER[r["severity"]], len(r["flags"])), default=None)
    flagged = worst if worst and worst["flags"] else None
    return {
        "rep_count": len(reps),
        "valgus_reps": sum("knee_valgus" in r["flags"] for r in reps),
        "possible_valgus_reps": sum(r["valgus"].get("verdict") == "possible" for r in reps),
        "shallow_reps": sum("shallow" in r["flags"] for r in reps),
        "flagged_reps": sum(bool(r["flags"]) for r in reps),
        "worst_rep": flagged["index"] if flagged else None,
        "main_cue": flagged["cues"][0] if flagged else (reps[0]["cues"][0] if reps else
                                                        (problems[0]["message"] if problems else None)),
    }


def pose_workers(workers: int | None, duration_s: float) -> int:
    """How many segments (threads) :func:`analyze_video` splits pose over for a clip of ``duration_s``.

    ``None`` means every core (at most ``MAX_AUTO_WORKERS``); clips shorter than
    ``vision.parallel.PARALLEL_MIN_S`` always use one.
    """
    from vision.parallel import PARALLEL_MIN_S

    if workers is None:
        workers = min(os.cpu_count() or 1, MAX_AUTO_WORKERS)
    return int(workers) if workers > 1 and duration_s >= PARALLEL_MIN_S else 1


def analyze_video(path: str | Path, options: AnalysisOptions | None = None, *,
                  progress: ProgressFn | None = None) -> Analysis:
    """Decode ``path``, run pose on it (streamed: memory stays flat) and analyse it with ``options``
    (the defaults when None); ``result["settings"]`` records them (:meth:`AnalysisOptions.settings`).

    ``options.workers`` > 1 splits a clip of at least ``PARALLEL_MIN_S`` into overlapping time segments
    run on threads of this process at once (``vision.parallel``); ``None`` (default) uses every
    core (at most two) for such clips, one pass otherwise.

    A file that ends early or is damaged is analysed as far as it can be read, with a
    ``video_incomplete`` problem; when less than the shortest countable rep could be read it raises.

    Raises:
        VideoReadError: unreadable / corrupt / not a video / too long.
        VideoIncompleteError: less than ``rep_min_duration`` of a longer clip could be read.
        ModelNotFoundError: the pose model is missing.
    """
    from vision.pose import file_sha256, resolve_model
    from vision.video import probe

    options = options or AnalysisOptions()
    model, max_side, extraction = options.model, options.max_side, options.extraction
    info = probe(path)
    model_path = resolve_model(model)  # fail fast, before any decoding, with the how-to-get-it message
    from vision.extraction import extract_track  # at call time: tests and bench/accuracy.py replace it there
    from vision.parallel import extract_track_parallel

    timings: dict = {}
    t0 = time.perf_counter()
    workers = pose_workers(options.workers, info.duration_s)
    if workers > 1:
        track = extract_track_parallel(path, model=model, max_side=max_side, workers=workers, progress=progress,
                                       total_frames=info.frames, timings=timings, extraction=extraction)
    else:
        track = extract_track(path, model=model, max_side=max_side, progress=progress,
                              total_frames=info.frames, timings=timings, extraction=extraction)
    track = rescale_track(track, info.width, info.height)
    short = incomplete_read(track.t, info.to_dict())
    if short and short[0] < options.thresholds.rep_min_duration.value:
        from vision.errors import VideoIncompleteError
        from vision.video import display_name

        raise VideoIncompleteError(f"Could not analyse {display_name(path)}: {incomplete_text(*short)} "
                                   "Copy or upload the whole clip again and try again.")
    a0 = time.perf_counter()
    analysis = analyze_track(track, options, video_info=info.to_dict(), source=Path(path).name)
    timings["analysis_s"] = time.perf_counter() - a0
    timings["total_s"] = time.perf_counter() - t0
    analysis.timings = timings
    analysis.result["engine"]["model"] = model
    analysis.result["settings"] = options.settings(model_sha256=file_sha256(model_path), workers=workers)
    return analysis


def rescale_track(track: PoseTrack, width: int, height: int) -> PoseTrack:
    """Landmarks found on a downscaled frame, expressed in the video's own pixels."""
    from dataclasses import replace

    if track.width in (0, width):
        return replace(track, width=width, height=height)
    return replace(track, xy=track.xy * (width / track.width), width=width, height=height,
                   pose_scale=track.pose_scale * track.width / width)
