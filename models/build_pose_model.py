"""Build ``pose_landmarker_full.task`` offline from the ``mediapipe==0.10.21`` wheel.

MediaPipe >= 0.10.30 ships no pose model. The 0.10.21 wheel (Apache-2.0) still carries
BlazePose GHUM 3D *Full* as two bare TFLite files; the Tasks ``PoseLandmarker`` needs them
with image-normalisation metadata, zipped as a ``.task`` bundle. This script does exactly
that and nothing else, so the result is reproducible byte for byte.

Run it through ``models/build_pose_model.sh``, which makes a throwaway virtual environment
with ``mediapipe==0.10.21`` (its metadata writer imports there; 1.2.x's does not).
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
# A fixed zip timestamp keeps the bundle's SHA-256 stable across builds.
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def with_image_metadata(model: bytes, name: str, mean: float, std: float) -> bytes:
    """Return ``model`` with RGB image-input NormalizationOptions (value - mean) / std."""
    writer = metadata_writer.MetadataWriter.create(bytearray(model))
    writer.add_general_info(name, "BlazePose GHUM 3D (Full), from the mediapipe 0.10.21 wheel")
    writer.add_image_input(norm_mean=[mean], norm_std=[std])
    tflite, _ = writer.populate()
    return bytes(tflite)


def build(out: Path) -> str:
    parts = {
        # detector expects input in [-1, 1]; landmarker in [0, 1]
        "pose_detector.tflite": with_image_metadata(DETECTOR.read_bytes(), "pose_detector", 127.5, 127.5),
        "pose_landmarks_detector.tflite": with_image_metadata(
            LANDMARKER.read_bytes(), "pose_landmarks_detector", 0.0, 255.0
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
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("pose_landmarker_full.task")
    digest = build(target)
    print(f"{digest}  {target.name}")
