"""Which content a video fingerprint stands for in one cache.

The cheap ``cache.fingerprint(path)`` reads 16 chunks of a file, so an edit between them that
keeps the size goes unnoticed. The cache therefore keeps, per fingerprint, a record in
``<root>/sources/<fingerprint>.json``: the full content hash the fingerprint was first given to,
and the (size, mtime) of every file seen with each content. A file whose (size, mtime) is on
record costs nothing more; any other (a copy, a touched or edited file) is hashed whole once.
A file whose content differs from the fingerprint's owner gets a fingerprint of its own, derived
from its full hash, so the edited file and an untouched copy each keep their own indexes and
captions.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from .cache import file_sha256, fingerprint, write_json_atomic

_SEEN_LIMIT = 32  # (size, mtime) pairs remembered per fingerprint


@dataclass(frozen=True)
class Source:
    """A video file as the cache knows it: its cache key and its full content hash."""

    fingerprint: str
    sha256: str
    size: int
    mtime_ns: int


def identify(root: Path, path: Path) -> Source:
    """``path``'s fingerprint in the cache at ``root``, confirmed against its full content."""
    cheap = fingerprint(path)
    stat = path.stat()
    stamp = f"{stat.st_size}:{stat.st_mtime_ns}"
    record_path = root / "sources" / f"{cheap}.json"
    record = _read(record_path)
    known = record.get("seen", {}).get(stamp)
    sha = known or _hash_once(path, stamp)
    if known is None:
        record = _remember(record_path, stamp, sha) or record
    owner = record.get("sha256", sha)
    key = cheap if sha == owner else _derived(sha)
    return Source(key, sha, stat.st_size, stat.st_mtime_ns)


def _derived(sha: str) -> str:
    return hashlib.blake2b(f"videoscout-fp-v1-full:{sha}".encode(), digest_size=16).hexdigest()


# Within one process, a file is hashed once per (size, mtime) even where nothing can be saved.
_hashed: dict[tuple[str, str], str] = {}
_hashed_lock = threading.Lock()


def _hash_once(path: Path, stamp: str) -> str:
    key = (str(path.resolve()), stamp)
    with _hashed_lock:
        if key in _hashed:
            return _hashed[key]
    sha = file_sha256(path)
    with _hashed_lock:
        _hashed[key] = sha
    return sha


def _remember(record_path: Path, stamp: str, sha: str) -> dict | None:
    """Add (stamp -> sha) to the record, under a lock so that parallel runs agree on the owner;
    ``None`` where the cache cannot be written (the next run hashes again, nothing worse)."""
    try:
        record_path.parent.mkdir(parents=True, exist_ok=True)
        with open(record_path.parent / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            record = _read(record_path)
            record.setdefault("sha256", sha)
            seen = record.setdefault("seen", {})
            seen.pop(stamp, None)
            seen[stamp] = sha
            while len(seen) > _SEEN_LIMIT:
                seen.pop(next(iter(seen)))
            write_json_atomic(record_path, record)
            return record
    except OSError:
        return None


def _read(path: Path) -> dict:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) and isinstance(record.get("seen"), dict) else {}
