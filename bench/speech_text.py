"""Hearing and reading a video on CPU: speech recognition and on-screen text (OCR).

    python bench/speech_text.py [--part speech|text|all] [--asr sphinx:en-us]
                                [--hour-minutes 60] [--seed 7]

Each part is one function returning a dict; ``main`` runs those asked for and prints JSON.
Every measurement runs in a fresh process, so its peak memory (max RSS) is its own.

speech:
1. Real-time factor (seconds of work per second of audio) of the ASR engine on the narrated
   toy video (2.5 min), transcribed afresh: audio decoding, voice detection and recognition.
2. An hour of narrated audio (toy narration, AAC, generated once into the cache): peak memory
   and real-time factor of decoding alone and of a full transcription; the process's memory
   after its imports is given, so what the hour adds shows. Audio is decoded in 30 s chunks,
   so memory should not grow with the length.

text:
1. The whole reading pipeline on a titled toy video (2.5 min), read afresh: frames decoded,
   candidates where the picture changed, frames OCR'd, OCR frames/s and the real-time factor.
2. The engine alone on a 1280x720 frame with three lines of text, and on a blank one: frames/s.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HELD_OUT_SEED = 7
TOY_SECONDS = 150.0


def _in_child(function, *args) -> dict:
    """``function(*args)`` in a fresh process; its result, plus that process's peak RSS."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_measured, function, *args).result()


def _measured(function, *args) -> dict:
    baseline = _peak_mib()
    result = function(*args)
    return {**result, "rss_after_imports_mib": baseline, "peak_rss_mib": _peak_mib()}


def _peak_mib() -> float:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return round(kib / 1024, 1)


def _transcribe_fresh(path: str, asr: str) -> dict:
    from videoscout.speech import transcribe

    with tempfile.TemporaryDirectory() as cache:
        began = time.perf_counter()
        transcript = transcribe(path, asr, cache_dir=cache)
        seconds = time.perf_counter() - began
    return {
        "audio_seconds": transcript.duration,
        "seconds": round(seconds, 2),
        "real_time_factor": round(seconds / max(transcript.duration, 1e-9), 4),
        "segments": len(transcript.segments),
        "words": len(transcript.words),
    }


def _decode_only(path: str) -> dict:
    from videoscout.speech import SAMPLE_RATE, iter_chunks

    began = time.perf_counter()
    samples = chunks = 0
    for chunk in iter_chunks(path):
        samples += len(chunk.samples)
        chunks += 1
    seconds = time.perf_counter() - began
    audio = samples / SAMPLE_RATE
    return {
        "audio_seconds": round(audio, 2),
        "chunks": chunks,
        "seconds": round(seconds, 2),
        "real_time_factor": round(seconds / max(audio, 1e-9), 5),
    }


def _hour_of_narration(minutes: float, seed: int) -> Path:
    from videoscout.retrieval.cache import default_cache_dir
    from videoscout.toy.narration import narration_audio
    from videoscout.toy.world import make_timeline

    path = default_cache_dir() / "toy" / f"narration-seed{seed}-{minutes:g}min.m4a"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        narration_audio(make_timeline(seed, minutes * 60), path, seed=seed)
    return path


def speech_part(args: argparse.Namespace) -> dict:
    from videoscout.speech.evaluate import narrated_toy

    toy, _ = narrated_toy(args.seed, TOY_SECONDS)
    report = {"asr": args.asr, "toy_video": _in_child(_transcribe_fresh, str(toy), args.asr)}
    if args.hour_minutes > 0:
        long_audio = str(_hour_of_narration(args.hour_minutes, args.seed))
        report["long_audio"] = {
            "minutes": args.hour_minutes,
            "decode_only": _in_child(_decode_only, long_audio),
            "transcribe": _in_child(_transcribe_fresh, long_audio, args.asr),
        }
    return report


def _read_fresh(path: str, engine: str) -> dict:
    from videoscout.ocr import read_text

    with tempfile.TemporaryDirectory() as cache:
        began = time.perf_counter()
        text = read_text(path, engine, cache_dir=cache)
        seconds = time.perf_counter() - began
    return {
        "video_seconds": round(text.duration, 2),
        "seconds": round(seconds, 2),
        "real_time_factor": round(seconds / max(text.duration, 1e-9), 4),
        "spans": len(text.spans),
        **{k: v for k, v in text.stats.to_dict().items() if k != "total_seconds"},
    }


def _engine_alone(engine: str, repeat: int = 3) -> dict:
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from videoscout.ocr import get_ocr_engine

    ocr = get_ocr_engine(engine)
    page = Image.new("RGB", (1280, 720), (250, 250, 245))
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=48)
    for row, line in enumerate(("Quarterly results", "Revenue up 12%", "Questions?")):
        draw.text((120, 150 + row * 140), line, fill=(20, 20, 20), font=font)
    frames = {"text": np.asarray(page), "blank": np.full((720, 1280, 3), 245, np.uint8)}
    rates = {}
    for name, frame in frames.items():
        ocr.read(frame)  # the first call loads the models
        began = time.perf_counter()
        for _ in range(repeat):
            lines = ocr.read(frame)
        rates[f"{name}_frames_per_second"] = round(repeat / (time.perf_counter() - began), 3)
        rates[f"{name}_lines"] = len(lines)
    return rates


def text_part(args: argparse.Namespace) -> dict:
    from videoscout.retrieval.cache import default_cache_dir
    from videoscout.toy.generate import generate, truth_path

    toy = default_cache_dir() / "toy" / f"toy-seed{args.seed}-{TOY_SECONDS:g}s-titled.mp4"
    if not (toy.is_file() and truth_path(toy).is_file()):
        generate(toy, TOY_SECONDS, args.seed, titles=True)
    return {
        "ocr": args.ocr,
        "toy_video": _in_child(_read_fresh, str(toy), args.ocr),
        "engine_alone_720p": _in_child(_engine_alone, args.ocr),
    }


PARTS = {"speech": speech_part, "text": text_part}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=[*PARTS, "all"], default="all")
    parser.add_argument("--asr", default="sphinx:en-us", help="ASR spec [%(default)s]")
    parser.add_argument("--ocr", default="rapidocr", help="OCR engine spec [%(default)s]")
    parser.add_argument(
        "--hour-minutes",
        type=float,
        default=60.0,
        help="length of the long audio in minutes; 0 skips it [%(default)s]",
    )
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED)
    args = parser.parse_args(argv)
    chosen = PARTS if args.part == "all" else {args.part: PARTS[args.part]}
    report = {"cpu_count": multiprocessing.cpu_count(), "python": sys.version.split()[0]}
    for name, part in chosen.items():
        report[name] = part(args)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
