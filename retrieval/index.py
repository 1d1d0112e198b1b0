"""Frame embeddings with their timestamps, searchable with FAISS, saved and loaded as a unit."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from .cache import write_json_atomic

# Exact search over N vectors costs N*dim multiply-adds per query: at 200k frames (55 hours at
# 1 fps) and 512 dims that is ~0.1 G flops, ~20 ms on one laptop core. Past it, HNSW answers in
# well under a millisecond with recall near 1 and, unlike IVF, needs no training set.
EXACT_LIMIT = 200_000
HNSW_NEIGHBOURS = 32


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
    def exact(self) -> bool:
        return len(self) <= self.exact_limit

    def save(self, folder: Path) -> None:
        """Write data files, then the manifest last: a folder with a manifest is complete."""
        np.save(folder / "vectors.npy", self.vectors)
        if not self.exact:  # an exact index rebuilds in milliseconds; HNSW is worth keeping
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
    """Inner product on unit vectors (= cosine); exact below ``exact_limit``, HNSW above."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    if len(vectors) <= exact_limit:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = 128
    index.add(vectors)
    return index
