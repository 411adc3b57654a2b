"""The only module that imports MediaPipe: model resolution and per-frame pose inference.

Uses the Tasks ``PoseLandmarker`` in VIDEO mode (it tracks between frames, so the person
detector runs only when tracking is lost). Output is converted at this edge into plain
NumPy arrays (``PoseFrame``) so nothing downstream knows MediaPipe's types.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np

from vision.errors import ModelNotFoundError
from vision.landmarks import BODY, NUM_LANDMARKS
from vision.track import PoseFrame

os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ INFO/WARNING spam on stderr

# SQUATCHECK_MODELS_DIR points at another models folder (tests use it for a machine without Lite/Heavy).
MODELS_DIR = Path(os.environ.get("SQUATCHECK_MODELS_DIR") or Path(__file__).resolve().parent.parent / "models")
MODEL_FILES = {
    "lite": "pose_landmarker_lite.task",
    "full": "pose_landmarker_full.task",
    "heavy": "pose_landmarker_heavy.task",
}
# What each model costs and gains, for the CLI's help and the app's model choice. Numbers measured on
# this machine live in BENCHMARKS.md; the ones here are the models' own sizes and MediaPipe's model card.
MODEL_NOTES = {
    "lite": "smallest landmark model (2.8 MB): less time a frame than Full, less accurate landmarks; "
            "its speed and its verdicts against Full's on this machine: measured in BENCHMARKS.md",
    "full": "the default (6.4 MB landmark model, committed): the verdicts and benchmarks are tuned on it",
    "heavy": "largest landmark model (27.7 MB): the most accurate landmarks (MediaPipe's model card, HIIT poses: "
             "PCK@0.2 97.5 vs 95.7 for Full), slower than Full (MediaPipe's published timings: 1.4x to 4.5x "
             "Full's, by device); on this machine: measured in BENCHMARKS.md",
}
SUMS_FILE = "SHA256SUMS"


def build_command(name: str) -> str:
    """The one command that builds the named bundle into models/."""
    return f"bash models/build_pose_model.sh {name}"


def missing_model_message(name: str) -> str:
    path = f"models/{MODEL_FILES[name]}"
    if name == "full":
        return f"Pose model 'full' not found at {path}. Rebuild it offline with: {build_command('full')}"
    return (f"Pose model '{name}' is not built on this machine ({path}). Build it once with: {build_command(name)} "
            "(needs the npm registry once; bash setup.sh builds it too). --model full works without it.")


# Up to this many people are detected per frame, so a second person in view is noticed.
MAX_PEOPLE = 2


_stderr_lock = threading.Lock()
_stderr_quieters = 0        # how many threads are inside _quiet_native_stderr
_stderr_saved: int | None = None


@contextlib.contextmanager
def _quiet_native_stderr():
    """Silence C++ start-up chatter (TFLite/absl write straight to fd 2, past Python's logging).

    Only wraps model creation and the first frame; Python exceptions still propagate.

    fd 2 belongs to the whole process, and pose segments start their landmarkers on threads at
    once: the first thread in points it at /dev/null and the last one out restores it. (Each
    thread saving and restoring on its own left stderr at /dev/null for the rest of the process
    whenever two start-ups overlapped: every later message, error or progress line was lost.)
    """
    global _stderr_quieters, _stderr_saved
    if os.environ.get("SQUATCHECK_DEBUG"):
        yield
        return
    with _stderr_lock:
        if _stderr_quieters == 0:
            sys.stderr.flush()
            _stderr_saved = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
        _stderr_quieters += 1
    try:
        yield
    finally:
        with _stderr_lock:
            _stderr_quieters -= 1
            if _stderr_quieters == 0:
                os.dup2(_stderr_saved, 2)
                os.close(_stderr_saved)
                _stderr_saved = None


def pinned_sha256(models_dir: Path | None = None) -> dict[str, str]:
    """``{file name: SHA-256}`` from ``models/SHA256SUMS`` (empty when the file is missing)."""
    sums = Path(models_dir or MODELS_DIR) / SUMS_FILE
    pinned: dict[str, str] = {}
    if sums.is_file():
        for line in sums.read_text().splitlines():
            digest, _, fname = line.strip().partition("  ")
            if digest and fname:
                pinned[fname.strip()] = digest.lower()
    return pinned


def resolve_model(model: str | os.PathLike = "full") -> Path:
    """Return the path of a pose model given ``lite``/``full``/``heavy`` or a file path.

    A named model must match its SHA-256 in ``models/SHA256SUMS`` (checked once per file version).

    Raises:
        ModelNotFoundError: missing or not the pinned build, with the one command that builds it.
    """
    name = str(model)
    if name in MODEL_FILES:
        path = MODELS_DIR / MODEL_FILES[name]
        if not path.is_file():
            raise ModelNotFoundError(missing_model_message(name))
        expected = pinned_sha256().get(MODEL_FILES[name])
        if expected and file_sha256(path) != expected:
            raise ModelNotFoundError(
                f"Pose model '{name}' (models/{MODEL_FILES[name]}) does not match its SHA-256 in "
                f"models/{SUMS_FILE}: it is damaged or was built differently. Rebuild it with: {build_command(name)}")
        return path
    path = Path(name).expanduser()
    if not path.is_file():
        raise ModelNotFoundError(f"Pose model file '{name}' does not exist. Use --model lite, full or heavy, "
                                 "or a .task path.")
    return path


_sha_cache: dict[tuple, str] = {}
_sha_lock = threading.Lock()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, remembered per (path, size, mtime) so a 30 MB bundle is read once."""
    st = os.stat(path)
    key = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    with _sha_lock:
        if key in _sha_cache:
            return _sha_cache[key]
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    with _sha_lock:
        _sha_cache[key] = digest.hexdigest()
    return _sha_cache[key]


def _frame_from_landmarks(pose, world, width: int, height: int, people: int) -> PoseFrame:
    xy = np.array([[lm.x * width, lm.y * height] for lm in pose], dtype=float)
    vis = np.array([lm.visibility or 0.0 for lm in pose], dtype=float)
    pres = np.array([lm.presence or 0.0 for lm in pose], dtype=float)
    wxyz = np.array([[lm.x, lm.y, lm.z] for lm in world], dtype=float) if world else np.full((NUM_LANDMARKS, 3), np.nan)
    return PoseFrame(xy, vis, pres, wxyz, people)


def count_people(candidates: list[PoseFrame]) -> int:
    """How many detections are real, substantial people: a body seen clearly (mean visibility
    ≥ 0.5) and at least 30% of the largest one's height. Faint or tiny extra detections
    (reflections, posters, someone far behind) do not count as "several people in view".
    """
    sizes = [_body_size(c) for c in candidates]
    largest = max(sizes) if sizes else 0.0
    return sum(
        1 for c, size in zip(candidates, sizes)
        if np.mean(c.visibility[list(BODY)]) >= 0.5 and size >= 0.3 * largest
    )


def _body_centre(frame: PoseFrame) -> np.ndarray:
    return np.nanmean(frame.xy[list(BODY)], axis=0)


def _body_size(frame: PoseFrame) -> float:
    pts = frame.xy[list(BODY)]
    return float(np.nanmax(pts[:, 1]) - np.nanmin(pts[:, 1]))


class PoseEstimator:
    """Run BlazePose on a stream of RGB frames and follow one person.

    When several people are detected, the one nearest the previously followed person is kept
    (the largest at the start), so a bystander walking past does not hijack the track.
    """

    def __init__(self, model: str | os.PathLike = "full", *, max_people: int = MAX_PEOPLE,
                 min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5):
        from mediapipe.tasks.python import BaseOptions, vision  # heavy import kept local

        self.model_path = resolve_model(model)
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=max_people,
            min_pose_detection_confidence=min_detection_confidence,
            min_pose_presence_confidence=0.5,
            min_tracking_confidence=min_tracking_confidence,
        )
        with _quiet_native_stderr():
            self._landmarker = vision.PoseLandmarker.create_from_options(options)
        self._warmed_up = False
        self._last_ms = -1
        self._last_centre: np.ndarray | None = None

    def process(self, rgb: np.ndarray, t_s: float) -> PoseFrame:
        """Pose of the followed person in one frame.

        Args:
            rgb: (H, W, 3) uint8 RGB image.
            t_s: presentation time in seconds; must increase from call to call.
        """
        import mediapipe as mp

        height, width = rgb.shape[:2]
        # MediaPipe reads the buffer directly: a view into another object's memory (as PyAV's
        # scaled frames are) gives silent garbage, so hand it an array that owns its data.
        if rgb.base is not None or not rgb.flags.c_contiguous:
            rgb = np.array(rgb, dtype=np.uint8, order="C", copy=True)
        t_ms = max(int(round(t_s * 1000)), self._last_ms + 1)  # VIDEO mode needs strictly increasing ms
        self._last_ms = t_ms
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
        if self._warmed_up:
            result = self._landmarker.detect_for_video(image, t_ms)
        else:  # the first call prints the native graph's start-up warnings
            with _quiet_native_stderr():
                result = self._landmarker.detect_for_video(image, t_ms)
            self._warmed_up = True
        if not result.pose_landmarks:
            return PoseFrame.empty(0)
        worlds = result.pose_world_landmarks or [None] * len(result.pose_landmarks)
        candidates = [_frame_from_landmarks(p, w, width, height, 0) for p, w in zip(result.pose_landmarks, worlds)]
        people = count_people(candidates)
        candidates = [replace(c, people=people) for c in candidates]
        if self._last_centre is None:
            chosen = max(candidates, key=_body_size)
        else:
            chosen = min(candidates, key=lambda f: float(np.linalg.norm(_body_centre(f) - self._last_centre)))
        self._last_centre = _body_centre(chosen)
        return chosen

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def __enter__(self) -> "PoseEstimator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):  # MediaPipe's own __del__ fails at interpreter exit; close early instead
        try:
            self.close()
        except Exception:
            pass
