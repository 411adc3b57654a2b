#!/usr/bin/env bash
# Build the pose landmarker bundles reproducibly and check them against models/SHA256SUMS.
#
#   bash models/build_pose_model.sh              # full (committed): from the mediapipe 0.10.21 wheel
#   bash models/build_pose_model.sh lite heavy   # from the npm package @mediapipe/pose@0.5.1675469404
#
# Needs the package registries once (PyPI for mediapipe==0.10.21's metadata writer; the npm
# registry for lite/heavy, via `npm pack`), never at analysis time. The npm tarball and the
# files taken from it are checked against models/npm_pose.sha256 before use, and a bundle is
# moved into models/ only when its SHA-256 matches models/SHA256SUMS.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
NPM_SPEC="@mediapipe/pose@0.5.1675469404"
NPM_TGZ="mediapipe-pose-0.5.1675469404.tgz"
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(full)
for m in "${models[@]}"; do
  case "$m" in full|lite|heavy) ;; *) echo "unknown model '$m': full, lite or heavy" >&2; exit 2 ;; esac
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

needs_npm=0
for m in "${models[@]}"; do [ "$m" = full ] || needs_npm=1; done
if [ $needs_npm = 1 ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "error: Lite and Heavy are built from the npm package $NPM_SPEC, and npm is not installed" \
         "(Debian: apt-get install npm; bash setup.sh does it when run as root)." >&2
    exit 1
  fi
  mkdir -p "$work/npm"
  if ! (cd "$work/npm" && npm pack --loglevel=error "$NPM_SPEC" >/dev/null 2>"$work/npm.log"); then
    echo "error: could not fetch $NPM_SPEC from the npm registry (offline?):" >&2
    head -n 3 "$work/npm.log" >&2
    exit 1
  fi
  (cd "$work/npm" && grep " $NPM_TGZ\$" "$here/npm_pose.sha256" | sha256sum -c --quiet -) \
    || { echo "error: $NPM_TGZ does not match its pinned SHA-256 (models/npm_pose.sha256)" >&2; exit 1; }
  tar -xzf "$work/npm/$NPM_TGZ" -C "$work/npm" package/pose_landmark_lite.tflite \
      package/pose_landmark_full.tflite package/pose_landmark_heavy.tflite
  (cd "$work/npm" && grep " package/" "$here/npm_pose.sha256" | sha256sum -c --quiet -) \
    || { echo "error: the files in $NPM_TGZ do not match their pinned SHA-256" >&2; exit 1; }
fi

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "mediapipe==0.10.21"
for m in "${models[@]}"; do
  out="$work/pose_landmarker_$m.task"
  if [ "$m" = full ]; then
    "$work/venv/bin/python" "$here/build_pose_model.py" full "$out" >/dev/null
  else
    "$work/venv/bin/python" "$here/build_pose_model.py" "$m" "$out" "$work/npm/package/pose_landmark_$m.tflite" >/dev/null
  fi
  (cd "$work" && grep " pose_landmarker_$m.task\$" "$here/SHA256SUMS" | sha256sum -c --quiet -) \
    || { echo "error: the built pose_landmarker_$m.task does not match models/SHA256SUMS: not installed" >&2; exit 1; }
  mv "$out" "$here/pose_landmarker_$m.task"
  echo "pose_landmarker_$m.task: $(stat -c %s "$here/pose_landmarker_$m.task") bytes, SHA-256 matches models/SHA256SUMS"
done
