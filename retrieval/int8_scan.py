"""A first pass over int8 codes of the frame vectors that provably keeps the exact top k.

An exact top-k reads every vector: at 100k frames of 512 float32 dims that is 200 MB per
query, ~10 ms of memory bandwidth on one core. Here each dimension is scaled to int8 (a
quarter of the bytes) and faiss's ``QT_8bit_direct_signed`` scanner, which multiplies integers,
scores every frame. Each score is off by at most a bound computed from the codes and the query,
so every frame that could be in the exact top k is kept as a candidate; only those few are then
scored in float32 (``FrameIndex.top_frames``). The result is the full scan's, bit for bit. At
100k frames the pass takes ~3 ms on one core, against ~10 ms for the float32 scan.
"""

from __future__ import annotations

import faiss
import numpy as np

from .faiss_threads import one_omp_thread

# float32 dot products of length d differ from the real ones by at most d*u/(1 - d*u) of
# sum |q_j v_j| (u = 2**-24), whatever order faiss or BLAS adds them in.
_FLOAT32_UNIT = 2.0**-24
# Frames the first pass keeps: a heap of a few thousand would cost more than a second pass.
_FIRST_PASS = 1024
# Frames quantised per step while building: bounds the float32 temporaries.
_CHUNK = 16_384


class Int8Scan:
    """Every frame's score to within a bound (``_error``), from one byte per dimension."""

    def __init__(self, vectors: np.ndarray) -> None:
        count, dim = vectors.shape
        scale = np.abs(vectors).max(axis=0).astype(np.float32) / np.float32(127)
        scale[scale == 0] = 1
        self.scale = scale.astype(np.float64)  # the codes stand for codes * scale exactly
        self.count = count
        # The query's integers: 127 levels, fewer past ~1000 dims, so that no sum of products
        # (each up to 127 * levels) can reach 2**24, where float32 stops holding integers.
        self.levels = min(127, (2**24 - 1) // (dim * 127))
        # An inverted file of one list: the same scanner as a flat int8 index, but its range
        # search runs on it too (the flat index's is ~100x slower).
        self.index = faiss.IndexIVFScalarQuantizer(
            faiss.IndexFlatIP(dim),
            dim,
            1,
            faiss.ScalarQuantizer.QT_8bit_direct_signed,
            faiss.METRIC_INNER_PRODUCT,
            False,
        )
        residual = code_norm = vector_norm = 0.0
        for start in range(0, count, _CHUNK):
            chunk = np.asarray(vectors[start : start + _CHUNK], dtype=np.float32)
            codes = np.rint(chunk / scale)  # integers in [-127, 127], held exactly
            residual = max(residual, _max_norm(chunk - codes * scale))
            code_norm = max(code_norm, _max_norm(codes))  # exact: sums of squares < 2**24
            vector_norm = max(vector_norm, _max_norm(chunk))
            self._add(codes, start)
        # Norms taken in float32 are off by far less than these margins.
        self.residual = residual * (1 + 1e-4) + 1e-6 * vector_norm
        self.code_norm = code_norm
        self.vector_norm = vector_norm * (1 + 1e-4)

    def _add(self, codes: np.ndarray, start: int) -> None:
        """Append codes (float32 integers) as frames ``start`` on. faiss stores each as a byte,
        value + 128; writing those bytes into its one list directly takes a fifth of the time
        ``add`` takes to assign and encode them, where faiss agrees on the bytes."""
        if not self.index.is_trained:
            self.index.train(codes)  # one list, codes taken as they are: nothing to learn
        stored = np.ascontiguousarray(codes.astype(np.int8).view(np.uint8) ^ 0x80)
        if not np.array_equal(self.index.sq.compute_codes(codes[:8]), stored[:8]):
            self.index.add(codes)
            return
        ids = np.arange(start, start + len(codes), dtype=np.int64)
        self.index.invlists.add_entries(0, len(codes), faiss.swig_ptr(ids), faiss.swig_ptr(stored))
        self.index.ntotal += len(codes)

    def candidates(self, query: np.ndarray, k: int) -> np.ndarray | None:
        """Sorted ids of a set of frames that holds every frame whose float32 score could be
        among the ``k`` best (ties included); None when that is every frame anyway."""
        weights = np.asarray(query, dtype=np.float64).reshape(-1) * self.scale
        largest = np.abs(weights).max()
        if largest == 0 or k >= self.count:
            return None
        # The query, scaled by the codes' scales, rounded to integers: faiss then multiplies
        # integers, exactly, and the only errors are the two roundings, which ``_error`` bounds.
        factor = self.levels / largest
        integers = np.rint(weights * factor).astype(np.float32)[None]
        error = self._error(query, weights - integers[0] / factor)
        wanted = min(self.count, max(16 * k, _FIRST_PASS))
        with one_omp_thread():
            scores, ids = self.index.search(integers, wanted)
        approx = scores[0] / factor
        # The k-th best frame by these scores has a float32 score >= approx[k-1] - error, so no
        # frame scoring below approx[k-1] - 2 * error here can beat it.
        floor = approx[k - 1] - 2 * error
        if wanted == self.count or approx[-1] < floor:
            return np.sort(ids[0][approx >= floor])
        # More frames than were kept may still make it: a second pass collects every frame at or
        # above the floor (scores here are integers over ``factor``).
        radius = float(np.ceil(floor * factor) - 0.5)
        with one_omp_thread():
            _, _, ids = self.index.range_search(integers, radius)
        return np.sort(ids)

    def _error(self, query: np.ndarray, rounding: np.ndarray) -> float:
        """Largest gap between a frame's score here and its float32 score: the codes' rounding,
        the query's rounding, and float32's own error in the exact scan."""
        query_norm = float(np.linalg.norm(np.asarray(query, dtype=np.float64)))
        dim = len(self.scale)
        float32 = dim * _FLOAT32_UNIT / (1 - dim * _FLOAT32_UNIT)
        return (
            query_norm * self.residual
            + float(np.linalg.norm(rounding)) * self.code_norm
            + float32 * query_norm * self.vector_norm
        ) * (1 + 1e-9)


def _max_norm(rows: np.ndarray) -> float:
    return float(np.sqrt(np.einsum("ij,ij->i", rows, rows).max())) if len(rows) else 0.0
