"""What checking cache entries costs: saving with checksums, loading with and without checks.

    python bench/cache_check.py [--frames 100000] [--dim 512] [--repeat 3]

An index of random unit vectors (100k x 512 float32 is 205 MB: 28 hours of video at one frame
per second) is saved and sealed in a temporary folder, then loaded the old way
(``FrameIndex.load``, no checks) and the checked way (``integrity.load_checked``: sizes,
SHA-256 of every file, shapes, one vector per frame, unit lengths). Files are in the page
cache, as on any load but the first after a reboot; the best of ``--repeat`` runs is shown.
The last line compares the hashes a video's first-seen content check could use.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

import numpy as np

from videoscout.retrieval.cache import file_sha256
from videoscout.retrieval.index import FrameIndex
from videoscout.retrieval.integrity import load_checked, seal


def best_of(repeat: int, run) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def blake2b_of(path: Path) -> str:
    digest = hashlib.blake2b()
    with path.open("rb", buffering=0) as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((args.frames, args.dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    times = np.arange(args.frames, dtype=np.float64)
    index = FrameIndex(vectors, times, times + 1, np.arange(args.frames), {"bench": True})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        save = best_of(args.repeat, lambda: index.save(folder))
        sealing = best_of(args.repeat, lambda: seal(folder, index))
        plain = best_of(args.repeat, lambda: FrameIndex.load(folder))
        checked = best_of(args.repeat, lambda: load_checked(folder))
        data = folder / "vectors.npy"
        megabytes = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        sha = best_of(args.repeat, lambda: file_sha256(data))
        blake = best_of(args.repeat, lambda: blake2b_of(data))
    data_mb = vectors.nbytes / 1e6
    print(f"index: {args.frames} x {args.dim} float32, {megabytes:.0f} MB on disk")
    print(f"save {save * 1e3:.0f} ms, + seal (hash every file) {sealing * 1e3:.0f} ms")
    print(f"load unchecked {plain * 1e3:.0f} ms, checked {checked * 1e3:.0f} ms")
    rates = f"SHA-256 {data_mb / sha:.0f} MB/s, BLAKE2b {data_mb / blake:.0f} MB/s"
    print(f"hash {data_mb:.0f} MB: {rates}")


if __name__ == "__main__":
    main()
