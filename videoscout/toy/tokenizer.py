"""A word-level tokenizer for the toy world's small language.

The toy CoCa needs a few dozen words, not 49k BPE merges: a small vocabulary makes the output
layer tiny and training on a CPU fast. Ids: pad 0, start 1, unknown 2, words, end last (open_clip
pools the text tower at the highest id, so the end token must have it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import torch

from .truth import PLACES
from .world import BACKGROUNDS, COLOURS, NUMBERS, SHAPES, SIZES

PAD, START, UNKNOWN, END = "<pad>", "<start>", "<unk>", "<end>"
_TEMPLATE_WORDS = (
    "a and nothing caption question answer : ? what colour is the shape object how big many "
    "objects are there where this"
)


def toy_words() -> list[str]:
    """Every word the toy world's captions, questions and answers use, in a fixed order."""
    words: list[str] = []
    for text in (
        _TEMPLATE_WORDS,
        *BACKGROUNDS,
        *PLACES.values(),
        *SHAPES,
        *COLOURS,
        *SIZES,
        *NUMBERS,
    ):
        for word in split_words(text):
            if word not in words:
                words.append(word)
    return words


def split_words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+|[?:]", text.lower())


class WordTokenizer:
    """Callable like open_clip tokenizers: texts -> (N, context_length) LongTensor."""

    def __init__(self, words: Sequence[str], context_length: int) -> None:
        self.vocab = [PAD, START, UNKNOWN, *words, END]
        self.ids = {word: i for i, word in enumerate(self.vocab)}
        self.context_length = context_length
        self.pad_id, self.start_id, self.unknown_id = 0, 1, 2
        self.end_id = len(self.vocab) - 1

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> list[int]:
        """Word ids of ``text`` without start or end tokens."""
        return [self.ids.get(w, self.unknown_id) for w in split_words(text)]

    def __call__(self, texts: str | Iterable[str]) -> torch.Tensor:
        texts = [texts] if isinstance(texts, str) else list(texts)
        out = torch.full((len(texts), self.context_length), self.pad_id, dtype=torch.long)
        for row, text in enumerate(texts):
            ids = [self.start_id, *self.encode(text)][: self.context_length - 1] + [self.end_id]
            out[row, : len(ids)] = torch.tensor(ids)
        return out

    def decode(self, ids: Iterable[int]) -> str:
        """Words up to the first end token; special tokens dropped; '?' and ':' re-attached."""
        words = []
        for i in ids:
            if i == self.end_id:
                break
            if i > self.unknown_id:
                words.append(self.vocab[i])
        return " ".join(words).replace(" ?", "?").replace(" :", ":")
