#!/usr/bin/env bash
# One-command setup: a virtual environment in .venv with everything from requirements.txt,
# plus Debian's Chromium for the browser tests when apt is available (root). No model download:
# the pose model ships in models/.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.txt
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null) \
      || echo "note: could not install chromium; the browser tests will be skipped locally"
  else
    echo "note: install Debian's 'chromium' package to run the browser tests"
  fi
fi
(cd models && sha256sum -c --quiet SHA256SUMS) || { echo "models/pose_landmarker_full.task is damaged: bash models/build_pose_model.sh"; exit 1; }
echo "Ready. Run the app:  .venv/bin/streamlit run app.py"
