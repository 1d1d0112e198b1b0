"""Load an index from the cache, or build, save and publish it.

A cached entry is used only if its files are what its manifest recorded (``integrity``) and it
was built from the same content as the video file now (``sources``); any other entry is rebuilt.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from videoscout.models.embedder import ImageTextEmbedder
from videoscout.version import __version__
from videoscout.video import Sampling, VideoInfo, fit_short_side, open_source

from .build import BuildStats, Progress, embed_video
from .cache import IndexCache, entry_key
from .index import APPROXIMATE, EXACT_LIMIT, FrameIndex
from .integrity import DamagedEntry, OutdatedEntry, load_checked, seal, vector_problem

log = logging.getLogger(__name__)


@dataclass
class IndexResult:
    index: FrameIndex
    folder: Path
    reused: bool
    stats: BuildStats | None = None


def load_or_build(
    info: VideoInfo,
    embedder: ImageTextEmbedder,
    sampling: Sampling,
    cache: IndexCache,
    *,
    backend: str | None = None,
    batch_size: int = 32,
    force: bool = False,
    progress: Progress | None = None,
    exact_limit: int = EXACT_LIMIT,
    video_fp: str | None = None,
) -> IndexResult:
    """The index of ``info``'s video for ``embedder`` and ``sampling``: the cached entry, or a
    new one built and saved. ``video_fp`` is the file's ``cache.fingerprint`` when the caller
    has it. A damaged entry is reported (one warning naming it) and rebuilt, never used."""
    video_fp = video_fp or cache.fingerprint(info.path)
    key = entry_key({"model": embedder.identity, "sampling": sampling.key()})
    folder = None if force else cache.lookup(video_fp, key)
    if folder is not None:
        if (index := _load_entry(folder, info, cache)) is not None:
            return IndexResult(index, folder, reused=True)
        cache.remove(folder)

    cache.ensure_writable()
    content = cache.identify(info.path)  # before decoding: an edit during the build shows later
    size = fit_short_side(info.width, info.height, embedder.image_size)
    # PyAV unless told otherwise: its in-order pass (PyAVSource.iter_frames) skips the frames no
    # sampled frame depends on, ~45% less decoding than decord, which decodes every frame.
    # One decoder thread: the other cores are busier encoding.
    with open_source(
        info.path, size=size, backend=backend or "pyav", threads=1, info=info
    ) as source:
        vectors, times, indices, stats = embed_video(
            source, embedder, sampling, batch_size=batch_size, progress=progress
        )
        backend_name = source.BACKEND_NAME
        last_frame_end = _video_end(info, source.timestamps)
    if problem := vector_problem(vectors, len(times)):
        raise ValueError(f"{embedder.spec} broke its contract: {problem}")
    ends = np.append(times[1:], last_frame_end) if len(times) else times
    manifest = {
        "videoscout": __version__,
        "video": {
            **info.to_dict(),
            "fingerprint": video_fp,
            "bytes": content.size,
            "mtime_ns": content.mtime_ns,
            "sha256": content.sha256,
        },
        "model": {
            "spec": embedder.spec,
            "identity": embedder.identity,
            "dim": embedder.dim,
            "precision": embedder.precision,
        },
        "sampling": sampling.key(),
        "backend": backend_name,
        "frames": len(times),
        "candidates": stats.candidates,
        "search": "exact" if len(times) <= exact_limit else APPROXIMATE,
        "build_seconds": round(stats.total_seconds, 3),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    index = FrameIndex(vectors, times, ends, indices, manifest, exact_limit=exact_limit)

    def write(staging: Path) -> None:
        try:
            index.save(staging)
        except RuntimeError as exc:
            if "write error" not in str(exc):
                raise
            raise _faiss_write_error(exc) from exc
        seal(staging, index)

    if force and (old := cache.lookup(video_fp, key)) is not None:
        cache.remove(old)  # else the old entry would stay, and a rename onto it fail
    folder = cache.publish(video_fp, key, write)
    return IndexResult(index, folder, reused=False, stats=stats)


def _load_entry(folder: Path, info: VideoInfo, cache: IndexCache) -> FrameIndex | None:
    """The entry in ``folder`` if it is intact and of this video's content; else ``None``,
    having said why."""
    try:
        index = load_checked(folder)
    except OutdatedEntry as exc:
        log.info("cached index %s: %s; rebuilding it", folder, exc)
        return None
    except (DamagedEntry, OSError) as exc:
        log.warning("cached index %s is damaged (%s); rebuilding it", folder, exc)
        return None
    if not _same_content(index.manifest.get("video", {}), info.path, cache):
        log.info(
            "cached index %s was built from other content than %s; rebuilding it", folder, info.path
        )
        return None
    return index


def _same_content(recorded: dict, path: Path, cache: IndexCache) -> bool:
    """Whether ``path`` holds the content the entry was built from: the same size and mtime
    say so at the cost of a ``stat``; otherwise its full hash decides (a copy, or a touch)."""
    stat = path.stat()
    if (stat.st_size, stat.st_mtime_ns) == (recorded.get("bytes"), recorded.get("mtime_ns")):
        return True
    return cache.identify(path).sha256 == recorded.get("sha256")


def _faiss_write_error(exc: RuntimeError) -> OSError:
    """FAISS reports a failed write as ``RuntimeError("... write error in FILE: 127102 !=
    245760 (No space left on device)")``: to the cache, an ``OSError`` like numpy's."""
    if os.strerror(errno.ENOSPC) in str(exc):
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return OSError(str(exc))


def _video_end(info: VideoInfo, timestamps: np.ndarray) -> float:
    frame = 1.0 / float(info.fps) if info.fps else 0.0
    return max(float(info.duration), float(timestamps[-1]) + frame)
