#!/usr/bin/env bash
# The main job, offline: sets up .venv if needed, generates a 10-minute TOY video (shapes on
# simple backgrounds, with ground truth), indexes it with the toy CoCa (toy:coca, trained here
# from scratch on the toy world), searches it, captions it and answers questions about it, from
# the CLI and from Python, and checks the answers against the generator's truth.
# The toy model knows only the toy world; real videos need real checkpoints (`videoscout models`).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

export VIDEOSCOUT_CACHE_DIR=${VIDEOSCOUT_CACHE_DIR:-"$PWD/.demo-cache"}
video="$VIDEOSCOUT_CACHE_DIR/toy-world.mp4"
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say videoscout toy generate "$video" --seconds 600 --seed 42
videoscout toy generate "$video" --seconds 600 --seed 42

say videoscout info "$video"
videoscout info "$video"

say videoscout index "$video" --model toy:coca
videoscout index "$video" --model toy:coca

say videoscout index "$video" --model toy:coca   "# again: reused, nothing decoded"
videoscout index "$video" --model toy:coca

say videoscout search "$video" "a big red circle" -k 3 --model toy:coca --thumbs "$VIDEOSCOUT_CACHE_DIR/sheets"
videoscout search "$video" "a big red circle" -k 3 --model toy:coca --thumbs "$VIDEOSCOUT_CACHE_DIR/sheets"

say videoscout caption "$video" --captioner toy:coca --range 0:00-1:00 --every 10s
videoscout caption "$video" --captioner toy:coca --range 0:00-1:00 --every 10s

say videoscout vqa "$video" "how many objects are there?" --captioner toy:coca --at 0:30
videoscout vqa "$video" "how many objects are there?" --captioner toy:coca --at 0:30

say python: search, captions and answers, each checked against the ground truth
python - "$video" <<'PY'
import json
import re
import sys
from collections import Counter
from pathlib import Path

import videoscout
from videoscout.timefmt import format_time
from videoscout.toy.truth import caption_at
from videoscout.toy.world import make_timeline

path = Path(sys.argv[1])
truth = json.loads(path.with_suffix(".json").read_text())
timeline = make_timeline(truth["seed"], truth["duration"])
video = videoscout.open_video(path, model="toy:coca", captioner="toy:coca")


def mark(ok: bool) -> str:
    return "ok" if ok else "WRONG"


print("search: six objects that appear once, each queried by its name (ok: IoU >= 0.5)")
names = Counter(e["description"] for e in truth["events"])
for event in [e for e in truth["events"] if names[e["description"]] == 1][:6]:
    best = video.search(f"a {event['description']}", k=1)[0]
    overlap = min(best.end, event["end"]) - max(best.start, event["start"])
    union = max(best.end, event["end"]) - min(best.start, event["start"])
    print(
        f"  a {event['description']:<22} found {format_time(best.start)}-{format_time(best.end)}"
        f"  truth {format_time(event['start'])}-{format_time(event['end'])}"
        f"  {mark(overlap / union >= 0.5)}"
    )

def scene(caption: str) -> tuple[list[str], str]:
    """The things a caption names, in any order, and where they are: two objects that enter a
    hundredth of a second apart may be named in either order."""
    things, place = re.fullmatch(r"(.*?) ((?:in|on) the .*)", caption).groups()
    return sorted(things.split(" and ")), place


print("captions at the middle of the first four events (ok: the same things, in either order)")
for event in truth["events"][:4]:
    middle = (event["start"] + event["end"]) / 2
    [caption] = video.caption(middle - 0.5, middle + 0.5, frames=1).captions
    expected = caption_at(timeline, caption.time)
    ok = scene(caption.text) == scene(expected)
    print(f"  {format_time(caption.time):>8}  {caption.text:<58} {mark(ok)}")

