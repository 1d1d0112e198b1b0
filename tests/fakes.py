"""Deterministic stand-ins for real models, registered through the real registry."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from videoscout.models.captioner import GREEDY, Captioner, Decoding
from videoscout.models.embedder import ImageTextEmbedder

from synthetic import COLOURS

DIM = 8


def _colour_vector(rgb: np.ndarray) -> np.ndarray:
    """Centred colour in the first three dims; a constant fourth keeps grey frames non-zero."""
    vec = np.zeros((len(rgb), DIM), dtype=np.float32)
    vec[:, :3] = rgb / 255.0 - 0.5
    vec[:, 3] = 0.05
    return vec / np.linalg.norm(vec, axis=1, keepdims=True)


class ColourEmbedder(ImageTextEmbedder):
    """Frames embed as their mean colour; texts as the colour words they contain.

    A search for "green" therefore finds the green stretch of a synthetic video: a known answer
    that exercises the real indexing, caching and window-merging code.
    """

    def __init__(self, spec: str, image_size: int = 32) -> None:
        self.spec = spec
        self.dim = DIM
        self.image_size = image_size
        self.images_embedded = 0

    def embed_images(self, images: np.ndarray) -> np.ndarray:
        self.images_embedded += len(images)
        # Skip the frame-number bar code in the top rows.
        body = images[:, images.shape[1] // 4 :].reshape(len(images), -1, 3)
        return _colour_vector(body.mean(axis=1))

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        rgb = []
        for text in texts:
            named = [COLOURS[w] for w in text.lower().split() if w in COLOURS]
            rgb.append(np.mean(named, axis=0) if named else np.full(3, 127.5))
        return _colour_vector(np.asarray(rgb, dtype=np.float32))


def nearest_colour(image: np.ndarray) -> str:
    body = image[image.shape[0] // 4 :].reshape(-1, 3).mean(axis=0)
    return min(COLOURS, key=lambda name: float(np.sum((np.asarray(COLOURS[name]) - body) ** 2)))


class ColourCaptioner(Captioner):
    """Captions a frame "a <colour> screen" and answers any question with the colour: known
    answers that exercise the real frame selection, caching and voting code."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.frames_captioned = 0

    def caption(self, images: np.ndarray, decoding: Decoding = GREEDY) -> list[str]:
        self.frames_captioned += len(images)
        return [f"a {nearest_colour(image)} screen" for image in images]

    def answer_each(
        self, images: np.ndarray, question: str, decoding: Decoding = GREEDY
    ) -> list[str]:
        return [nearest_colour(image) for image in images]
