"""Moment retrieval: frame embeddings in a cached FAISS index, searched with text."""

from .cache import IndexCache, default_cache_dir, fingerprint
from .index import FrameIndex
from .search import Moment, find_moments
from .store import IndexResult, load_or_build

__all__ = [
    "FrameIndex",
    "IndexCache",
    "IndexResult",
    "Moment",
    "default_cache_dir",
    "find_moments",
    "fingerprint",
    "load_or_build",
]
