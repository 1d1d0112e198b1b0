"""Search latency and index build time against index size: the old search against the new.

    python bench/search.py [--sizes 10000,100000,250000] [--queries 60] [--kind random]

Frames are unit vectors of 512 dims, ``--kind random`` (no structure: the worst case for an
approximate index) or ``smooth`` (like video: a random walk on the sphere with a cut every ~50
frames, queries near a frame). Up to ``EXACT_LIMIT`` frames, the old search
(``find_moments_full_scan``: faiss's full scan, windows grown frame by frame) is timed against
the new (``find_moments``: int8 first pass, block-wise windows); the test suite checks that
they return the same moments, and so does this script on every query. Above it, the old
approximate index (HNSW, 32 neighbours) against the new (``build_faiss``), both searched with
``find_moments``, with the share of queries whose top moment has the exact search's peak
frame, or overlaps its window; the new exact path is timed there too.

Old and new answer the same queries in alternation, so the load of the machine weighs on
both alike: compare the ratios, all measured in one run. ``build`` is everything a first
query waits for: the faiss index, and for the new exact path its int8 codes.
"""

from __future__ import annotations

import argparse
import os
import time

import faiss
import numpy as np

from videoscout.retrieval import FrameIndex
from videoscout.retrieval.faiss_threads import one_omp_thread
from videoscout.retrieval.index import EXACT_LIMIT, INT8_SCAN_MIN, build_faiss
from videoscout.retrieval.search import find_moments, find_moments_full_scan

DIM = 512
K = 5
GOAL_MS = 10.0  # p50 of the new exact search at 100k frames
BLOCK = 10
PAUSE_S = 0.3


def unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def frames(kind: str, count: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "random":
        out = np.empty((count, DIM), dtype=np.float32)
        for start in range(0, count, 65_536):  # bounded float64 temporaries
            stop = min(count, start + 65_536)
            out[start:stop] = unit(rng.standard_normal((stop - start, DIM)))
        return out
    steps = rng.standard_normal((count, DIM), dtype=np.float32) * np.float32(0.15 / np.sqrt(DIM))
    cuts = rng.random(count) < 1 / 50
    out = np.empty((count, DIM), dtype=np.float32)
    here = unit(rng.standard_normal(DIM))
    for i in range(count):
        if cuts[i]:
            here = unit(rng.standard_normal(DIM))
        here = here + steps[i]
        here /= np.linalg.norm(here)
        out[i] = here
    return out


def queries(kind: str, vectors: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "random":
        return unit(rng.standard_normal((count, DIM)))
    near = vectors[rng.integers(0, len(vectors), count)]
    return unit(near + rng.standard_normal(near.shape, dtype=np.float32) * 0.03)


def frame_index(vectors: np.ndarray, **kwargs) -> FrameIndex:
    times = np.arange(len(vectors), dtype=np.float64)
    return FrameIndex(vectors, times, times + 1, np.arange(len(vectors)), **kwargs)


def old_hnsw(vectors: np.ndarray) -> faiss.Index:
    """The approximate index videoscout built above EXACT_LIMIT before issue 15."""
    index = faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efSearch = 128
    index.add(vectors)
    return index


def timed(make):
    start = time.perf_counter()
    value = make()
    return value, time.perf_counter() - start


def race(searches: dict, qs: np.ndarray) -> tuple[dict, dict]:
    """Each search answers every query; (milliseconds, answers) by name. They take turns by
    blocks of ``BLOCK`` queries, pausing at each turn: a multi-threaded search leaves BLAS and
    OpenMP threads spinning for a while after it returns, and those would slow whichever
    search came next. The first query of each is a warm-up, left out of the times."""
    times = {name: [] for name in searches}
    answers = {name: [] for name in searches}
    for first in range(0, len(qs), BLOCK):
        for name, search in searches.items():
            time.sleep(PAUSE_S)
            for i in range(first, min(len(qs), first + BLOCK)):
                start = time.perf_counter()
                moments = search(qs[i])
                if i:
                    times[name].append((time.perf_counter() - start) * 1000)
                answers[name].append(moments)
    return times, answers


def percentiles(ms: list[float]) -> tuple[float, float]:
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def _cells(build: float, p50: float, p95: float) -> str:
    return f"build {build:7.2f} s  p50 {p50:7.2f} ms  p95 {p95:7.2f} ms"


def agreement(approx: list, exact: list) -> tuple[float, float]:
    """Shares of queries whose top moment has the exact one's peak, and overlaps its window."""
    same = overlap = 0
    for a, e in zip(approx, exact, strict=True):
        same += a[0].peak == e[0].peak
        overlap += a[0].start < e[0].end and e[0].start < a[0].end
    return same / len(exact), overlap / len(exact)


def bench_exact(vectors: np.ndarray, qs: np.ndarray) -> None:
    old_index, old_build = timed(lambda: frame_index(vectors).faiss_index)
    new = frame_index(vectors)
    _, new_build = timed(
        lambda: (new.faiss_index, new.int8_scan if len(new) >= INT8_SCAN_MIN else None)
    )
    old = frame_index(vectors, _faiss=old_index)
    times, answers = race(
        {
            "old": lambda q: find_moments_full_scan(old, q, K),
            "new": lambda q: find_moments(new, q, K),
        },
        qs,
    )
    with one_omp_thread():  # faiss's one-thread scan: the same additions as the new path
        old_alone = [find_moments_full_scan(old, q, K) for q in qs]
    same = sum(a == b for a, b in zip(old_alone, answers["new"], strict=True))
    windows = sum(
        [(m.start, m.end, m.peak) for m in a] == [(m.start, m.end, m.peak) for m in b]
        for a, b in zip(answers["old"], answers["new"], strict=True)
    )
    (o50, o95), (n50, n95) = percentiles(times["old"]), percentiles(times["new"])
    count = len(vectors)
    print(f"{count:>8}  {'old full scan':<18}{_cells(old_build, o50, o95)}")
    print(f"{'':>8}  {'new exact':<18}{_cells(new_build, n50, n95)}")
    print(
        f"{'':>8}  old / new: p50 {o50 / n50:5.1f}x, p95 {o95 / n95:5.1f}x; "
        f"build new / old {new_build / old_build:5.1f}x"
    )
    print(
        f"{'':>8}  identical moments {same}/{len(qs)} (old on one faiss thread); with faiss's "
        f"threads windows and peaks {windows}/{len(qs)}, scores to the last bit or so"
    )
    if count == 100_000:
        ok = "ok" if n50 < GOAL_MS else "MISSED"
        print(f"{'':>8}  goal: new p50 < {GOAL_MS:g} ms at 100k frames: {ok}")


def bench_approximate(vectors: np.ndarray, qs: np.ndarray, old_graph: bool) -> None:
    exact = frame_index(vectors, exact_limit=len(vectors))
    _, exact_build = timed(lambda: (exact.faiss_index, exact.int8_scan))
    new_faiss, new_build = timed(lambda: build_faiss(vectors))
    new = frame_index(vectors, _faiss=new_faiss)
    searches = {
        "exact": lambda q: find_moments(exact, q, K),
        "new": lambda q: find_moments(new, q, K),
    }
    if old_graph:
        old_faiss, old_build = timed(lambda: old_hnsw(vectors))
        old = frame_index(vectors, _faiss=old_faiss)
        searches["old"] = lambda q: find_moments(old, q, K)
    times, answers = race(searches, qs)
    count = len(vectors)
    rows = [
        ("exact", "new exact", exact_build),
        ("new", type(new_faiss).__name__, new_build),
    ]
    if old_graph:
        rows.append(("old", "old HNSW32", old_build))
    for name, label, build in rows:
        p50, p95 = percentiles(times[name])
        line = f"{count if name == 'exact' else '':>8}  {label:<18}{_cells(build, p50, p95)}"
        if name != "exact":
            same, overlap = agreement(answers[name], answers["exact"])
            line += f"  top moment: same peak {same:.2f}, overlaps {overlap:.2f}"
        print(line)
    if not old_graph:
        print(f"{'':>8}  old HNSW32: not built (--old-hnsw builds it)")
    else:
        o50, n50 = percentiles(times["old"])[0], percentiles(times["new"])[0]
        print(
            f"{'':>8}  old / new approximate: p50 {o50 / n50:5.1f}x; build old / new "
            f"{old_build / new_build:5.1f}x"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,250000")
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--kind", choices=["random", "smooth"], default="random")
    parser.add_argument(
        "--old-hnsw",
        action="store_true",
        help="above EXACT_LIMIT also build the old HNSW index: minutes on random vectors",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    print(
        f"{args.kind} unit vectors, {DIM} dims, k={K}, {args.queries} queries; faiss "
        f"{faiss.__version__}, {os.cpu_count()} cpus, load average {os.getloadavg()[0]:.2f}; "
        f"exact up to EXACT_LIMIT = {EXACT_LIMIT}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        vectors = frames(args.kind, size, rng)
        qs = queries(args.kind, vectors, args.queries + 1, rng)
        if size <= EXACT_LIMIT:
            bench_exact(vectors, qs)
        else:
            bench_approximate(vectors, qs, old_graph=args.old_hnsw)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
