#!/usr/bin/env bash
# One-command, idempotent set-up of the pinned OpenMMLab stack for mixedae-mm.
#
#   bash tools/setup_env.sh               # creates ./.venv (seconds when done)
#   bash tools/setup_env.sh --print-plan  # says what it would do, does nothing
#
# What it does, once per machine / checkout:
#   1. installs Debian's Fashion-MNIST (the proxy's data) when it is missing,
#      the script runs as root and apt-get exists (else it warns);
#   2. creates the virtual environment ./.venv (Python 3.11);
#   3. installs torch / torchvision / numpy / mmengine as pinned in
#      requirements/constraints.txt;
#   4. installs mmcv 2.1.0 built from its sdist with its ops.  mmcv publishes
#      no wheel for torch 2.14, and its setup.py forces -std=c++17 while
#      torch 2.14's headers need C++20, so the flag is raised.  The ops are
#      CUDA ops (FORCE_CUDA=1) on a host whose torch is a CUDA build and that
#      sees a GPU (needs nvcc of the same CUDA major version), CPU ops
#      otherwise; MIXEDAE_MMCV_FLAVOUR=cpu|cuda overrides the choice.  The
#      built wheel is cached outside the checkout in
#      ${MIXEDAE_CACHE:-~/.cache/mixedae-mm}/wheels/<key>, the key naming
#      mmcv, torch, the flavour (cpu, or cuXYZ with the GPU architectures),
#      python and machine: a CPU wheel is never taken where CUDA ops are
#      needed.  It compiles with MAX_JOBS jobs: yours if set, else one a core
#      as far as the available memory allows (2 GiB a job, 4 with CUDA);
#   5. installs mmpretrain, mmsegmentation, mmdet, the runtime / test
#      requirements and this package in editable mode;
#   6. writes .venv/.mixedae-stamp; a later run with the same pins, the same
#      plan and the same checkout only checks the imports and returns.
#
# --print-plan reads the host (torch in the venv if there is one, nvcc, the
# cores and memory) and prints the plan as "key: value" lines.  For tests,
# MIXEDAE_TORCH_CUDA (a CUDA version or "none") and MIXEDAE_GPU_ARCHS (e.g.
# "9.0", or "" for no GPU) stand in for what torch would report, and
# MIXEDAE_MEMINFO / MIXEDAE_FASHION_MNIST for /proc/meminfo and the data file.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3.11}"
VENV="${MIXEDAE_VENV:-$ROOT/.venv}"
CACHE="${MIXEDAE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mixedae-mm}"
CONSTRAINTS="$ROOT/requirements/constraints.txt"
MMCV_VERSION=2.1.0
TORCH_VERSION=$(sed -n 's/^torch==//p' "$CONSTRAINTS")
FASHION_MNIST="${MIXEDAE_FASHION_MNIST:-/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz}"
STAMP="$VENV/.mixedae-stamp"

log() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
warn() { printf '[setup] WARNING: %s\n' "$*" >&2; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

PRINT_PLAN=0
case "${1:-}" in
  '') ;;
  --print-plan) PRINT_PLAN=1 ;;
  -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
  *) die "unknown argument '$1': run it without arguments, or with --print-plan" ;;
esac

# ---------------------------------------------------------------- the plan --
# torch's CUDA version ("none" for a CPU build) and the GPU architectures it
# sees; "unknown" before torch is installed
torch_facts() {
  TORCH_CUDA="${MIXEDAE_TORCH_CUDA:-}"
  GPU_ARCHS="${MIXEDAE_GPU_ARCHS-unset}"
  if [[ -z "$TORCH_CUDA" || "$GPU_ARCHS" == unset ]]; then
    local facts
    if [[ -x "$VENV/bin/python" ]] && facts=$("$VENV/bin/python" - 2>/dev/null <<'PY'
import torch
archs = sorted({'%d.%d' % torch.cuda.get_device_capability(i)
                for i in range(torch.cuda.device_count())})
print(torch.version.cuda or 'none', ';'.join(archs))
PY
    ); then
      [[ -n "$TORCH_CUDA" ]] || TORCH_CUDA="${facts%% *}"
      [[ "$GPU_ARCHS" != unset ]] || GPU_ARCHS="${facts#* }"
    else
      [[ -n "$TORCH_CUDA" ]] || TORCH_CUDA=unknown
      [[ "$GPU_ARCHS" != unset ]] || GPU_ARCHS=""
    fi
  fi
}

