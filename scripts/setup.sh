#!/usr/bin/env bash
# Installs videoscout and its development tools into ./.venv. Safe to run again: it only
# reinstalls when pyproject.toml changed. Sourced by demo.sh and test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# CPU builds of torch; override for CUDA, e.g. TORCH_SPEC="torch torchvision".
TORCH_SPEC=${TORCH_SPEC:-"torch==2.14.1 torchvision==0.29.1"}
PYTHON=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.videoscout-installed
wanted=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "setup: installing torch and videoscout into .venv (first run takes a few minutes)" >&2
    # --no-compile: byte-compiling every module of torch and transformers up front took
    # nearly as long as installing them (7 of 17 minutes on a slow machine); Python compiles the
    # few modules it imports on first use.
    pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-compile)
    "${pip[@]}" $TORCH_SPEC
    "${pip[@]}" -e ".[dev]"
    echo "$wanted" > "$stamp"
fi

# Debian tools the tests and the demo use: ffprobe checks timestamps against FFmpeg, espeak-ng
# speaks the toy world's narration. videoscout itself needs neither.
missing=()
command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
if [ ${#missing[@]} -gt 0 ] && [ "${VIDEOSCOUT_SKIP_APT:-}" = "" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing ${missing[*]} with apt-get" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "setup: ${missing[*]} not found; install them (e.g. apt-get install ${missing[*]})" >&2
    fi
fi
export PATH="$PWD/.venv/bin:$PATH"
