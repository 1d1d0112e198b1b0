"""CLIPScore and RefCLIPScore (Hessel et al., 2021) with any loaded image-text embedder."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..models.embedder import ImageTextEmbedder

W = 2.5  # the paper's rescaling, so that scores spread over roughly [0, 1]


def clip_scores(
    embedder: ImageTextEmbedder,
    images: np.ndarray,
    candidates: Sequence[str],
    references: Sequence[Sequence[str]] | None = None,
) -> dict[str, list[float]]:
    """Per item: CLIPScore = W * max(cos(image, caption), 0); with references, also
    RefCLIPScore = harmonic mean of CLIPScore and max(max over references of cos(caption,
    reference), 0)."""
    image_vectors = embedder.embed_images(images)
    caption_vectors = embedder.embed_texts(list(candidates))
    clip = W * np.maximum((image_vectors * caption_vectors).sum(axis=1), 0.0)
    result = {"CLIPScore": clip.tolist()}
    if references is not None:
        ref_clip = []
        for caption, refs, score in zip(caption_vectors, references, clip, strict=True):
            best = max(float((embedder.embed_texts(list(refs)) @ caption).max()), 0.0)
            ref_clip.append(0.0 if score + best == 0 else 2 * score * best / (score + best))
        result["RefCLIPScore"] = ref_clip
    return result