# nvcc as torch's extension builder finds it ($CUDA_HOME/bin/nvcc, else on
# PATH), its version and its toolkit folder (NVCC_HOME, for CUDA_HOME)
find_nvcc() {
  NVCC="" NVCC_VERSION="" NVCC_HOME=""
  if [[ -n "${CUDA_HOME:-}" ]]; then
    if [[ -x "$CUDA_HOME/bin/nvcc" ]]; then NVCC="$CUDA_HOME/bin/nvcc"; fi
  else
    NVCC=$(command -v nvcc || true)
  fi
  [[ -n "$NVCC" ]] || return 0
  NVCC_VERSION=$("$NVCC" --version 2>/dev/null | sed -n 's/.*release \([0-9][0-9.]*\),.*/\1/p' | head -n1)
  if [[ -n "${CUDA_HOME:-}" ]]; then
    NVCC_HOME="$CUDA_HOME"
    return 0
  fi
  # nvcc may be a wrapper script: ask it where its toolkit is
  local top
  top=$("$NVCC" --dryrun -c -x cu /dev/null -o /dev/null 2>&1 | sed -n 's/^#\$ TOP=//p' | head -n1 || true)
  if [[ -n "$top" && -d "$top" ]]; then
    NVCC_HOME=$(cd "$top" && pwd -P)
  else
    NVCC_HOME=$(dirname "$(dirname "$(readlink -f "$NVCC")")")
  fi
}

# sets FLAVOUR (cpu | cuXYZ | unknown), ARCH_LIST, PROBLEM and NOTE
decide_flavour() {
  local want="${MIXEDAE_MMCV_FLAVOUR:-auto}"
  FLAVOUR="" ARCH_LIST="" PROBLEM="" NOTE=""
  case "$want" in auto|cpu|cuda) ;; *)
    PROBLEM="MIXEDAE_MMCV_FLAVOUR=$want: use auto, cpu or cuda"; return ;;
  esac
  find_nvcc
  if [[ "$TORCH_CUDA" == unknown ]]; then
    FLAVOUR=unknown
    NOTE="torch is not installed yet: the flavour is decided once torch $TORCH_VERSION is"
    return
  fi
  if [[ "$want" == cpu ]]; then
    FLAVOUR=cpu
    [[ "$TORCH_CUDA" == none ]] || NOTE="MIXEDAE_MMCV_FLAVOUR=cpu: mmcv's ops will not run on GPU tensors"
    return
  fi
  if [[ "$TORCH_CUDA" == none ]]; then
    [[ "$want" == cuda ]] && { PROBLEM="MIXEDAE_MMCV_FLAVOUR=cuda but torch is a CPU-only build: install a CUDA build of torch $TORCH_VERSION first"; return; }
    FLAVOUR=cpu
    return
  fi
  if [[ "$want" == auto && -z "$GPU_ARCHS" ]]; then
    FLAVOUR=cpu
    NOTE="torch is built for CUDA $TORCH_CUDA but sees no GPU: mmcv gets CPU ops (on a GPU host, or with MIXEDAE_MMCV_FLAVOUR=cuda and TORCH_CUDA_ARCH_LIST, it gets CUDA ops)"
    return
  fi
  # CUDA ops: they need nvcc of torch's CUDA major version
  if [[ -z "$NVCC" ]]; then
    PROBLEM="torch is built for CUDA $TORCH_CUDA${GPU_ARCHS:+ and sees a GPU (compute capability $GPU_ARCHS)}, so mmcv needs its CUDA ops, but nvcc was not found (${CUDA_HOME:+CUDA_HOME=$CUDA_HOME has no bin/nvcc; }looked on PATH). Install the CUDA $TORCH_CUDA toolkit and put its bin/ on PATH or set CUDA_HOME, or set MIXEDAE_MMCV_FLAVOUR=cpu to build CPU ops only"
    return
  fi
  if [[ "${NVCC_VERSION%%.*}" != "${TORCH_CUDA%%.*}" ]]; then
    PROBLEM="nvcc $NVCC ($NVCC_VERSION) does not match torch's CUDA $TORCH_CUDA: use a CUDA ${TORCH_CUDA%%.*}.x toolkit (CUDA_HOME or PATH)"
    return
  fi
  ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-$GPU_ARCHS}"
  if [[ -z "$ARCH_LIST" ]]; then
    PROBLEM="CUDA ops without a visible GPU need the target architectures: set TORCH_CUDA_ARCH_LIST (e.g. '8.0;9.0')"
    return
  fi
  FLAVOUR="cu${TORCH_CUDA//./}"
}

