"""What an index entry's manifest records about its files, checked on every load.

Flipped bits, a truncated or emptied file, a vectors file with rows missing: none may ever turn
into answers. The manifest records each data file's size and SHA-256, each array's shape and
dtype, and a checksum of itself; loading compares them all before trusting a byte, then checks
that the vectors are one per frame and unit length. For 100k x 512 float32 vectors (28 hours at
1 frame per second, 205 MB) that adds 0.2-0.35 s to a 0.04-0.07 s load on a busy 2-core
machine, nearly all of it SHA-256 (``bench/cache_check.py``); an hour at 1 fps adds ~10 ms.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from .cache import file_sha256, write_json_atomic
from .index import FrameIndex

MANIFEST = "manifest.json"
# Models normalise in float32 (after any low-precision pass), so a unit vector is off by ~1e-7;
# a flipped bit in a float32's exponent or high mantissa moves its row's length far more.
NORM_TOLERANCE = 1e-3


class DamagedEntry(Exception):
    """An entry's files are not what its manifest recorded; the message says what differs."""


class OutdatedEntry(DamagedEntry):
    """An entry written before manifests recorded checksums: nothing to check it against."""


def seal(folder: Path, index: FrameIndex) -> None:
    """Add the files' sizes and hashes, the arrays' shapes and the manifest's own checksum to
    ``index.manifest``, and write it over the folder's manifest."""
    manifest = index.manifest
    manifest["files"] = {
        path.name: {"bytes": path.stat().st_size, "sha256": file_sha256(path)}
        for path in sorted(folder.iterdir())
        if path.name != MANIFEST
    }
    manifest["arrays"] = _shapes(index, with_faiss=(folder / "vectors.faiss").exists())
    manifest["checksum"] = _checksum(manifest)
    write_json_atomic(folder / MANIFEST, manifest)


def load_checked(folder: Path) -> FrameIndex:
    """The entry in ``folder``, or ``DamagedEntry`` saying what is wrong with it."""
    manifest = read_manifest(folder)
    _check_files(folder, manifest["files"])
    try:
        index = FrameIndex.load(folder)
    except Exception as exc:  # noqa: BLE001 - files that match their checksums failed to parse
        raise DamagedEntry(f"its files do not load ({type(exc).__name__}: {exc})") from exc
    recorded = manifest["arrays"]
    found = _shapes(index, with_faiss="faiss" in recorded)
    if found != recorded:
        raise DamagedEntry(f"its arrays are {found}, the manifest says {recorded}")
    if problem := vector_problem(index.vectors, len(index.times)):
        raise DamagedEntry(problem)
    return index


def read_manifest(folder: Path) -> dict:
    """The manifest, checked against its own checksum."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise DamagedEntry(f"{MANIFEST} is unreadable ({exc})") from exc
    if not isinstance(manifest, dict) or "checksum" not in manifest:
        raise OutdatedEntry("it was written without checksums, by an older videoscout")
    if manifest["checksum"] != _checksum(manifest):
        raise DamagedEntry(f"{MANIFEST} does not match its checksum")
    if not (isinstance(manifest.get("files"), dict) and isinstance(manifest.get("arrays"), dict)):
        raise DamagedEntry(f"{MANIFEST} lacks its record of the files")
    return manifest


def vector_problem(vectors: np.ndarray, rows: int) -> str | None:
    """What is wrong with ``vectors`` as the unit vectors of ``rows`` frames, if anything."""
    if vectors.ndim != 2 or len(vectors) != rows:
        return f"{vectors.shape} vectors for {rows} frames"
    lengths = np.sqrt(np.einsum("ij,ij->i", vectors, vectors, dtype=np.float64))
    bad = ~(np.abs(lengths - 1.0) <= NORM_TOLERANCE)  # NaN counts as bad
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        return f"{int(bad.sum())} vectors are not unit length (row {first}: {lengths[first]:.6g})"
    return None


def _check_files(folder: Path, recorded: dict) -> None:
    present = {p.name for p in folder.iterdir() if p.name != MANIFEST}
    if missing := sorted(set(recorded) - present):
        raise DamagedEntry(f"{', '.join(missing)} missing")
    if extra := sorted(present - set(recorded)):
        raise DamagedEntry(f"unexpected {', '.join(extra)}")
    for name, facts in recorded.items():  # sizes first: they cost no reading
        size = (folder / name).stat().st_size
        if size != facts["bytes"]:
            raise DamagedEntry(f"{name} is {size} bytes, the manifest says {facts['bytes']}")
    for name, facts in recorded.items():
        if file_sha256(folder / name) != facts["sha256"]:
            raise DamagedEntry(f"{name} does not match its checksum")


def _shapes(index: FrameIndex, *, with_faiss: bool) -> dict:
    arrays = {
        name: {"shape": list(array.shape), "dtype": str(array.dtype)}
        for name, array in (
            ("vectors", index.vectors),
            ("times", index.times),
            ("ends", index.ends),
            ("frame_indices", index.frame_indices),
        )
    }
    if with_faiss:
        searcher = index.faiss_index
        arrays["faiss"] = {"shape": [int(searcher.ntotal), int(searcher.d)], "dtype": "float32"}
    return arrays


def _checksum(manifest: dict) -> str:
    body = {k: v for k, v in manifest.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
