"""The captioning and visual question answering interface.

Two kinds of backends: CoCa (one model, contrastive + captioning; looks at one frame at a time)
and vision-language models (a vision encoder, a projector and an LLM; several frames in one
prompt). Both are deterministic by default and bound the tokens they generate.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import UsageError

METHODS = ("greedy", "beam", "top_p")


@dataclass(frozen=True)
class Decoding:
    """How text is generated: ``greedy`` and ``beam`` are deterministic; ``top_p`` samples
    reproducibly from ``seed``."""

    method: str = "greedy"
    max_new_tokens: int = 32
    min_new_tokens: int = 0  # VLMs: write at least this many (benchmarks of random weights)
    beams: int = 3
    top_p: float = 0.9
    seed: int = 0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise UsageError(f"unknown decoding {self.method!r}; choose {', '.join(METHODS)}")
        if not 1 <= self.max_new_tokens <= 512:
            raise UsageError(f"max new tokens must be 1-512, got {self.max_new_tokens}")
        if self.beams < 1 or not 0 < self.top_p <= 1:
            raise UsageError("beams must be >= 1 and top_p in (0, 1]")

    def key(self) -> dict:
        return asdict(self)


#: The default: deterministic, and the cheapest.
GREEDY = Decoding()


class Captioner(ABC):
    """Describes frames in words and answers questions about them."""

    spec: str
    #: True when one prompt can look at several frames (VLMs); CoCa sees one at a time.
    multi_frame: bool = False
    #: Frames per forward pass.
    batch_size: int = 16
    #: Short side to decode frames at (the model's input); None: native, at most 512.
    image_size: int | None = None
    #: Most frames one prompt takes (multi-frame models); more are spread down to this many.
    max_frames: int | None = None
    #: What a caption continues (part of the caption cache key).
    caption_prompt: str = ""

    #: Set by backends whose outputs depend on more than the spec (the weights' revision).
    _identity: str | None = None

    @property
    def identity(self) -> str:
        """What distinguishes this model's outputs from another's (part of caption cache keys)."""
        return self._identity or self.spec

    def cache_params(self, decoding: Decoding) -> dict:
        """Everything besides the model that changes a caption."""
        return {
            "decoding": decoding.key(),
            "image_size": self.image_size,
            "prompt": self.caption_prompt,
        }

    @abstractmethod
    def caption(self, images: np.ndarray, decoding: Decoding = GREEDY) -> list[str]:
        """(N, H, W, 3) uint8 RGB frames -> one caption per frame."""

    @abstractmethod
    def answer_each(
        self, images: np.ndarray, question: str, decoding: Decoding = GREEDY
    ) -> list[str]:
        """The answer to ``question`` for each frame on its own."""

    def answer(self, images: np.ndarray, question: str, decoding: Decoding = GREEDY) -> str:
        """One answer from all ``images`` together (multi-frame models only)."""
        raise NotImplementedError(f"{self.spec} looks at one frame at a time; use answer_each")

    def describe(
        self, images: np.ndarray, times: Sequence[float], decoding: Decoding = GREEDY
    ) -> str | None:
        """One description of frames (shown at ``times``) in time order; None when the model
        sees one frame at a time."""
        return None