# sets JOBS and JOBS_WHY
decide_jobs() {
  if [[ -n "${MAX_JOBS:-}" ]]; then
    [[ "$MAX_JOBS" =~ ^[1-9][0-9]*$ ]] || { PROBLEM="MAX_JOBS=$MAX_JOBS is not a positive number"; return; }
    JOBS="$MAX_JOBS" JOBS_WHY="MAX_JOBS from the environment"
    return
  fi
  local cores mem_kb per_job_gib=2 by_memory
  cores=$(nproc)
  [[ "$FLAVOUR" == cu* ]] && per_job_gib=4
  mem_kb=$(awk '/^MemAvailable:/ {print $2}' "${MIXEDAE_MEMINFO:-/proc/meminfo}" 2>/dev/null || true)
  if [[ -n "$mem_kb" ]]; then
    by_memory=$(( mem_kb / (per_job_gib * 1024 * 1024) ))
    (( by_memory >= 1 )) || by_memory=1
    JOBS=$(( cores < by_memory ? cores : by_memory ))
    JOBS_WHY="$cores cores, $(( mem_kb / 1024 / 1024 )) GiB available, $per_job_gib GiB a job"
  else
    JOBS=$cores JOBS_WHY="$cores cores, memory unknown"
  fi
}

# sets FASHION_MNIST_ACTION: present | install | skip: <why>
decide_fashion_mnist() {
  if [[ -f "$FASHION_MNIST" ]]; then
    FASHION_MNIST_ACTION=present
  elif [[ "$(id -u)" != 0 ]]; then
    FASHION_MNIST_ACTION="skip: not root (as root: apt-get install dataset-fashion-mnist)"
  elif ! command -v apt-get >/dev/null; then
    FASHION_MNIST_ACTION="skip: no apt-get (Debian's dataset-fashion-mnist provides it)"
  else
    FASHION_MNIST_ACTION=install
  fi
}

python_tag() {
  local py="$PYTHON"
  [[ -x "$VENV/bin/python" ]] && py="$VENV/bin/python"
  "$py" -c 'import sys;print(f"cp{sys.version_info[0]}{sys.version_info[1]}")' 2>/dev/null || echo "cp-unknown"
}

make_plan() {
  torch_facts
  decide_flavour
  decide_jobs
  local arch_tag=""
  [[ -n "$ARCH_LIST" ]] && arch_tag="-sm$(printf '%s' "$ARCH_LIST" | tr -d '.' | tr ' ;,' '___' | sed 's/+PTX/ptx/g')"
  KEY="mmcv-${MMCV_VERSION}-torch${TORCH_VERSION}-${FLAVOUR}${arch_tag}-$(python_tag)-$(uname -m)"
  WHEEL_DIR="$CACHE/wheels/$KEY"
}

stamp_content() {
  # The stamp changes when a pin, a requirement file, this script, the
  # mmcv build (its cache key) or the checkout location (editable) changes.
  cat "$CONSTRAINTS" "$ROOT"/requirements/runtime.txt "$ROOT"/requirements/tests.txt \
      "$ROOT/setup.py" "$ROOT/tools/setup_env.sh" | sha256sum | cut -d' ' -f1
  echo "$ROOT"
  echo "$KEY"
}

print_plan() {
  decide_fashion_mnist
  local stamp=missing
  if [[ -f "$STAMP" ]]; then
    if [[ "$(cat "$STAMP")" == "$(stamp_content)" ]]; then stamp="up to date"; else stamp=stale; fi
  fi
  echo "venv: $VENV ($([[ -x "$VENV/bin/python" ]] && echo exists || echo 'to create'))"
  echo "stamp: $stamp"
  echo "torch: $TORCH_VERSION, CUDA $TORCH_CUDA"
  echo "gpus: ${GPU_ARCHS:-none}"
  echo "nvcc: ${NVCC:-not found}${NVCC_VERSION:+ (CUDA $NVCC_VERSION in $NVCC_HOME)}"
  echo "mmcv_flavour: ${FLAVOUR:-none}"
  if [[ -n "$PROBLEM" ]]; then
    echo "mmcv_build: -"
  elif [[ "$FLAVOUR" == unknown ]]; then
    echo "mmcv_build: decided after installing torch"
  elif [[ "$FLAVOUR" == cu* ]]; then
    echo "mmcv_build: MMCV_WITH_OPS=1 FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST=$ARCH_LIST CUDA_HOME=$NVCC_HOME MAX_JOBS=${JOBS:-?}"
  else
    echo "mmcv_build: MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=${JOBS:-?}"
  fi
  echo "max_jobs: ${JOBS:-?} (${JOBS_WHY:-})"
  if [[ "$FLAVOUR" == unknown || -n "$PROBLEM" ]]; then
    echo "mmcv_wheel: -"
  elif ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
    echo "mmcv_wheel: cached in $WHEEL_DIR"
  else
    echo "mmcv_wheel: to build into $WHEEL_DIR"
  fi
  echo "fashion_mnist: $FASHION_MNIST_ACTION"
  [[ -z "$NOTE" ]] || echo "note: $NOTE"
  if [[ -n "$PROBLEM" ]]; then
    echo "problem: $PROBLEM"
    return 2
  fi
}

