"""Captioning and VQA speed on CPU: captions per second and seconds per question.

    python bench/caption_vqa.py [--models toy:coca,random:coca_ViT-B-32,vlm-random:smolvlm-256m]

Frames come from a generated toy video, decoded at each model's input size. Random-weight models
stand in for real checkpoints of the same architecture (speed does not depend on the weights);
their words are random, and they may stop early or run to the token limit, so the mean length
of what they wrote is printed beside each rate. Each model is loaded and warmed up (one caption)
before its clocks start; everything runs in one process, one model after the other.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

DEFAULT_MODELS = "toy:coca,random:coca_ViT-B-32,vlm-random:smolvlm-256m"
FRAMES = {"toy:coca": 64}  # captions to time per model; others: CAPTIONS
CAPTIONS = 8
QUESTIONS = ("what colour is the circle?", "how many objects are there?", "where is this?")


def frames_for(video, captioner, count: int) -> np.ndarray:
    """``count`` frames spread over the video, decoded as captioning decodes them."""
    from videoscout.describe import _source_for, sample_times
    from videoscout.video import frame_at

    times = sample_times(0.0, video.info.duration, None, count)
    with _source_for(video, captioner) as source:
        return source.get_frames(frame_at(source.timestamps, times)).images


def bench_model(video, spec: str, max_tokens: int) -> dict:
    import torch

    from videoscout.models.captioner import Decoding
    from videoscout.models.registry import get_captioner

    captioner = get_captioner(spec)
    # Random VLM weights often end at once; timing needs the full length a real answer has.
    decoding = Decoding(max_new_tokens=max_tokens, min_new_tokens=max_tokens)
    images = frames_for(video, captioner, FRAMES.get(spec, CAPTIONS))
    captioner.caption(images[:1], decoding)  # load + warm up
    start = time.perf_counter()
    captions = captioner.caption(images, decoding)
    caption_seconds = time.perf_counter() - start
    four = images[np.linspace(0, len(images) - 1, 4).round().astype(int)]
    latencies = []
    for question in QUESTIONS:
        start = time.perf_counter()
        if captioner.multi_frame:
            captioner.answer(four, question, decoding)
        else:
            captioner.answer_each(four, question, decoding)
        latencies.append(time.perf_counter() - start)
    return {
        "spec": spec,
        "frames": len(images),
        "captions_per_s": len(images) / caption_seconds,
        "words": float(np.mean([len(c.split()) for c in captions])),
        "vqa_s": float(np.median(latencies)),
        "multi_frame": captioner.multi_frame,
        "threads": torch.get_num_threads(),
        "example": captions[0][:60],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=DEFAULT_MODELS, help="comma-separated specs")
    parser.add_argument("--max-tokens", type=int, default=20)
    args = parser.parse_args(argv)

    from videoscout import open_video
    from videoscout.toy.generate import generate

    with tempfile.TemporaryDirectory(prefix="vs-bench-") as scratch:
        path, _ = generate(Path(scratch) / "toy.mp4", 120.0, seed=3)
        video = open_video(path, cache_dir=Path(scratch) / "cache")
        rows = [bench_model(video, spec, args.max_tokens) for spec in args.models.split(",")]
    print(
        f"\n{args.max_tokens} new tokens (VLMs held to it; CoCa stops at its end token), "
        f"greedy, torch threads {rows[0]['threads']}"
    )
    print(f"  {'captioner':<28}{'captions/s':>11}{'words':>7}{'VQA s/question':>16}  looks at")
    for r in rows:
        looks = "4 frames in one prompt" if r["multi_frame"] else "4 frames one by one"
        print(
            f"  {r['spec']:<28}{r['captions_per_s']:>11.2f}{r['words']:>7.1f}"
            f"{r['vqa_s']:>16.3f}  {looks}"
        )
    for r in rows:
        print(f"  e.g. {r['spec']}: {r['example']!r}")


if __name__ == "__main__":
    main()
