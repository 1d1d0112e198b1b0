"""Is bfloat16 as good as float32 here, and how much faster? One run, both precisions.

    python bench/precision.py [--video PATH] [--model random:ViT-B-32] [--frames N]

1. Speed and agreement of an open_clip model (random weights: speed does not depend on them)
   on real frames (the first N seconds of Big Buck Bunny at 1 fps): image-embedding time in
   each precision, cosine between the two embeddings of each frame, and whether each frame's
   nearest neighbour among the others is the same frame in both.
2. Quality with trained weights: the toy CoCa's held-out evaluation (retrieval top-1, BLEU-4,
   VQA) in float32 and with the same weights cast to bfloat16.

videoscout picks bfloat16 on CPUs that multiply it natively (``models/device.py``); without
that hardware bfloat16 is emulated and slow, and this script says so.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np


def embedder_in(dtype: str, model: str):
    """A fresh embedder computing in ``dtype`` (the registry would hand back a cached one)."""
    from videoscout.models import registry

    os.environ["VIDEOSCOUT_DTYPE"] = dtype
    embedder = registry.resolve_embedder(model)
    assert embedder.precision == dtype, (embedder.precision, dtype)
    return embedder


def frames_of(video: Path, count: int, side: int) -> np.ndarray:
    from videoscout import open_video
    from videoscout.video import fit_short_side

    clip = open_video(video)
    size = fit_short_side(clip.info.width, clip.info.height, side)
    return clip.frames_at(np.arange(count, dtype=float) + 0.5, size=size).images


def timed_embed(embedder, frames: np.ndarray, batch: int) -> tuple[np.ndarray, float]:
    embedder.embed_images(frames[:2])  # load and warm up outside the clock
    start = time.perf_counter()
    vectors = np.concatenate(
        [embedder.embed_images(frames[i : i + batch]) for i in range(0, len(frames), batch)]
    )
    return vectors, time.perf_counter() - start


def nearest_other(vectors: np.ndarray) -> np.ndarray:
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    return similarity.argmax(axis=1)


def toy_quality(dtype: str) -> dict:
    import torch

    from videoscout.toy import model as toy_model
    from videoscout.toy.evaluate import evaluate

    toy_model.load().model.to(getattr(torch, dtype))
    report = evaluate()
    return {k: report[k] for k in ("retrieval_top1", "caption_bleu4", "vqa_exact_match")}


def main(argv: list[str] | None = None) -> None:
    import torch

    from videoscout.models.device import cpu_has_native_bf16

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", type=Path, help="default: the full Big Buck Bunny film")
    parser.add_argument("--model", default="random:ViT-B-32")
    parser.add_argument("--frames", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)
    if args.video is None:
        from videoscout.samples import sample_path

        args.video = sample_path("bbb-full")

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, ", end="")
    print(f"native bfloat16: {cpu_has_native_bf16()}")
    vectors, seconds = {}, {}
    for dtype in ("float32", "bfloat16"):
        embedder = embedder_in(dtype, args.model)
        frames = frames_of(args.video, args.frames, embedder.image_size)
        vectors[dtype], seconds[dtype] = timed_embed(embedder, frames, args.batch_size)
    cosine = np.sum(vectors["float32"] * vectors["bfloat16"], axis=1)
    same = nearest_other(vectors["float32"]) == nearest_other(vectors["bfloat16"])
    print(f"\n1. {args.model}, {args.frames} frames of {args.video.name} at 1 fps")
    for dtype in seconds:
        print(
            f"   {dtype:<9} {seconds[dtype]:7.2f} s  {args.frames / seconds[dtype]:6.1f} frames/s"
        )
    print(f"   speed-up bfloat16 / float32: {seconds['float32'] / seconds['bfloat16']:.2f}x")
    print(
        f"   cosine(float32, bfloat16) per frame: min {cosine.min():.5f}, mean {cosine.mean():.5f}"
    )
    print(f"   same nearest other frame: {same.mean():.3f} of frames")

    print("\n2. toy CoCa (trained), held-out seed 7")
    for dtype in ("float32", "bfloat16"):
        quality = toy_quality(dtype)
        print(f"   {dtype:<9} " + "  ".join(f"{k} {v:.3f}" for k, v in quality.items()))


if __name__ == "__main__":
    main()
