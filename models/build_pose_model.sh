#!/usr/bin/env bash
# Rebuild models/pose_landmarker_full.task from the mediapipe 0.10.21 wheel, offline
# (only the package registry is needed), and check it against the committed SHA-256.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "mediapipe==0.10.21"
"$work/venv/bin/python" "$here/build_pose_model.py" "$here/pose_landmarker_full.task"
cd "$here" && sha256sum -c SHA256SUMS --ignore-missing
