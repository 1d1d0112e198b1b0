"""Search on large indexes: the int8 first pass and block-wise window growing give exactly the
moments of the full scan they replace, on random and on temporally smooth vectors."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from videoscout.retrieval import FrameIndex, search
from videoscout.retrieval.index import INT8_SCAN_MIN
from videoscout.retrieval.int8_scan import Int8Scan
from videoscout.retrieval.search import find_moments, find_moments_full_scan

DIM = 512
LARGE = INT8_SCAN_MIN + 5_000  # takes the int8 path


@pytest.fixture
def one_faiss_thread():
    """faiss scans one query on one thread, as ``find_moments`` does; with more threads, its
    full scan of 10k+ vectors adds in another order and scores move in the last bit."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield
    faiss.omp_set_num_threads(before)


def unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def random_vectors(count: int, rng: np.random.Generator) -> np.ndarray:
    return unit(rng.normal(size=(count, DIM)))


def smooth_vectors(count: int, rng: np.random.Generator) -> np.ndarray:
    """Like video: a random walk on the sphere (neighbouring frames alike), a cut to a new
    place every ~200 frames, and frozen stretches where frames repeat exactly."""
    steps = rng.normal(size=(count, DIM)).astype(np.float32) * np.float32(0.1 / np.sqrt(DIM))
    cuts = rng.random(count) < 1 / 200
    frozen = rng.random(count) < 1 / 100
    rows = np.empty((count, DIM), dtype=np.float32)
    here = unit(rng.normal(size=DIM))
    for i in range(count):
        if cuts[i]:
            here = unit(rng.normal(size=DIM))
        elif not (frozen[i] or (i and frozen[i - 1])):
            here = unit(here + steps[i])
        rows[i] = here
    return rows


def index_of(vectors: np.ndarray) -> FrameIndex:
    times = np.arange(len(vectors), dtype=np.float64)
    return FrameIndex(vectors, times, times + 1, np.arange(len(vectors)))


def queries_near(vectors: np.ndarray, rng: np.random.Generator, count: int) -> np.ndarray:
    """Queries close to frames, as a text query is to the scene it describes."""
    picks = vectors[rng.integers(0, len(vectors), count)]
    return unit(picks + rng.normal(size=picks.shape).astype(np.float32) * 0.02)


@pytest.mark.parametrize("count", [1, 7, 300, 4097, LARGE])
def test_moments_equal_the_full_scan_on_random_vectors(count, one_faiss_thread):
    rng = np.random.default_rng(count)
    index = index_of(random_vectors(count, rng))
    for query in random_vectors(6, rng):
        for k in (1, 5, 13):  # 13 asks faiss for 104 hits: its other result handler
            assert find_moments(index, query, k) == find_moments_full_scan(index, query, k)


@pytest.mark.parametrize("count", [3_000, LARGE])
def test_moments_equal_the_full_scan_on_smooth_video_like_vectors(count, one_faiss_thread):
    rng = np.random.default_rng(count + 1)
    vectors = smooth_vectors(count, rng)
    index = index_of(vectors)
    lengths = []
    for query in np.concatenate([queries_near(vectors, rng, 8), random_vectors(2, rng)]):
        for k in (1, 5):
            moments = find_moments(index, query, k)
            assert moments == find_moments_full_scan(index, query, k)
            lengths += [m.end - m.start for m in moments]
    assert max(lengths) >= 30  # long windows, grown over several blocks


def test_with_faiss_threads_only_the_last_bit_of_a_score_can_differ():
    rng = np.random.default_rng(5)
    vectors = smooth_vectors(LARGE, rng)
    index = index_of(vectors)
    for query in queries_near(vectors, rng, 4):
        new, old = find_moments(index, query, 5), find_moments_full_scan(index, query, 5)
        assert [(m.rank, m.start, m.end, m.peak) for m in new] == [
            (m.rank, m.start, m.end, m.peak) for m in old
        ]
        assert [m.score for m in new] == pytest.approx([m.score for m in old], abs=1e-6)


def test_a_large_exact_index_is_searched_without_a_float32_full_scan(monkeypatch):
    rng = np.random.default_rng(12)
    index = index_of(random_vectors(LARGE, rng))

    def full_scan(*args, **kwargs):
        raise AssertionError("scored every frame in float32")

    monkeypatch.setattr(index, "scores", full_scan)
    monkeypatch.setattr(search, "_typical_score", full_scan)  # the median's exact value
    assert len(find_moments(index, random_vectors(1, rng)[0], 5)) == 5


def test_the_int8_pass_keeps_few_frames_of_a_large_index():
    rng = np.random.default_rng(6)
    index = index_of(random_vectors(LARGE, rng))
    for query in random_vectors(4, rng):
        kept = index.int8_scan.candidates(query, 64)
        assert kept is not None and 64 <= len(kept) < len(index) // 10


