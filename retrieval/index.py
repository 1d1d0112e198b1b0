"""Frame embeddings with their timestamps, searchable with FAISS, saved and loaded as a unit."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from .cache import write_json_atomic
from .faiss_threads import one_omp_thread
from .int8_scan import Int8Scan

# Exact search reads every frame: with the int8 first pass (``top_frames``) 100 MB at 200k
# frames (55 hours at 1 fps) and 512 dims, ~10 ms on one core. Past it, an inverted file
# (IVF-flat) reads a few percent of the frames. At 250k frames it built in 2-5 s where HNSW (32
# neighbours) took 28 s on video-like vectors and 395 s on random ones, and on video-like vectors
# it found the exact top moment more often (bench/search.py). On vectors with no structure at
# all (random) every approximate index misses most top moments; only exact search finds them.
EXACT_LIMIT = 200_000
APPROXIMATE = "ivf-flat"  # what a manifest should call the search above EXACT_LIMIT
# sqrt(N) lists trained on 40 frames each (faiss wants 39+), a query probes 32 of them: 5% of
# the frames at 400k, ~2% at 2.5M.
IVF_TRAIN_PER_LIST = 40
IVF_PROBES = 32
# Below this many frames the float32 scan takes about a millisecond and the int8 pass and its
# build are not worth having.
INT8_SCAN_MIN = 20_000


@dataclass
class FrameIndex:
    """Unit vectors of sampled frames; frame i covers [times[i], ends[i])."""

    vectors: np.ndarray  # (N, dim) float32, L2-normalised
    times: np.ndarray  # (N,) float64 seconds, ascending
    ends: np.ndarray  # (N,) float64 seconds
    frame_indices: np.ndarray  # (N,) int64 positions in the video
    manifest: dict = field(default_factory=dict)
    exact_limit: int = EXACT_LIMIT
    _faiss: faiss.Index | None = field(default=None, repr=False)
    _int8: Int8Scan | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # faiss reads rows through raw pointers (``top_frames``, the search's window growing).
        self.vectors = np.ascontiguousarray(self.vectors, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.times)

    @property
    def faiss_index(self) -> faiss.Index:
        if self._faiss is None:
            self._faiss = build_faiss(self.vectors, self.exact_limit)
        return self._faiss

    def scores(self, query: np.ndarray, k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the ``k`` frames most similar to one query vector, best first."""
        k = len(self) if k is None else min(k, len(self))
        query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        scores, ids = self.faiss_index.search(query, k)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    @property
    def int8_scan(self) -> Int8Scan:
        if self._int8 is None:
            self._int8 = Int8Scan(self.vectors)
        return self._int8

    def top_frames(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """What ``scores`` returns, without reading every float32 vector on an exact index:
        an int8 pass keeps the frames that can still be among the ``k`` best, and float32
        scores only those, with the same faiss kernel, so scores, order and ties are the full
        scan's (with one thread; faiss's multi-threaded scan adds in another order)."""
        if not self.exact:
            with one_omp_thread():
                return self.scores(query, k)
        k = min(k, len(self))
        query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        ids = self.int8_scan.candidates(query[0], k) if len(self) >= INT8_SCAN_MIN else None
        params = None
        if ids is not None:
            chosen = np.zeros(len(self), dtype=bool)
            chosen[ids] = True
            bits = np.packbits(chosen, bitorder="little")  # kept alive through the search
            selector = faiss.IDSelectorBitmap(len(self), faiss.swig_ptr(bits))
            params = faiss.SearchParameters(sel=selector)
        with one_omp_thread():
            scores, found = self.faiss_index.search(query, k, params=params)
        keep = found[0] >= 0
        return scores[0][keep], found[0][keep]

    @property
    def exact(self) -> bool:
        return len(self) <= self.exact_limit

    def save(self, folder: Path) -> None:
        """Write data files, then the manifest last: a folder with a manifest is complete."""
        np.save(folder / "vectors.npy", self.vectors)
        if not self.exact:  # an exact index rebuilds in milliseconds; IVF takes seconds
            faiss.write_index(self.faiss_index, str(folder / "vectors.faiss"))
        np.savez(
            folder / "frames.npz", times=self.times, ends=self.ends, indices=self.frame_indices
        )
        write_json_atomic(folder / "manifest.json", self.manifest)

    @classmethod
    def load(cls, folder: Path) -> FrameIndex:
        manifest = json.loads((folder / "manifest.json").read_text())
        frames = np.load(folder / "frames.npz")
        saved = folder / "vectors.faiss"
        return cls(
            vectors=np.load(folder / "vectors.npy"),
            times=frames["times"],
            ends=frames["ends"],
            frame_indices=frames["indices"],
            manifest=manifest,
            _faiss=faiss.read_index(str(saved)) if saved.is_file() else None,
        )


def build_faiss(vectors: np.ndarray, exact_limit: int = EXACT_LIMIT) -> faiss.Index:
    """Inner product on unit vectors (= cosine); exact up to ``exact_limit``, IVF-flat above,
    its lists trained on frames spread evenly over the video (so the same vectors always give
    the same index)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    count, dim = vectors.shape
    if count <= exact_limit:
        index = faiss.IndexFlatIP(dim)
    else:
        lists = max(1, min(int(np.sqrt(count)), count // IVF_TRAIN_PER_LIST))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
        step = max(1, count // (lists * IVF_TRAIN_PER_LIST))
        index.train(vectors[::step])
        index.nprobe = min(lists, IVF_PROBES)
    index.add(vectors)
    return index