print("questions from the ground truth")
for qa in [q for q in truth["qa"] if q["kind"] in ("colour", "shape", "count")][:6]:
    answer = video.look(qa["question"], at=[qa["time"]])
    print(
        f"  {format_time(qa['time']):>8}  {qa['question']:<38} {answer.answer:<9}"
        f" {mark(answer.answer == qa['answer'])}"
    )

print("the agent, no chat model: multi-step questions, a follow-up, each marked by the truth")
from videoscout.toy.scoring import score  # noqa: E402

agent = video.agent()  # llm: none (VIDEOSCOUT_LLM or llm="ollama:..." picks a chat model)
for kind in ("times", "after", "before", "where", "absent"):
    qa = next(q for q in truth["qa"] if q["kind"] == kind)
    agent.new_thread()
    answer = agent.ask(qa["question"])
    verdict = score(qa, answer)
    print(f"  Q: {qa['question']}")
    print(f"  A: {answer.text}  [{mark(verdict['correct'])}; truth: {qa['answer']}]")
agent.new_thread()
first = agent.ask("when does the " + next(q for q in truth["qa"] if q["kind"] == "times")["subject"]
                  + " appear?")
print(f"  Q: {first.question}\n  A: {first.text}")
follow = agent.ask("and after that?")
print(f"  Q: and after that?  (a follow-up: the conversation remembers)\n  A: {follow.text}")
print("  (every kind, measured: python -m videoscout.toy.evaluate --agent)")
PY

subject=$(python -c 'import json, sys
print(next(q for q in json.load(open(sys.argv[1]))["qa"] if q["kind"] == "times")["subject"])' \
    "${video%.mp4}.json")
say videoscout ask "$video" "how many times does the $subject appear?" --steps
videoscout ask "$video" "how many times does the $subject appear?" --model toy:coca \
    --captioner toy:coca --steps

say "printf 'when does the $subject appear?\nand after that?\n' | videoscout chat \"\$video\""
printf 'when does the %s appear?\nand after that?\n' "$subject" |
    videoscout chat "$video" --model toy:coca --captioner toy:coca

# Hearing and reading: a short toy video with a narrator (espeak-ng) and "SCENE N" titles.
talk="$VIDEOSCOUT_CACHE_DIR/toy-talk.mp4"
say videoscout toy generate "$talk" --seconds 90 --seed 7 --narration --titles
videoscout toy generate "$talk" --seconds 90 --seed 7 --narration --titles >/dev/null

say videoscout transcribe "$talk" --srt "${talk%.mp4}.srt"
videoscout transcribe "$talk" --srt "${talk%.mp4}.srt"
head -8 "${talk%.mp4}.srt"

title=$(python -c 'import json, sys, videoscout.timefmt as t
o = json.load(open(sys.argv[1]))["overlays"][1]; print(t.format_time(o["start"] + 1))' \
    "${talk%.mp4}.json")
say videoscout read "$talk" --at "$title"
videoscout read "$talk" --at "$title"

say videoscout search "$talk" "scene 2" --in all --model toy:coca -k 3
videoscout search "$talk" "scene 2" --in all --model toy:coca -k 3

question="what does the narrator say right after the small red diamond appears?"
say videoscout ask "$talk" "$question"
videoscout ask "$talk" "$question" --model toy:coca --captioner toy:coca
python - "${talk%.mp4}.json" <<'PY'
import json
import sys

from videoscout.timefmt import format_time

truth = json.load(open(sys.argv[1]))
line = next(n for n in truth["narration"] if n["text"].startswith("a small red diamond appears"))
print(f"  truth: \"{line['text']}\" said at {format_time(line['start'])}-{format_time(line['end'])}")
print("  (measured: python -m videoscout.toy.evaluate --speech --text)")
PY

echo
echo "demo: toy world and toy model (toy:coca). For real videos use a real checkpoint, e.g."
echo "  videoscout search movie.mp4 \"a bird falls from a tree\" --model clip:ViT-B-32/laion2b_s34b_b79k"
