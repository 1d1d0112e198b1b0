"""Captioning and VQA speed on CPU: captions per second and seconds per question.

    python bench/caption_vqa.py [--models toy:coca,random:coca_ViT-B-32,vlm-random:smolvlm-256m]

Frames come from a generated toy video, decoded at each model's input size. Random-weight models
stand in for real checkpoints of the same architecture (speed does not depend on the weights);
their words are random, and they may stop early or run to the token limit, so the mean length
of what they wrote is printed beside each rate. Each model is loaded and warmed up (one caption)
before its clocks start; everything runs in one process, one model after the other.

CoCa models are also timed with the decoding loop the key-value cache replaced
(``coca_reference.generate_uncached``), and the two must write the same greedy captions; VLMs
are also asked all the questions at once, from parallel threads, as an agent's tools ask.
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
    from videoscout.models.captioner import Decoding
    from videoscout.models.coca_captioner import CocaCaptioner
    from videoscout.models.coca_reference import generate_uncached
    from videoscout.models.registry import get_captioner

    captioner = get_captioner(spec)
    # Random VLM weights often end at once; timing needs the full length a real answer has.
    decoding = Decoding(max_new_tokens=max_tokens, min_new_tokens=max_tokens)
    images = frames_for(video, captioner, FRAMES.get(spec, CAPTIONS))
    captioner.caption(images[:1], decoding)  # load + warm up
    four = images[np.linspace(0, len(images) - 1, 4).round().astype(int)]
    row = {
        "spec": spec,
        "multi_frame": captioner.multi_frame,
        "new": timed(captioner, images, four, decoding),
    }
    if isinstance(captioner, CocaCaptioner):
        cached = captioner.generate
        captioner.generate = generate_uncached  # the loop before the key-value cache
        try:
            row["old"] = timed(captioner, images, four, decoding)
        finally:
            captioner.generate = cached
    if captioner.multi_frame:
        row["together_s"] = asked_together(captioner, four, decoding)
    return row


def timed(captioner, images: np.ndarray, four: np.ndarray, decoding) -> dict:
    """Captions per second over ``images``; median seconds per question on ``four`` frames."""
    start = time.perf_counter()
    captions = captioner.caption(images, decoding)
    caption_seconds = time.perf_counter() - start
    latencies = []
    for question in QUESTIONS:
        start = time.perf_counter()
        ask(captioner, four, question, decoding)
        latencies.append(time.perf_counter() - start)
    return {
        "captions": captions,
        "captions_per_s": len(images) / caption_seconds,
        "words": float(np.mean([len(c.split()) for c in captions])),
        "vqa_s": float(np.median(latencies)),
    }


def ask(captioner, frames: np.ndarray, question: str, decoding):
    if captioner.multi_frame:
        return captioner.answer(frames, question, decoding)
    return captioner.answer_each(frames, question, decoding)


def asked_together(captioner, four: np.ndarray, decoding) -> float:
    """Seconds for every question asked at once from its own thread (an agent's parallel
    tools): a VLM answers them in shared batches."""
    from concurrent.futures import ThreadPoolExecutor

    start = time.perf_counter()
    with ThreadPoolExecutor(len(QUESTIONS)) as pool:
        list(pool.map(lambda q: ask(captioner, four, q, decoding), QUESTIONS))
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=DEFAULT_MODELS, help="comma-separated specs")
    parser.add_argument("--max-tokens", type=int, default=20)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    args = parser.parse_args(argv)

    import torch

    from videoscout import open_video
    from videoscout.toy.generate import generate

    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="vs-bench-") as scratch:
        path, _ = generate(Path(scratch) / "toy.mp4", 120.0, seed=3)
        video = open_video(path, cache_dir=Path(scratch) / "cache")
        rows = [bench_model(video, spec, args.max_tokens) for spec in args.models.split(",")]
    print(
        f"\n{args.max_tokens} new tokens (VLMs held to it; CoCa stops at its end token), "
        f"greedy, torch threads {torch.get_num_threads()}"
    )
    print(f"  {'captioner':<28}{'captions/s':>11}{'words':>7}{'VQA s/question':>16}  looks at")
    for r in rows:
        new = r["new"]
        looks = "4 frames in one prompt" if r["multi_frame"] else "4 frames one by one"
        print(
            f"  {r['spec']:<28}{new['captions_per_s']:>11.2f}{new['words']:>7.1f}"
            f"{new['vqa_s']:>16.3f}  {looks}"
        )
    coca = [r for r in rows if "old" in r]
    if coca:
        print(
            "\n  CoCa: a key-value cache, every frame in one batch (new); the prefix re-run (old)"
        )
        print(
            f"  {'captioner':<28}{'captions/s old':>15}{'new':>8}{'x':>7}"
            f"{'VQA s old':>11}{'new':>8}{'x':>7}  same captions"
        )
        for r in coca:
            old, new = r["old"], r["new"]
            same = "yes" if old["captions"] == new["captions"] else "NO"
            print(
                f"  {r['spec']:<28}{old['captions_per_s']:>15.2f}{new['captions_per_s']:>8.2f}"
                f"{new['captions_per_s'] / old['captions_per_s']:>7.2f}"
                f"{old['vqa_s']:>11.3f}{new['vqa_s']:>8.3f}{old['vqa_s'] / new['vqa_s']:>7.2f}"
                f"  {same}"
            )
    for r in rows:
        if "together_s" in r:
            n, alone = len(QUESTIONS), r["new"]["vqa_s"]
            print(
                f"\n  {r['spec']}: {n} questions asked at once (threads, shared batches): "
                f"{r['together_s']:.2f} s, {r['together_s'] / n:.2f} s/question "
                f"({alone * n / r['together_s']:.2f}x one after another)"
            )
    for r in rows:
        print(f"  e.g. {r['spec']}: {r['new']['captions'][0][:60]!r}")


if __name__ == "__main__":
    main()
