#!/usr/bin/env bash
# The main job: sets up .venv if needed, fetches a real clip and searches it from the CLI and
# from Python. It runs offline (no model hub): the model here has RANDOM weights, so it shows
# the whole pipeline working, not meaningful rankings; real searches use real checkpoints
# (`videoscout models`).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

MODEL=${VIDEOSCOUT_MODEL:-random:ViT-B-32}
export VIDEOSCOUT_CACHE_DIR=${VIDEOSCOUT_CACHE_DIR:-"$PWD/.demo-cache"}
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

video=$(videoscout sample bikes)
say videoscout info "$video"
videoscout info "$video"

say videoscout index "$video" --model "$MODEL"
videoscout index "$video" --model "$MODEL"

say videoscout index "$video" --model "$MODEL"   "# again: reused, nothing decoded"
videoscout index "$video" --model "$MODEL"

say videoscout search "$video" "a cyclist at a traffic light" -k 3 --model "$MODEL" --thumbs .demo-cache/sheets
videoscout search "$video" "a cyclist at a traffic light" -k 3 --model "$MODEL" --thumbs .demo-cache/sheets

say python: videoscout.search\(...\)
python - "$video" "$MODEL" <<'PY'
import sys
import videoscout

video = videoscout.open_video(sys.argv[1], model=sys.argv[2])
print(video)
for moment in video.search("a taxi sign", k=2):
    print(" ", moment)
PY

say videoscout search "$video" "a cyclist"   "# the default model: needs its weights (offline here)"
videoscout search "$video" "a cyclist" || true

echo
echo "demo: the model above ($MODEL) has random weights: times and plumbing are real, rankings are not."
