"""Build the pose landmarker ``.task`` bundles offline, byte for byte reproducibly.

MediaPipe >= 0.10.30 ships no pose model. The Tasks ``PoseLandmarker`` needs a ``.task``
bundle: a zip of ``pose_detector.tflite`` and ``pose_landmarks_detector.tflite``, each with
image-normalisation metadata. This script adds that metadata and zips the two with a fixed
timestamp, and nothing else:

- **full**: detector and landmarks from the ``mediapipe==0.10.21`` wheel (Apache-2.0).
- **lite** / **heavy**: the same detector, with ``pose_landmark_lite.tflite`` /
  ``pose_landmark_heavy.tflite`` from the npm package ``@mediapipe/pose@0.5.1675469404``
  (Apache-2.0; its ``pose_landmark_full.tflite`` is byte-identical to the wheel's). The npm
  package's own detector (``pose_solution_packed_assets.data``) is the same network stored in
  another flatbuffer layout; the wheel's is used for all three so that they differ only in the
  landmark model.

Run it through ``models/build_pose_model.sh``, which makes a throwaway virtual environment
with ``mediapipe==0.10.21`` (its metadata writer imports there; 1.2.x's does not), fetches
and checks the npm package, and checks the result against ``models/SHA256SUMS``.

Usage: ``python build_pose_model.py full OUT.task`` or
``python build_pose_model.py lite|heavy OUT.task LANDMARKS.tflite``.
"""

from __future__ import annotations

import hashlib
import os
import sys
import zipfile
from pathlib import Path

import mediapipe
from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer
from mediapipe.tasks.python.metadata.metadata_writers.model_asset_bundle_utils import AlignZipFile

WHEEL_DIR = Path(mediapipe.__file__).parent
DETECTOR = WHEEL_DIR / "modules/pose_detection/pose_detection.tflite"
LANDMARKER = WHEEL_DIR / "modules/pose_landmark/pose_landmark_full.tflite"
NPM_PACKAGE = "@mediapipe/pose@0.5.1675469404"
# Written into the landmark model's metadata. Full's text is what its pinned SHA-256 was built with.
DESCRIPTIONS = {
    "full": "BlazePose GHUM 3D (Full), from the mediapipe 0.10.21 wheel",
    "lite": f"BlazePose GHUM 3D (Lite), landmarks from npm {NPM_PACKAGE}, detector from the mediapipe 0.10.21 wheel",
    "heavy": f"BlazePose GHUM 3D (Heavy), landmarks from npm {NPM_PACKAGE}, detector from the mediapipe 0.10.21 wheel",
}
# A fixed zip timestamp keeps the bundle's SHA-256 stable across builds.
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def with_image_metadata(model: bytes, name: str, mean: float, std: float, description: str) -> bytes:
    """Return ``model`` with RGB image-input NormalizationOptions (value - mean) / std."""
    writer = metadata_writer.MetadataWriter.create(bytearray(model))
    writer.add_general_info(name, description)
    writer.add_image_input(norm_mean=[mean], norm_std=[std])
    tflite, _ = writer.populate()
    return bytes(tflite)


def build(out: Path, variant: str = "full", landmarks: Path | None = None) -> str:
    if variant not in DESCRIPTIONS:
        raise SystemExit(f"unknown model {variant!r}: full, lite or heavy")
    if variant == "full":
        landmarks = landmarks or LANDMARKER
    elif landmarks is None:
        raise SystemExit(f"{variant} needs the npm package's pose_landmark_{variant}.tflite")
    description = DESCRIPTIONS[variant]
    parts = {
        # detector expects input in [-1, 1]; landmarker in [0, 1]
        "pose_detector.tflite": with_image_metadata(DETECTOR.read_bytes(), "pose_detector", 127.5, 127.5,
                                                    DESCRIPTIONS["full"]),
        "pose_landmarks_detector.tflite": with_image_metadata(
            Path(landmarks).read_bytes(), "pose_landmarks_detector", 0.0, 255.0, description
        ),
    }
    tmp = out.with_suffix(".tmp")
    with AlignZipFile(tmp, mode="w", alignment=4) as bundle:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_STORED
            bundle.writestr(info, data)
    os.replace(tmp, out)
    return hashlib.sha256(out.read_bytes()).hexdigest()


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] not in DESCRIPTIONS:  # the old form: build_pose_model.py [OUT] builds full
        args = ["full", *args]
    variant = args[0] if args else "full"
    target = Path(args[1]) if len(args) > 1 else Path(__file__).with_name(f"pose_landmarker_{variant}.task")
    digest = build(target, variant, Path(args[2]) if len(args) > 2 else None)
    print(f"{digest}  {target.name}")
