"""Training and evaluation data: frames decoded from generated toy videos, with their truth."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..video import fit_short_side, open_source
from ..video.sampling import uniform_indices
from .generate import generate
from .truth import caption_at, frame_questions
from .world import Thing, make_timeline


@dataclass
class Frames:
    images: np.ndarray  # (N, S, S, 3) uint8, decoded from the H.264 file
    times: np.ndarray  # (N,) seconds
    seeds: np.ndarray  # (N,) seed of the video each frame came from
    captions: list[str]
    questions: list[list[dict]]  # frame questions with answers, per frame
    scenes: list[tuple[str, tuple[Thing, ...]]]  # background and objects on screen, per frame


def decoded_frames(
    seeds: list[int], seconds: float, fps: float, side: int, workdir: Path | None = None
) -> Frames:
    """Render each seed's video to a real MP4, decode it at ``side`` px, pair frames with truth.

    Decoding the file (rather than using rendered arrays) trains on what the product sees:
    H.264 artefacts and the decoder's scaling.
    """
    images, times, owners, captions, questions, scenes = [], [], [], [], [], []
    with tempfile.TemporaryDirectory(dir=workdir) as scratch:
        for seed in seeds:
            path, _ = generate(Path(scratch) / f"toy-{seed}.mp4", seconds, seed)
            timeline = make_timeline(seed, seconds)
            batch = _decode(path, fps, side)
            images.append(batch.images)
            times.append(batch.timestamps)
            owners.append(np.full(len(batch), seed))
            captions += [caption_at(timeline, t) for t in batch.timestamps]
            questions += [frame_questions(timeline, t) for t in batch.timestamps]
            scenes += [
                (timeline.background_at(t), tuple(e.thing for e in timeline.on_screen(t)))
                for t in batch.timestamps
            ]
    return Frames(
        np.concatenate(images),
        np.concatenate(times),
        np.concatenate(owners),
        captions,
        questions,
        scenes,
    )


def _decode(path: Path, fps: float, side: int):
    from ..video import probe

    info = probe(path)
    with open_source(path, size=fit_short_side(info.width, info.height, side)) as source:
        return source.get_frames(uniform_indices(source.timestamps, fps))
