"""Speech recognition on a narrated toy video: ``python -m videoscout.speech.evaluate``.

Generates (once, into the cache folder) a toy video whose narrator speaks its events at known
times, transcribes it afresh, and prints JSON: word error rate against the script, the error of
the recognised words' start times, spoken-phrase search R@1 (each spoken line as a query: is its
true time inside the top segment, within 1 s?) and the real-time factor of the engine.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from .engines import DEFAULT_ASR
from .scoring import TimedWord, normalise, phrase_recall, word_scores
from .transcribe import transcribe

HELD_OUT_SEED = 7  # as in toy.evaluate (not imported: it loads torch)
EVAL_SECONDS = 150.0


def narrated_toy(seed: int, seconds: float, folder: str | Path | None = None) -> tuple[Path, dict]:
    """The narrated toy video for ``seed`` (generated once) and its ground truth."""
    from ..toy.generate import generate, truth_path

    if folder is None:
        from ..retrieval.cache import default_cache_dir

        folder = default_cache_dir() / "toy"
    path = Path(folder) / f"toy-seed{seed}-{seconds:g}s-narrated.mp4"
    if not (path.is_file() and truth_path(path).is_file()):
        generate(path, seconds, seed, narration=True)
    return path, json.loads(truth_path(path).read_text())


def evaluate(
    asr: str = DEFAULT_ASR,
    seed: int = HELD_OUT_SEED,
    seconds: float = EVAL_SECONDS,
    folder: str | Path | None = None,
) -> dict:
    video, truth = narrated_toy(seed, seconds, folder)
    lines = truth["narration"]
    with tempfile.TemporaryDirectory(prefix="videoscout-speech-eval-") as cache:
        began = time.perf_counter()
        transcript = transcribe(video, asr, cache_dir=cache)
        elapsed = time.perf_counter() - began
    reference = [
        TimedWord(text, w["start"], w["end"])
        for line in lines
        for w in line["words"]
        for text in normalise(w["word"])
    ]
    hypothesis = [
        TimedWord(text, w.start, w.end) for w in transcript.words for text in normalise(w.text)
    ]
    return {
        "asr": asr,
        "seed": seed,
        "seconds": truth["duration"],
        "spoken_lines": len(lines),
        **word_scores(reference, hypothesis),
        **phrase_recall(transcript, lines),
        "transcribe_seconds": round(elapsed, 2),
        "real_time_factor": round(elapsed / truth["duration"], 4),
        "examples": [
            {"said": line["text"], "heard": " ".join(s.text for s in _near(transcript, line))}
            for line in lines[:: max(1, len(lines) // 6)]
        ],
    }


def _near(transcript, line: dict):
    return transcript.between(line["start"] - 0.1, line["end"] + 0.1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--asr", default=DEFAULT_ASR, help="ASR spec [%(default)s]")
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED)
    parser.add_argument("--seconds", type=float, default=EVAL_SECONDS)
    parser.add_argument(
        "--folder", type=Path, default=None, help="where the toy video goes [default: cache]"
    )
    args = parser.parse_args(argv)
    print(json.dumps(evaluate(args.asr, args.seed, args.seconds, args.folder), indent=2))


if __name__ == "__main__":
    main()
