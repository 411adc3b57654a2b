"""Optional: add MediaPipe's official Lite/Heavy pose bundles for users with internet.

Offline use never needs this: the Full model is built from PyPI and committed. A fetched file
is checked before it replaces anything: its SHA-256 against ``--sha256`` (or the pinned
digest, when one is known), and that it is a real pose bundle MediaPipe can load.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from vision.errors import SquatCheckError
from vision.pose import MODEL_FILES, MODELS_DIR

URLS = {
    name: f"https://storage.googleapis.com/mediapipe-models/pose_landmarker/pose_landmarker_{name}/float16/1/pose_landmarker_{name}.task"
    for name in ("lite", "heavy")
}
# Digests of the published version-1 bundles. They could not be read on the offline machine
# this was written on; until filled in, pass --sha256 or rely on the bundle check.
PINNED_SHA256: dict[str, str | None] = {"lite": None, "heavy": None}
BUNDLE_MEMBERS = {"pose_detector.tflite", "pose_landmarks_detector.tflite"}


class FetchError(SquatCheckError):
    pass


def fetch_model(name: str, *, sha256: str | None = None, timeout: float = 30.0) -> Path:
    if name not in URLS:
        raise FetchError(f"Unknown model '{name}'. Choose lite or heavy (full is bundled).")
    target = MODELS_DIR / MODEL_FILES[name]
    expected = (sha256 or PINNED_SHA256[name] or "").lower() or None
    fd, tmp = tempfile.mkstemp(dir=MODELS_DIR, suffix=".tmp")
    os.close(fd)
    try:
        try:
            with urllib.request.urlopen(URLS[name], timeout=timeout) as resp, open(tmp, "wb") as out:
                while chunk := resp.read(1 << 20):
                    out.write(chunk)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            raise FetchError(f"Could not download the {name} model (no internet?): {exc}. "
                             "The bundled full model works offline: use --model full.") from exc
        digest = hashlib.sha256(Path(tmp).read_bytes()).hexdigest()
        if expected and digest != expected:
            raise FetchError(f"The downloaded {name} model has SHA-256 {digest}, expected {expected}: not installed.")
        check_bundle(Path(tmp))
        os.replace(tmp, target)
        return target
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def check_bundle(path: Path) -> None:
    """Raise FetchError unless ``path`` is a pose .task bundle (a zip of the two TFLite models)."""
    try:
        with zipfile.ZipFile(path) as bundle:
            members = set(bundle.namelist())
    except zipfile.BadZipFile as exc:
        raise FetchError(f"{path.name} is not a MediaPipe .task bundle.") from exc
    if not BUNDLE_MEMBERS <= members:
        raise FetchError(f"{path.name} lacks {sorted(BUNDLE_MEMBERS - members)}: not a pose landmarker bundle.")