if [[ "$PRINT_PLAN" == 1 ]]; then
  make_plan
  print_plan
  exit $?
fi

# ------------------------------------------------------------ the set-up --
decide_fashion_mnist
case "$FASHION_MNIST_ACTION" in
  present) ;;
  install)
    log "installing Debian's Fashion-MNIST (apt-get install dataset-fashion-mnist)"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist; } >/dev/null; then
      warn "could not install dataset-fashion-mnist; the Fashion-MNIST proxy will stop and say so"
    elif [[ ! -f "$FASHION_MNIST" ]]; then
      warn "dataset-fashion-mnist is installed but $FASHION_MNIST is missing"
    fi ;;
  *) warn "Fashion-MNIST ($FASHION_MNIST) is missing and not installed: ${FASHION_MNIST_ACTION#skip: }" ;;
esac

command -v "$PYTHON" >/dev/null || die "$PYTHON not found; set PYTHON=/path/to/python3.11"

verify() {
  "$VENV/bin/python" - "$FLAVOUR" <<'PY'
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
from mmcv.ops import get_compiling_cuda_version
cuda_ops = get_compiling_cuda_version() != 'not available'
if cuda_ops != sys.argv[1].startswith('cu'):
    sys.exit(f'mmcv was built with{"" if cuda_ops else "out"} CUDA ops, but '
             f'the plan is {sys.argv[1]}')
import mixedae_mm, mmpretrain.models, mmseg.models, mmdet.models  # noqa
PY
}

if [[ -x "$VENV/bin/python" ]]; then
  make_plan
  if [[ -z "$PROBLEM" && -f "$STAMP" && "$(cat "$STAMP")" == "$(stamp_content)" ]] && verify 2>/dev/null; then
    log "environment up to date: $VENV"
    exit 0
  fi
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

make_plan
[[ -z "$PROBLEM" ]] || die "$PROBLEM"
[[ -z "$NOTE" ]] || log "note: $NOTE"
if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
  if [[ "$FLAVOUR" == cu* ]]; then
    OPS="CUDA $TORCH_CUDA ops for compute capability $ARCH_LIST (nvcc $NVCC)"
    export FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST="$ARCH_LIST"
    export CUDA_HOME="$NVCC_HOME"
  else
    OPS="CPU ops"
    export FORCE_CUDA=0
  fi
  log "building mmcv $MMCV_VERSION with $OPS against torch $TORCH_VERSION, $JOBS jobs ($JOBS_WHY); cached in $WHEEL_DIR"
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
  MMCV_WITH_OPS=1 MAX_JOBS="$JOBS" \
    pip_ wheel -q --no-cache-dir --no-build-isolation --no-deps -w "$BUILD/dist" "$SRC"
  mkdir -p "$WHEEL_DIR"
  cp "$BUILD"/dist/mmcv-*.whl "$WHEEL_DIR/"
  log "mmcv wheel cached: $(ls "$WHEEL_DIR"/mmcv-*.whl)"
else
  log "using cached mmcv wheel $(ls "$WHEEL_DIR"/mmcv-*.whl)"
fi

log "installing mmcv, mmpretrain, mmsegmentation, mmdet, requirements and mixedae-mm (editable)"
pip_ install -q --no-cache-dir --force-reinstall --no-deps "$WHEEL_DIR"/mmcv-*.whl
pip_ install -q mmpretrain mmsegmentation mmdet \
  -r requirements/runtime.txt -r requirements/tests.txt
pip_ install -q --no-deps --no-build-isolation -e "$ROOT"

verify || die "the environment was installed but does not import; see the error above"
stamp_content > "$STAMP"
log "done in $((SECONDS - START)) s: $VENV"
