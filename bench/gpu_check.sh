#!/usr/bin/env bash
# The GPU check in one command: index and caption throughput on a short excerpt, one table,
# the goals of issue 15 and PASS/FAIL, in under 8 minutes.
#
#   bench/gpu_check.sh            on a machine with an NVIDIA GPU and the packages installed
#   bench/gpu_check.sh --cpu      a dry run on the CPU (e.g. --cpu --seconds 8: a tiny excerpt)
#   other options: --seconds N (excerpt length, default 60), --video PATH, --caption-frames N
#
# Python: $VIDEOSCOUT_PYTHON, else the repository's .venv. With VIDEOSCOUT_GPU_CHECK_INSTALL=1
# it first makes .venv-gpu and installs videoscout there with pip, torch from
# $VIDEOSCOUT_TORCH_INDEX (default PyPI, whose Linux x86-64 wheels are CUDA builds); the
# install is not part of the 8 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
    echo "gpu_check: $*" >&2
    exit 2
}

cpu=0
for arg in "$@"; do
    [[ "$arg" == "--cpu" ]] && cpu=1
done

python="${VIDEOSCOUT_PYTHON:-.venv/bin/python}"
if [[ "${VIDEOSCOUT_GPU_CHECK_INSTALL:-0}" == 1 ]]; then
    python=.venv-gpu/bin/python
    if [[ ! -x "$python" ]]; then
        python3 -m venv .venv-gpu || fail "could not create .venv-gpu with python3 -m venv"
    fi
    index=()
    [[ -n "${VIDEOSCOUT_TORCH_INDEX:-}" ]] && index=(--index-url "$VIDEOSCOUT_TORCH_INDEX")
    "$python" -m pip install -q torch torchvision "${index[@]}" \
        || fail "pip could not install torch into .venv-gpu"
    "$python" -m pip install -q -e . || fail "pip could not install videoscout into .venv-gpu"
fi
[[ -x "$python" ]] || fail "no Python at $python; create the .venv (scripts/setup.sh) or set VIDEOSCOUT_PYTHON"

if [[ $cpu == 0 ]]; then
    command -v nvidia-smi > /dev/null \
        || fail "no NVIDIA GPU here (nvidia-smi not found); run on a GPU machine, or pass --cpu for a dry run"
    nvidia-smi -L > /dev/null 2>&1 \
        || fail "nvidia-smi finds no usable GPU (driver not loaded?); pass --cpu for a dry run"
    "$python" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)" \
        || fail "torch cannot use the GPU (torch.cuda.is_available() is False: a CPU build of torch?); install a CUDA build (VIDEOSCOUT_GPU_CHECK_INSTALL=1 $0) or pass --cpu for a dry run"
fi

# The check's own budget is 8 minutes: stop it, clearly, if it runs past that.
status=0
timeout --foreground 480 "$python" bench/gpu_check.py "$@" || status=$?
if [[ $status == 124 ]]; then
    echo "gpu_check: FAIL, the check ran past 8 minutes and was stopped" >&2
fi
exit $status
