"""Ranking on-screen text spans for a query, with the BM25 the transcript uses.

OCR often drops the space between a word and a number ("SCENE2" for "SCENE 2"), so letters and
digits are split apart on both sides before ranking: "scene 2" then finds "SCENE2".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..speech.bm25 import rank
from .spans import TextSpan

_LETTERS_DIGITS = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


def split_numbers(text: str) -> str:
    """``text`` with a space wherever letters meet digits: "SCENE2" -> "SCENE 2"."""
    return _LETTERS_DIGITS.sub(" ", text)


@dataclass(frozen=True)
class TextHit:
    """An on-screen text span that matches a query; higher ``score`` is better (BM25)."""

    span: TextSpan
    score: float

    @property
    def start(self) -> float:
        return self.span.start

    @property
    def end(self) -> float:
        return self.span.end

    @property
    def text(self) -> str:
        return self.span.text

    def to_dict(self) -> dict:
        return {**self.span.to_dict(), "score": round(self.score, 4)}


def find_spans(spans: Sequence[TextSpan], query: str, k: int = 5) -> list[TextHit]:
    """The ``k`` spans best matching ``query``, best first (earlier first on ties); spans that
    share no word with it are left out, so a query nothing matches returns ``[]``."""
    ranked = rank([split_numbers(s.text) for s in spans], split_numbers(query))
    hits = [TextHit(spans[i], score) for i, score in ranked]
    hits.sort(key=lambda hit: (-hit.score, hit.start))
    return hits[:k]
