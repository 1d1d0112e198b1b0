"""The image/text embedding interface used by indexing and search."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np


class ImageTextEmbedder(ABC):
    """Maps frames and text into one space where a dot product is cosine similarity.

    ``image_size`` is the square input side; callers decode frames with the short side at this
    size so that only a centre crop is left to do.
    """

    spec: str
    dim: int
    image_size: int

    @property
    def identity(self) -> str:
        """What distinguishes this model's vectors from another's (part of index cache keys)."""
        return self.spec

    @property
    def precision(self) -> str:
        """The dtype the model computes in (recorded in index manifests)."""
        return "float32"

    @abstractmethod
    def embed_images(self, images: np.ndarray) -> np.ndarray:
        """(N, H, W, 3) uint8 RGB frames -> (N, dim) float32 unit vectors."""

    @abstractmethod
    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Texts -> (N, dim) float32 unit vectors."""
