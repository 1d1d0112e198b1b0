"""From a query vector to ranked moments: peaks of similarity grown into time windows."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import faiss
import numpy as np

from videoscout import render

from .faiss_threads import one_omp_thread
from .index import FrameIndex

# Frames used to estimate the typical (background) similarity of a query.
_BACKGROUND_SAMPLE = 4096
_FLOAT32_UNIT = 2.0**-24


@dataclass(frozen=True)
class Moment:
    """A stretch of video that matches a query; ``peak`` is its best frame's time."""

    rank: int
    start: float
    end: float
    score: float
    peak: float
    # Where it was found: "frames" (the picture), "speech" (what is said), "text" (on screen);
    # ``quotes`` holds what was said or written there.
    found_in: tuple[str, ...] = ("frames",)
    quotes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return render.moment_line(self)


def find_moments(index: FrameIndex, query: np.ndarray, k: int = 5) -> list[Moment]:
    """Top-``k`` non-overlapping windows for one unit query vector.

    Each window starts at one of the best-scoring frames and grows over neighbouring frames
    (in time) that keep at least half the peak's lead over the typical frame: the full width at
    half maximum of the similarity bump, so a long matching scene becomes one window.

    The moments are exactly ``find_moments_full_scan``'s, but only the top hits and the frames
    around them are scored (``FrameIndex.top_frames``, ``_reach``), all on this thread.
    """
    if len(index) == 0 or k < 1:
        return []
    query = np.asarray(query, dtype=np.float32).reshape(-1)
    typical = _Typical(index, query)
    scores, ids = index.top_frames(query, k=max(8 * k, 64))
    taken = np.zeros(len(index), dtype=bool)
    moments: list[Moment] = []
    for peak_score, peak in zip(scores.tolist(), ids.tolist(), strict=True):
        if taken[peak]:
            continue
        first = _reach(index, query, peak, peak_score, typical, taken, step=-1)
        last = _reach(index, query, peak, peak_score, typical, taken, step=1)
        taken[first : last + 1] = True
        moments.append(_moment(index, len(moments) + 1, first, last, peak, peak_score))
        if len(moments) == k:
            break
    return moments


class _Typical:
    """A query's typical score (``_typical_score``), estimated on this thread to within
    ``error``. The exact value, for which numpy's BLAS wakes a second thread (on a busy machine
    that alone can take 20 ms), is computed only if a frame lands that close to a floor."""

    def __init__(self, index: FrameIndex, query: np.ndarray) -> None:
        self.index, self.query = index, query
        # Two float32 dot products of the same unit vectors, added in different orders, differ
        # by at most 2 * d * 2**-24 * |query|; twice that leaves room.
        self.tolerance = 4 * len(query) * _FLOAT32_UNIT * float(np.linalg.norm(query))
        step = len(index) // _BACKGROUND_SAMPLE if len(index) > _BACKGROUND_SAMPLE else 1
        sample = _scores_at(index.vectors, query, np.arange(0, len(index), step))
        self.estimate = float(np.median(sample))
        # A median moves no more than the values it is taken of; plus its own rounding.
        self.error = self.tolerance + 1e-6
        self._exact: float | None = None

    def exact(self) -> float:
        if self._exact is None:
            self._exact = _typical_score(self.index, self.query)
        return self._exact


def _floor(peak_score: float, background: float) -> float:
    """The score a frame needs to join the window of a peak: half its lead over the typical."""
    return peak_score - 0.5 * max(peak_score - background, 0.0)


def _reach(
    index: FrameIndex,
    query: np.ndarray,
    peak: int,
    peak_score: float,
    typical: _Typical,
    taken: np.ndarray,
    step: int,
) -> int:
    """The farthest frame from ``peak`` in direction ``step`` (+1 or -1) such that every frame
    from the peak to it is free and scores at least the peak's floor.

    Frames are scored in blocks that double, instead of one dot product at a time, and against
    a floor from the estimated typical score. Both add in another order than
    ``find_moments_full_scan``, so a frame that lands within their error of the floor is
    decided again by that function's own arithmetic: the windows are its windows.
    """
    floor = _floor(peak_score, typical.estimate)
    unsure = typical.tolerance + 0.5 * typical.error
    edge, size = peak, 8
    while True:
        if step > 0:
            low, high = edge + 1, min(len(index), edge + 1 + size)
        else:
            low, high = max(0, edge - size), edge
        if low >= high:
            return edge
        block = _scores_at(index.vectors, query, np.arange(low, high))
        free = ~taken[low:high]
        if step < 0:
            block, free = block[::-1], free[::-1]
        sure_in = free & (block >= floor + unsure)
        for i in np.flatnonzero(~sure_in).tolist():  # in order, outward from the peak
            frame = edge + step * (i + 1)
            if not free[i] or block[i] < floor - unsure:
                return frame - step
            if _score(index, frame, query) < _floor(peak_score, typical.exact()):
                return frame - step
        edge = high - 1 if step > 0 else low
        size *= 2


def _scores_at(vectors: np.ndarray, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """float32 scores of the frames ``ids``, computed by faiss on this thread (as float64)."""
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    out = np.empty(len(ids), dtype=np.float32)
    with one_omp_thread():
        faiss.fvec_inner_products_by_idx(
            faiss.swig_ptr(out),
            faiss.swig_ptr(query),
            faiss.swig_ptr(vectors),
            faiss.swig_ptr(ids),
            len(query),
            1,
            len(ids),
        )
    return out.astype(np.float64)


def find_moments_full_scan(index: FrameIndex, query: np.ndarray, k: int = 5) -> list[Moment]:
    """``find_moments`` as first written, kept as the reference its tests and bench/search.py
    compare against: faiss's full scan for the top hits, windows grown one frame at a time.

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
        moments.append(_moment(index, len(moments) + 1, first, last, peak, peak_score))
        if len(moments) == k:
            break
    return moments


def _moment(index: FrameIndex, rank: int, first: int, last: int, peak: int, score: float) -> Moment:
    """The moment of frames ``first``-``last`` around ``peak``."""
    return Moment(
        rank=rank,
        start=float(index.times[first]),
        end=float(index.ends[last]),
        score=float(score),
        peak=float(index.times[peak]),
    )


def _score(index: FrameIndex, i: int, query: np.ndarray) -> float:
    return float(index.vectors[i] @ query)


def _typical_score(index: FrameIndex, query: np.ndarray) -> float:
    vectors = index.vectors
    if len(vectors) > _BACKGROUND_SAMPLE:
        step = len(vectors) // _BACKGROUND_SAMPLE
        vectors = vectors[::step]
    return float(np.median(vectors @ query))
