"""Deterministic stand-ins for real models, registered through the real registry."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from videoscout.models.captioner import GREEDY, Captioner, Decoding
from videoscout.models.embedder import ImageTextEmbedder
from videoscout.ocr import OcrEngine, OcrLine
from videoscout.speech import SAMPLE_RATE, Segment, SpeechRecognizer

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


class ColourReader(OcrEngine):
    """Reads the name of a frame's colour as its one line of text; counts its calls."""

    spec = "fake:colour-ocr"
    identity = "fake:colour-ocr/1"

    def __init__(self, fail_after: int | None = None) -> None:
        self.calls = 0
        self.fail_after = fail_after

    def read(self, image: np.ndarray) -> list[OcrLine]:
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise KeyboardInterrupt
        self.calls += 1
        mean = image[16:].reshape(-1, 3).mean(axis=0)  # below the frame-number marks
        name = min(COLOURS, key=lambda c: np.abs(np.subtract(COLOURS[c], mean)).sum())
        height, width = image.shape[:2]
        return [OcrLine(name, (0.0, 0.0, float(width), float(height)), 0.99)]


class ScriptedRecognizer(SpeechRecognizer):
    """Hears the lines of a script, whatever the audio: each (start, end, text) line whose
    start falls in the chunk it is given. Counts its calls."""

    spec = "fake:script"
    identity = "fake:script/1"

    def __init__(self, lines: Sequence[tuple[float, float, str]]) -> None:
        self.lines = list(lines)
        self.calls = 0

    def transcribe(self, samples: np.ndarray, offset: float) -> list[Segment]:
        self.calls += 1
        end = offset + len(samples) / SAMPLE_RATE
        return [Segment(a, b, text) for a, b, text in self.lines if offset <= a < end]
