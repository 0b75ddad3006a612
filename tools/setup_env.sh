#!/usr/bin/env bash
# One-command, idempotent set-up of the pinned OpenMMLab stack for mixedae-mm.
#
#   bash tools/setup_env.sh          # creates ./.venv (seconds when already done)
#
# What it does, once per machine / checkout:
#   1. creates the virtual environment ./.venv (Python 3.11);
#   2. installs torch / torchvision / numpy / mmengine as pinned in
#      requirements/constraints.txt;
#   3. installs mmcv 2.1.0 *with its CPU ops*.  mmcv publishes no wheel for
#      torch 2.14, and its setup.py forces -std=c++17 while torch 2.14's headers
#      need C++20, so we build the sdist with the flag raised.  The built wheel
#      is cached outside the checkout (keyed by mmcv, torch, python and
#      architecture) in ${MIXEDAE_CACHE:-~/.cache/mixedae-mm}/wheels, so only a
#      fresh machine pays the ~13 minute compile;
#   4. installs mmpretrain, mmsegmentation, mmdet, the runtime / test
#      requirements and this package in editable mode;
#   5. writes .venv/.mixedae-stamp; a later run with the same pins and the same
#      checkout only checks the imports and returns.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3.11}"
VENV="${MIXEDAE_VENV:-$ROOT/.venv}"
CACHE="${MIXEDAE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mixedae-mm}"
CONSTRAINTS="$ROOT/requirements/constraints.txt"
MMCV_VERSION=2.1.0
TORCH_VERSION=$(sed -n 's/^torch==//p' "$CONSTRAINTS")

log() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

command -v "$PYTHON" >/dev/null || die "$PYTHON not found; set PYTHON=/path/to/python3.11"

stamp_content() {
  # The stamp changes when a pin, a requirement file, this script, or the
  # checkout location (editable install) changes.
  cat "$CONSTRAINTS" "$ROOT"/requirements/runtime.txt "$ROOT"/requirements/tests.txt \
      "$ROOT/setup.py" "$ROOT/tools/setup_env.sh" | sha256sum | cut -d' ' -f1
  echo "$ROOT"
}

verify() {
  "$VENV/bin/python" - <<'PY'
import importlib.metadata as md, pathlib, sys
pins = {}
for line in pathlib.Path('requirements/constraints.txt').read_text().splitlines():
    line = line.split('#')[0].strip()
    if '==' in line:
        name, ver = line.split('==')
        pins[name] = ver
bad = {n: md.version(n) for n, v in pins.items() if md.version(n) != v}
if bad:
    sys.exit(f'installed versions differ from the pins: {bad}')
from mmcv.ops import nms  # noqa: F401  (fails when the ops were not compiled)
import mixedae_mm, mmpretrain.models, mmseg.models, mmdet.models  # noqa
PY
}

STAMP="$VENV/.mixedae-stamp"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(stamp_content)" ]] && verify 2>/dev/null; then
  log "environment up to date: $VENV"
  exit 0
fi

START=$SECONDS
if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating virtual environment $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
export PIP_CONSTRAINT="$CONSTRAINTS"
pip_() {
  # this machine's pip config lists local indexes; hide their "is ignored" noise
  # (with pipefail the pipeline's status is pip's)
  "${PIP[@]}" "$@" 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
}

log "installing torch, torchvision, numpy, mmengine (pinned)"
pip_ install -q torch torchvision numpy 'setuptools' wheel mmengine

TAG="mmcv-${MMCV_VERSION}-torch${TORCH_VERSION}-$("$VENV/bin/python" -c 'import sys;print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')-$(uname -m)"
WHEEL_DIR="$CACHE/wheels/$TAG"
if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
  log "building mmcv $MMCV_VERSION with CPU ops against torch $TORCH_VERSION (~13 min on 2 cores; cached in $WHEEL_DIR)"
  BUILD=$(mktemp -d)
  trap 'rm -rf "$BUILD"' EXIT
  pip_ download -q --no-deps --no-binary :all: --no-build-isolation -d "$BUILD" "mmcv==$MMCV_VERSION"
  tar -xzf "$BUILD"/mmcv-"$MMCV_VERSION".tar.gz -C "$BUILD"
  SRC="$BUILD/mmcv-$MMCV_VERSION"
  n17=$(grep -c -- '-std=c++17' "$SRC/setup.py" || true)
  [[ "$n17" -ge 1 ]] || die "mmcv $MMCV_VERSION sdist changed: no '-std=c++17' in setup.py to raise; update tools/setup_env.sh"
  sed -i 's/-std=c++17/-std=c++20/g' "$SRC/setup.py"
  grep -q -- '-std=c++17' "$SRC/setup.py" && die "failed to raise the C++ standard in mmcv's setup.py"
  [[ "$(grep -c -- '-std=c++20' "$SRC/setup.py")" -eq "$n17" ]] || die "C++ flag edit in mmcv's setup.py is incomplete"
  log "raised $n17 '-std=c++17' flag(s) to c++20 in mmcv's setup.py"
  MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-2}" \
    pip_ wheel -q --no-cache-dir --no-build-isolation --no-deps -w "$BUILD/dist" "$SRC"
  mkdir -p "$WHEEL_DIR"
  cp "$BUILD"/dist/mmcv-*.whl "$WHEEL_DIR/"
  log "mmcv wheel cached: $(ls "$WHEEL_DIR"/mmcv-*.whl)"
else
  log "using cached mmcv wheel $(ls "$WHEEL_DIR"/mmcv-*.whl)"
fi

log "installing mmcv, mmpretrain, mmsegmentation, mmdet, requirements and mixedae-mm (editable)"
pip_ install -q --no-cache-dir "$WHEEL_DIR"/mmcv-*.whl
pip_ install -q mmpretrain mmsegmentation mmdet \
  -r requirements/runtime.txt -r requirements/tests.txt
pip_ install -q --no-deps --no-build-isolation -e "$ROOT"

verify || die "the environment was installed but does not import; see the error above"
stamp_content > "$STAMP"
log "done in $((SECONDS - START)) s: $VENV"
