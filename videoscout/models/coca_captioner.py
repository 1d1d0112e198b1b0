"""CoCa as a captioner: its text decoder continues a prompt for each frame.

Works with any open_clip CoCa (pretrained, random or a local folder) and with the toy CoCa,
through the few parts it needs (``CocaParts``). Generation is our own loop
(``coca_decoding.generate``, batched with a key-value cache), because open_clip 3.3's
``generate`` fails on transformers 5.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ..errors import UsageError
from ..prompts import load_prompt
from .captioner import GREEDY, Captioner, Decoding
from .coca_decoding import generate


@dataclass
class CocaParts:
    model: torch.nn.Module  # an open_clip CoCa
    inputs: Callable[[np.ndarray], torch.Tensor]  # uint8 frames -> normalised model input
    encode: Callable[[str], list[int]]  # text -> token ids, without start or end
    decode: Callable[[list[int]], str]
    start_id: int
    end_id: int


class CocaCaptioner(Captioner):
    """Captions one frame at a time; answers a question by continuing the prompt in
    ``prompts/coca/question.md`` (what the toy CoCa was trained on; pretrained CoCa checkpoints
    were not trained to answer, so expect captions rather than answers from them)."""

    multi_frame = False

    def __init__(
        self,
        spec: str,
        parts: Callable[[], CocaParts],
        *,
        identity: str | None = None,
        caption_prompt: str = "",
        batch_size: int = 16,
        image_size: int | None = None,
    ) -> None:
        self.spec = spec
        self._parts = parts
        self._identity = identity
        self.caption_prompt = caption_prompt
        self.batch_size = batch_size
        self.image_size = image_size
        #: The decoding loop; bench/caption_vqa.py swaps in ``coca_reference.generate_uncached``
        #: to time the loop this one replaced.
        self.generate = generate

    def caption(self, images: np.ndarray, decoding: Decoding = GREEDY) -> list[str]:
        return self._continue(images, [self.caption_prompt] * len(images), decoding)

    def answer_each(
        self, images: np.ndarray, question: str, decoding: Decoding = GREEDY
    ) -> list[str]:
        prompt = load_prompt("coca/question").format(question=question.strip())
        return self._continue(images, [prompt] * len(images), decoding)

    def _continue(self, images: np.ndarray, prompts: list[str], decoding: Decoding) -> list[str]:
        parts = self._parts()
        texts: list[str] = []
        for start in range(0, len(images), self.batch_size):
            chunk = images[start : start + self.batch_size]
            prefixes = [
                [parts.start_id, *parts.encode(p)] for p in prompts[start : start + len(chunk)]
            ]
            limit = parts.model.text.context_length
            longest = max(len(prefix) for prefix in prefixes)
            if longest >= limit - 1:
                raise UsageError(
                    f"the prompt is {longest} tokens long, too long for {self.spec}, which "
                    f"reads at most {limit - 2}; ask a shorter question"
                )
            ids = self.generate(
                parts.model,
                parts.inputs(chunk),
                prefixes,
                parts.end_id,
                method=decoding.method,
                max_new_tokens=decoding.max_new_tokens,
                beams=decoding.beams,
                top_p=decoding.top_p,
                seed=decoding.seed,
            )
            texts += [parts.decode(row).strip() for row in ids]
        return texts
