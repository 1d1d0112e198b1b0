"""From a query vector to ranked moments: peaks of similarity grown into time windows."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from videoscout import render

from .index import FrameIndex

# Frames used to estimate the typical (background) similarity of a query.
_BACKGROUND_SAMPLE = 4096


@dataclass(frozen=True)
class Moment:
    """A stretch of video that matches a query; ``peak`` is its best frame's time."""

    rank: int
    start: float
    end: float
    score: float
    peak: float

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return render.moment_line(self)


def find_moments(index: FrameIndex, query: np.ndarray, k: int = 5) -> list[Moment]:
    """Top-``k`` non-overlapping windows for one unit query vector.

    Each window starts at one of the best-scoring frames and grows over neighbouring frames
    (in time) that keep at least half the peak's lead over the typical frame: the full width at
    half maximum of the similarity bump, so a long matching scene becomes one window.
    """
    if len(index) == 0 or k < 1:
        return []
    query = np.asarray(query, dtype=np.float32).reshape(-1)
    background = _typical_score(index, query)
    scores, ids = index.scores(query, k=max(8 * k, 64))
    taken = np.zeros(len(index), dtype=bool)
    moments: list[Moment] = []
    for peak_score, peak in zip(scores.tolist(), ids.tolist(), strict=True):
        if taken[peak]:
            continue
        floor = peak_score - 0.5 * max(peak_score - background, 0.0)
        first = last = peak
        while first > 0 and not taken[first - 1] and _score(index, first - 1, query) >= floor:
            first -= 1
        while (
            last + 1 < len(index)
            and not taken[last + 1]
            and _score(index, last + 1, query) >= floor
        ):
            last += 1
        taken[first : last + 1] = True
        moments.append(
            Moment(
                rank=len(moments) + 1,
                start=float(index.times[first]),
                end=float(index.ends[last]),
                score=float(peak_score),
                peak=float(index.times[peak]),
            )
        )
        if len(moments) == k:
            break
    return moments


def _score(index: FrameIndex, i: int, query: np.ndarray) -> float:
    return float(index.vectors[i] @ query)


def _typical_score(index: FrameIndex, query: np.ndarray) -> float:
    vectors = index.vectors
    if len(vectors) > _BACKGROUND_SAMPLE:
        step = len(vectors) // _BACKGROUND_SAMPLE
        vectors = vectors[::step]
    return float(np.median(vectors @ query))