def top_by_full_scan(vectors: np.ndarray, query: np.ndarray, k: int) -> set[int]:
    """Every frame whose float32 score reaches the k-th best: all that may tie for the top k."""
    scores = np.empty(len(vectors), dtype=np.float32)
    faiss.fvec_inner_products_ny(
        faiss.swig_ptr(scores),
        faiss.swig_ptr(query),
        faiss.swig_ptr(vectors),
        vectors.shape[1],
        len(vectors),
    )
    return set(np.flatnonzero(scores >= np.sort(scores)[-k]).tolist())


@pytest.mark.parametrize("shape", ["outlier dimension", "near ties", "long query"])
def test_int8_candidates_hold_every_frame_that_can_be_in_the_top_k(shape, one_faiss_thread):
    rng = np.random.default_rng(7)
    vectors = random_vectors(30_000, rng)
    query = random_vectors(1, rng)[0]
    if shape == "outlier dimension":  # one dimension's scale coarsens its codes 30-fold
        vectors[:, 3] *= 0.05
        vectors[0, 3] = 0.9
        vectors = unit(vectors)
    elif shape == "near ties":  # thousands of frames within the int8 error of each other
        vectors[:5_000] = unit(query + rng.normal(size=(5_000, DIM)).astype(np.float32) * 1e-3)
    else:
        query = query * 7
    vectors = np.ascontiguousarray(vectors)
    scan = Int8Scan(vectors)
    for k in (1, 64, 500):
        kept = scan.candidates(query, k)
        if kept is not None:
            assert top_by_full_scan(vectors, query, k) <= set(kept.tolist())
    index = index_of(vectors)
    expected = index.scores(query, 64)
    got = index.top_frames(query, 64)
    assert np.array_equal(got[0], expected[0]) and np.array_equal(got[1], expected[1])


def test_a_second_pass_collects_more_candidates_than_the_first_kept(monkeypatch):
    rng = np.random.default_rng(11)
    vectors = random_vectors(30_000, rng)
    query = vectors[0]
    vectors[1:3_001] = unit(query + rng.normal(size=(3_000, DIM)).astype(np.float32) * 1e-3)
    scan = Int8Scan(vectors)
    calls = []

    def recorded(name):
        method = getattr(scan.index, name)
        return lambda *args: calls.append(name) or method(*args)

    for name in ("search", "range_search"):
        monkeypatch.setattr(scan.index, name, recorded(name))
    kept = scan.candidates(query, 64)
    assert calls == ["search", "range_search"]
    assert len(kept) > 3_000
    assert top_by_full_scan(vectors, query, 64) <= set(kept.tolist())


def test_where_every_frame_ties_every_frame_is_a_candidate(one_faiss_thread):
    vectors = np.tile(random_vectors(1, np.random.default_rng(8)), (INT8_SCAN_MIN, 1))
    assert len(Int8Scan(vectors).candidates(vectors[0], 64)) == INT8_SCAN_MIN
    index = index_of(vectors)
    got, expected = index.top_frames(vectors[0], 64), index.scores(vectors[0], 64)
    assert np.array_equal(got[0], expected[0]) and np.array_equal(got[1], expected[1])


def test_a_frame_whose_int8_score_errs_most_is_still_kept(one_faiss_thread):
    """The worst case the bound allows for: the query leans along one frame's rounding error,
    so the int8 pass underrates that frame, the exact best, below 1,000 near-ties."""
    rng = np.random.default_rng(9)
    vectors = random_vectors(30_000, rng)
    # Components of +-1/sqrt(DIM): far below each dimension's largest, which sets the scales.
    vectors[0] = rng.choice([-1.0, 1.0], size=DIM) / np.sqrt(DIM)
    scale = Int8Scan(vectors).scale
    best = vectors[0].astype(np.float64)
    rounding = best - np.rint(best / scale) * scale
    query = unit(best + 3 * rounding / np.linalg.norm(rounding))
    # Frames just below the best: ``best`` plus noise orthogonal to it and to the query (same
    # score, longer), normalised.
    plane, _ = np.linalg.qr(np.stack([best, query.astype(np.float64)], axis=1))
    noise = rng.normal(size=(1_000, DIM)) * 0.002
    noise -= (noise @ plane) @ plane.T
    vectors = np.concatenate([vectors, unit(best + noise)])
    scan = Int8Scan(vectors)
    assert np.array_equal(scan.scale, scale)
    assert top_by_full_scan(vectors, query, 1) == {0}
    assert 0 in scan.candidates(query, 1)


def test_above_the_exact_limit_an_ivf_index_finds_the_exact_top_moment():
    rng = np.random.default_rng(10)
    vectors = smooth_vectors(20_000, rng)
    times = np.arange(len(vectors), dtype=np.float64)
    exact = index_of(vectors)
    approx = FrameIndex(vectors, times, times + 1, np.arange(len(vectors)), exact_limit=1_000)
    assert isinstance(approx.faiss_index, faiss.IndexIVFFlat) and not approx.exact
    qs = queries_near(vectors, rng, 20)
    found = [find_moments(approx, q, 3)[0].peak == find_moments(exact, q, 3)[0].peak for q in qs]
    assert sum(found) >= 18
