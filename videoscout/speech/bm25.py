"""Okapi BM25 ranking of short texts (transcript segments, on-screen text lines) for a query.

Terms are the words, lower-cased, with a light plural and third-person "-s" folded away (so
"circles appear" finds "a circle appears"), and each pair of neighbouring words: a text that
says the query's words in its order ("small white circle") beats one that merely contains them
("a small red circle ... white"), which matters when texts share most of their words or some
were misheard. Nothing here knows about time: callers rank their texts and attach times to the
indices that come back.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import TypeVar

K1 = 1.5
B = 0.75
# Hits scoring under this share of the best one share a common word with the query ("scene" of
# "scene 2") but not what makes it specific.
STRONG_SHARE = 0.5

T = TypeVar("T")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokens(text: str) -> list[str]:
    return [_fold(word) for word in _WORD.findall(text.lower())]


def terms(text: str) -> list[str]:
    """The words of ``text`` and its word pairs (written "a b")."""
    words = tokens(text)
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def _fold(word: str) -> str:
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def strongest(hits: Sequence[T]) -> list[T]:
    """The ``hits`` (ranked results with a ``score``) that score at least ``STRONG_SHARE`` of
    the best one, in their order."""
    best = max((h.score for h in hits), default=0.0)
    return [h for h in hits if h.score >= STRONG_SHARE * best]


def rank(texts: Sequence[str], query: str, k: int | None = None) -> list[tuple[int, float]]:
    """(index into ``texts``, score) of the texts sharing a word with ``query``, best first;
    ties keep the texts' order."""
    wanted = terms(query)
    if not wanted or not texts:
        return []
    docs = [Counter(terms(text)) for text in texts]
    lengths = [sum(doc.values()) for doc in docs]
    average = sum(lengths) / len(docs) or 1.0
    containing = Counter(word for doc in docs for word in set(doc))
    weights = {
        word: math.log(1 + (len(docs) - containing[word] + 0.5) / (containing[word] + 0.5))
        for word in set(wanted)
    }
    query_counts = Counter(wanted)
    scored = []
    for i, (doc, length) in enumerate(zip(docs, lengths, strict=True)):
        score = 0.0
        for word, times in query_counts.items():
            tf = doc.get(word, 0)
            if tf:
                norm = tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))
                score += times * weights[word] * norm
        if score > 0:
            scored.append((i, score))
    scored.sort(key=lambda item: -item[1])
    return scored[:k] if k is not None else scored
