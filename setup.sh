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
# Debian packages for the tests: Chromium for the browser tests, PostgreSQL for the store's
# tests against a real server (the tests start a throwaway cluster of their own).
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium chromium-driver)
command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null) \
      || echo "note: could not install ${need[*]}; the tests that need them will be skipped locally"
  else
    echo "note: install Debian's ${need[*]} to run the browser and PostgreSQL tests"
  fi
fi
(cd models && sha256sum -c --quiet SHA256SUMS) || { echo "models/pose_landmarker_full.task is damaged: bash models/build_pose_model.sh"; exit 1; }
echo "Ready. Run the app:  .venv/bin/streamlit run app.py"
