"""Index building: a reader thread decodes and samples while the caller's thread embeds.

Decoding (FFmpeg, outside the GIL) overlaps with encoding (torch, outside the GIL); a queue of
two batches bounds memory whatever the video's length, and how full it is tells which half is
behind, so that torch can lend the decoder a core (``EncoderThreads``). Where cores are left
beside the encoder, the reader thread only merges: worker processes decode contiguous ranges
of the file (``video.parallel_decode``), the same frames the single reader would.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from videoscout.models.embedder import ImageTextEmbedder
from videoscout.video import FrameBatch, FrameSource, Sampling
from videoscout.video.decoders import decoder_count
from videoscout.video.parallel_decode import iter_frames_parallel, split_ranges

Progress = Callable[[float, float], None]  # (seconds of video done, total seconds)
_DONE = object()


@dataclass
class BuildStats:
    candidates: int = 0
    kept: int = 0
    decoders: int = 1  # processes that decoded (1: the reader thread itself)
    reader_seconds: float = 0.0  # decoding + sampling, in the reader thread
    embed_seconds: float = 0.0
    total_seconds: float = 0.0


def sampled_batches(
    source: FrameSource,
    sampling: Sampling,
    batch_size: int,
    stats: BuildStats,
    decoders: int = 1,
) -> Iterator[FrameBatch]:
    """Candidate frames decoded in order, filtered by the scene detector, re-batched.

    With ``decoders`` > 1, long videos are decoded by that many processes; the scene filter
    still sees every candidate in order, here, so it keeps the same frames."""
    candidates = sampling.candidates(source.timestamps)
    stats.candidates = len(candidates)
    shares = split_ranges(source, candidates) if decoders > 1 else []
    if shares:
        stats.decoders = min(decoders, len(shares))
        frames = iter_frames_parallel(source, shares, decoders, batch_size)
    else:
        frames = source.iter_frames(candidates, batch_size)
    scene = sampling.new_filter()
    pending: list[FrameBatch] = []
    count = 0
    with contextlib.closing(frames):  # stops the decoder processes, if any, when closed
        for batch in frames:
            if scene is not None:
                mask = scene.keep(batch.images, batch.timestamps)
                batch = FrameBatch(batch.indices[mask], batch.timestamps[mask], batch.images[mask])
            if len(batch):
                pending.append(batch)
                count += len(batch)
            if count >= batch_size:
                yield _concat(pending)
                pending, count = [], 0
    if pending:
        yield _concat(pending)


def embed_video(
    source: FrameSource,
    embedder: ImageTextEmbedder,
    sampling: Sampling,
    batch_size: int = 32,
    progress: Progress | None = None,
    decoders: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, BuildStats]:
    """(vectors, times, frame indices, stats) for the sampled frames of ``source``.

    ``decoders``: processes decoding a long video (``decoder_count()`` by default: the cores
    beside the encoder's, or ``$VIDEOSCOUT_DECODERS``)."""
    decoders = decoder_count() if decoders is None else decoders
    stats = BuildStats()
    started = time.perf_counter()
    handoff: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def read() -> None:
        clock = time.perf_counter()
        batches = sampled_batches(source, sampling, batch_size, stats, decoders)
        try:
            # Closed here, by this thread, when the build stops early: that ends the workers.
            with contextlib.closing(batches):
                for batch in batches:
                    stats.reader_seconds += time.perf_counter() - clock
                    if not _put(handoff, batch, stop):
                        return
                    clock = time.perf_counter()
            stats.reader_seconds += time.perf_counter() - clock
            _put(handoff, _DONE, stop)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, re-raised there
            _put(handoff, exc, stop)

    from videoscout.models.device import EncoderThreads  # imports torch

    reader = threading.Thread(target=read, name="videoscout-decode", daemon=True)
    reader.start()
    vectors, times, indices = [], [], []
    total = float(source.timestamps[-1]) if len(source.timestamps) else 0.0
    threads = EncoderThreads()
    try:
        while True:
            threads.balance(handoff.qsize(), handoff.maxsize)
            if (item := handoff.get()) is _DONE:
                break
            if isinstance(item, BaseException):
                raise item
            clock = time.perf_counter()
            vectors.append(embedder.embed_images(item.images))
            stats.embed_seconds += time.perf_counter() - clock
            times.append(item.timestamps)
            indices.append(item.indices)
            if progress is not None:
                progress(float(item.timestamps[-1]), total)
    finally:
        threads.restore()
        stop.set()
        reader.join(timeout=5)
    stats.kept = sum(len(t) for t in times)
    stats.total_seconds = time.perf_counter() - started
    if progress is not None:
        progress(total, total)
    if not vectors:
        return np.zeros((0, embedder.dim), np.float32), np.zeros(0), np.zeros(0, np.int64), stats
    return np.concatenate(vectors), np.concatenate(times), np.concatenate(indices), stats


def _put(handoff: queue.Queue, item: object, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            handoff.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _concat(batches: list[FrameBatch]) -> FrameBatch:
    if len(batches) == 1:
        return batches[0]
    return FrameBatch(
        np.concatenate([b.indices for b in batches]),
        np.concatenate([b.timestamps for b in batches]),
        np.concatenate([b.images for b in batches]),
    )
