"""faiss's OpenMP threads, held to one while a single query runs."""

from __future__ import annotations

from contextlib import contextmanager

import faiss


@contextmanager
def one_omp_thread():
    """One query's scan on one thread: faiss otherwise starts a thread per core that only waits,
    and on a busy machine the scan then waits for them. The setting is this thread's own."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)
