"""Load an index from the cache, or build, save and publish it."""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from videoscout.models.embedder import ImageTextEmbedder
from videoscout.version import __version__
from videoscout.video import Sampling, VideoInfo, fit_short_side, open_source

from .build import BuildStats, Progress, embed_video
from .cache import IndexCache, entry_key, fingerprint
from .index import EXACT_LIMIT, FrameIndex

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
    new one built and saved. ``video_fp`` is the file's fingerprint when the caller has it."""
    video_fp = video_fp or fingerprint(info.path)
    key = entry_key({"model": embedder.identity, "sampling": sampling.key()})
    folder = None if force else cache.lookup(video_fp, key)
    if folder is not None:
        try:
            return IndexResult(FrameIndex.load(folder), folder, reused=True)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            log.warning("cached index %s is unreadable (%s); rebuilding it", folder, exc)
            shutil.rmtree(folder, ignore_errors=True)

    cache.ensure_writable()
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
    ends = np.append(times[1:], last_frame_end) if len(times) else times
    manifest = {
        "videoscout": __version__,
        "video": {**info.to_dict(), "fingerprint": video_fp},
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
        "search": "exact" if len(times) <= exact_limit else "hnsw",
        "build_seconds": round(stats.total_seconds, 3),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    index = FrameIndex(vectors, times, ends, indices, manifest, exact_limit=exact_limit)
    staging = cache.staging_dir(video_fp, key)
    try:
        index.save(staging)
        folder = cache.commit(staging, video_fp, key)
    except BaseException:
        cache.discard(staging)
        raise
    return IndexResult(index, folder, reused=False, stats=stats)


def _video_end(info: VideoInfo, timestamps: np.ndarray) -> float:
    frame = 1.0 / float(info.fps) if info.fps else 0.0
    return max(float(info.duration), float(timestamps[-1]) + frame)
