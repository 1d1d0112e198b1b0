"""One ranked list of moments from several channels: the picture, what is said, what is written.

Reciprocal rank fusion (Cormack et al., 2009) needs no common score scale: a moment earns
``1 / (RRF_K + rank)`` from every channel that ranks it, so one found in the picture and in the
transcript at the same time outranks one found in either alone. Moments of different channels
that overlap in time are one moment, labelled with both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from ..speech.bm25 import strongest
from .search import Moment

RRF_K = 60  # the constant of the original paper; it damps the lead of the very first ranks
CHANNELS = ("frames", "speech", "text")


def timed_moments(hits: Sequence, channel: str) -> list[Moment]:
    """Text hits (anything with ``start``, ``end``, ``score`` and ``text``), best first, as
    moments of ``channel`` quoting their text; hits far below the best are left out."""
    return [
        Moment(rank, h.start, h.end, h.score, h.start, found_in=(channel,), quotes=(h.text,))
        for rank, h in enumerate(strongest(hits), 1)
    ]


def fuse(ranked: Mapping[str, Sequence[Moment]], k: int) -> list[Moment]:
    """The ``k`` best moments over every channel's ranked list, best first."""
    fused: list[dict] = []
    deepest = max((len(moments) for moments in ranked.values()), default=0)
    # Rank by rank across channels, so a moment merges into the best-ranked one it overlaps.
    for depth in range(deepest):
        for channel, moments in ranked.items():
            if depth < len(moments):
                _add(fused, channel, moments[depth], 1.0 / (RRF_K + depth + 1))
    # On a tie, words said or written that match the query beat a picture that resembles it.
    fused.sort(key=lambda f: (-f["score"], f["moment"].found_in == ("frames",), f["moment"].start))
    return [
        replace(f["moment"], rank=rank, score=round(f["score"], 6))
        for rank, f in enumerate(fused[:k], 1)
    ]


def _add(fused: list[dict], channel: str, moment: Moment, share: float) -> None:
    for f in fused:
        m = f["moment"]
        if channel not in m.found_in and moment.start <= m.end and m.start <= moment.end:
            f["moment"] = replace(
                m,
                start=min(m.start, moment.start),
                end=max(m.end, moment.end),
                # The best frame is the picture's; speech and text have none of their own.
                peak=moment.peak if channel == "frames" else m.peak,
                found_in=tuple(c for c in CHANNELS if c in (*m.found_in, channel)),
                quotes=(*m.quotes, *moment.quotes),
            )
            f["score"] += share
            return
    fused.append({"moment": moment, "score": share})
