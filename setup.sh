#!/usr/bin/env bash
# One-command setup: a virtual environment in .venv with everything from requirements.txt,
# plus Debian's Chromium for the browser tests when apt is available (root). The Full pose model
# ships in models/; Lite and Heavy are built here from the pinned npm package @mediapipe/pose
# (models/build_pose_model.sh lite heavy, checked by SHA-256). Without the npm registry, setup
# still finishes with Full and says how to add them. Nothing is downloaded at analysis time.
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
command -v npm >/dev/null 2>&1 || need+=(npm)   # the npm client, to build the Lite and Heavy pose models
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null) \
      || echo "note: could not install ${need[*]}; the tests that need them will be skipped locally"
  else
    echo "note: install Debian's ${need[*]} (chromium and postgresql for the browser and store tests, npm to build" \
         "the Lite and Heavy pose models)"
  fi
fi
(cd models && grep ' pose_landmarker_full.task$' SHA256SUMS | sha256sum -c --quiet - 2>/dev/null) \
  || { echo "models/pose_landmarker_full.task is missing or damaged: bash models/build_pose_model.sh"; exit 1; }
# Lite and Heavy: built once from the npm registry, kept when their SHA-256 still matches.
build=()
for m in lite heavy; do
  (cd models && grep " pose_landmarker_$m.task\$" SHA256SUMS | sha256sum -c --quiet - >/dev/null 2>&1) || build+=("$m")
done
if [ ${#build[@]} -gt 0 ]; then
  echo "Building the ${build[*]} pose model(s) from the npm package @mediapipe/pose (pinned by SHA-256)..."
  bash models/build_pose_model.sh "${build[@]}" \
    || echo "note: the ${build[*]} pose model(s) could not be built (see above); Full works. Add them later, when" \
            "the npm registry can be reached, with:  bash models/build_pose_model.sh ${build[*]}"
fi
echo "Ready. Run the app:  .venv/bin/streamlit run app.py"
