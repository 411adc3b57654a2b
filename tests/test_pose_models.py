"""The three pose bundles: resolution (present / missing / not the pinned build), the SHA-256 pins,
and one real load and inference of each built bundle.

Full ships in models/; Lite and Heavy are built by setup.sh (models/build_pose_model.sh lite heavy)
from the pinned npm package. When one could not be built here the test that needs it skips with
the reason, and fails under CI (like the repo's other CI-required resources).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

import vision.pose as pose
from conftest import REPO, missing
from vision.errors import ModelNotFoundError

MODELS = REPO / "models"
NAMES = ("lite", "full", "heavy")


def _fake_models_dir(tmp_path, present: dict[str, bytes], pinned: dict[str, bytes] | None = None):
    """A models/ folder holding ``present`` bundles and a SHA256SUMS pinning ``pinned`` (default: the same)."""
    pinned = present if pinned is None else pinned
    for name, data in present.items():
        (tmp_path / pose.MODEL_FILES[name]).write_bytes(data)
    (tmp_path / "SHA256SUMS").write_text("".join(
        f"{hashlib.sha256(data).hexdigest()}  {pose.MODEL_FILES[name]}\n" for name, data in pinned.items()))
    return tmp_path


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    def make(present, pinned=None):
        folder = _fake_models_dir(tmp_path, present, pinned)
        monkeypatch.setattr(pose, "MODELS_DIR", folder)
        return folder
    return make


@pytest.mark.parametrize("name", NAMES)
def test_present_model_resolves_to_its_file(models_dir, name):
    folder = models_dir({name: f"{name} bundle".encode()})
    assert pose.resolve_model(name) == folder / f"pose_landmarker_{name}.task"


@pytest.mark.parametrize("name", ["lite", "heavy"])
def test_missing_lite_or_heavy_names_the_one_command_that_builds_it(models_dir, name):
    models_dir({"full": b"full bundle"})
    with pytest.raises(ModelNotFoundError) as err:
        pose.resolve_model(name)
    msg = str(err.value)
    assert f"bash models/build_pose_model.sh {name}" in msg
    assert f"models/pose_landmarker_{name}.task" in msg and "--model full" in msg
    assert "\n" not in msg


def test_missing_full_says_how_to_rebuild_it(models_dir):
    models_dir({})
    with pytest.raises(ModelNotFoundError, match=r"bash models/build_pose_model\.sh full"):
        pose.resolve_model("full")


@pytest.mark.parametrize("name", NAMES)
def test_a_bundle_that_is_not_the_pinned_build_is_refused(models_dir, name):
    models_dir({name: b"damaged or rebuilt differently"}, pinned={name: b"the pinned build"})
    with pytest.raises(ModelNotFoundError) as err:
        pose.resolve_model(name)
    assert "SHA-256" in str(err.value) and f"bash models/build_pose_model.sh {name}" in str(err.value)


def test_a_model_given_by_path_is_not_pinned(tmp_path):
    own = tmp_path / "mine.task"
    own.write_bytes(b"any bundle")
    assert pose.resolve_model(str(own)) == own
    with pytest.raises(ModelNotFoundError, match="nope.task"):
        pose.resolve_model(str(tmp_path / "nope.task"))


def test_file_sha256_follows_the_file(tmp_path):
    f = tmp_path / "m.task"
    f.write_bytes(b"one")
    assert pose.file_sha256(f) == hashlib.sha256(b"one").hexdigest()
    f.write_bytes(b"two, longer")   # size (and mtime) change: hashed again, not the remembered digest
    assert pose.file_sha256(f) == hashlib.sha256(b"two, longer").hexdigest()


def test_all_three_bundles_and_their_npm_sources_are_pinned():
    pinned = pose.pinned_sha256(MODELS)
    assert set(pinned) == {pose.MODEL_FILES[n] for n in NAMES}
    assert all(len(d) == 64 and int(d, 16) >= 0 for d in pinned.values())
    sources = (MODELS / "npm_pose.sha256").read_text()
    for needed in ("mediapipe-pose-0.5.1675469404.tgz", "package/pose_landmark_lite.tflite",
                   "package/pose_landmark_heavy.tflite"):
        assert needed in sources


def _built(name: str):
    path = MODELS / pose.MODEL_FILES[name]
    if not path.is_file():
        missing(f"{path.name} is not built on this machine (bash models/build_pose_model.sh {name}: "
                "needs the npm registry once)")
    return path


@pytest.mark.parametrize("name", NAMES)
def test_built_bundle_matches_the_committed_sum(name):
    path = _built(name)
    assert pose.file_sha256(path) == pose.pinned_sha256(MODELS)[path.name]


def drawn_person(h: int = 640, w: int = 480) -> np.ndarray:
    """A flat drawing of a person standing facing the camera (RGB): enough for BlazePose to find one."""
    img = np.full((h, w, 3), 200, np.uint8)
    skin, shirt, pants = (140, 172, 224), (200, 90, 40), (60, 40, 40)
    cx = w // 2
    cv2.ellipse(img, (cx, 95), (32, 40), 0, 0, 360, skin, -1)
    cv2.rectangle(img, (cx - 18, 130), (cx + 18, 150), skin, -1)
    cv2.ellipse(img, (cx, 230), (70, 95), 0, 0, 360, shirt, -1)
    for s in (-1, 1):
        cv2.line(img, (cx + s * 60, 160), (cx + s * 85, 260), shirt, 26)
        cv2.line(img, (cx + s * 85, 260), (cx + s * 90, 350), skin, 20)
        cv2.circle(img, (cx + s * 90, 360), 14, skin, -1)
        cv2.line(img, (cx + s * 35, 310), (cx + s * 45, 450), pants, 40)
        cv2.line(img, (cx + s * 45, 450), (cx + s * 50, 580), pants, 32)
        cv2.ellipse(img, (cx + s * 60, 595), (28, 12), 0, 0, 360, (20, 20, 20), -1)
    return img


@pytest.mark.parametrize("name", NAMES)
def test_each_built_bundle_loads_and_finds_the_drawn_person(name):
    _built(name)
    with pose.PoseEstimator(name) as estimator:
        frame = estimator.process(drawn_person(), 0.0)
    assert frame.people == 1, f"{name}: no person found in the drawing"
    y = frame.xy[:, 1]
    nose, hips, knees, ankles = y[0], y[[23, 24]].mean(), y[[25, 26]].mean(), y[[27, 28]].mean()
    assert nose < hips < knees < ankles, (name, nose, hips, knees, ankles)
    assert 60 < nose < 160 and ankles > 480, (name, nose, ankles)   # head drawn at y 55-135, feet at 595


def test_cli_names_the_build_command_for_a_missing_bundle(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(MODELS / "pose_landmarker_full.task", folder)
    shutil.copy(MODELS / "SHA256SUMS", folder)
    clip = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 30, (64, 64))
    for _ in range(30):
        writer.write(np.zeros((64, 64, 3), np.uint8))
    writer.release()
    for name in ("lite", "heavy"):
        proc = subprocess.run([sys.executable, "-m", "vision", "analyze", str(clip), "--model", name, "--quiet"],
                              cwd=REPO, capture_output=True, text=True, timeout=300,
                              env=os.environ | {"SQUATCHECK_MODELS_DIR": str(folder)})
        assert proc.returncode == 2, proc.stderr
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert f"bash models/build_pose_model.sh {name}" in lines[0]


def _sidebar_app():
    from ui import settings

    chosen = settings.render_sidebar()
    import streamlit as st

    st.write(f"model used: {chosen.model}")


def test_app_offers_all_three_and_says_how_to_build_a_missing_one(models_dir):
    from streamlit.testing.v1 import AppTest

    models_dir({"full": b"full bundle", "lite": b"lite bundle"})   # heavy not built here
    at = AppTest.from_function(_sidebar_app, default_timeout=60).run()
    box = at.sidebar.selectbox(key="settings_model")
    assert box.options == ["lite (faster, coarser)", "full (default)", "heavy (slower, most accurate, not built here)"]
    assert "BENCHMARKS.md" in box.help and "PCK@0.2" in box.help
    assert not at.sidebar.warning
    at = box.set_value("heavy").run()
    assert not at.exception
    warning = " ".join(w.value for w in at.sidebar.warning)
    assert "bash models/build_pose_model.sh heavy" in warning
    assert "model used: full" in " ".join(m.value for m in at.markdown)
    at = at.sidebar.selectbox(key="settings_model").set_value("lite").run()
    assert not at.sidebar.warning and "model used: lite" in " ".join(m.value for m in at.markdown)
