"""Decoding the frames an index samples in several processes, merged back in time order.

The file is cut at keyframes into contiguous ranges of packets; a worker process decodes each
range with the single reader's own in-order pass (``PyAVSource.iter_frames``: the same packets
sent, the same frames skipped), so every frame and timestamp is the one the single reader
gives. A range starts only at a keyframe where decode order and presentation order split
alike: nothing before it in the file is shown after it, nothing after it is shown before it,
so no frame of one range refers to a picture of another. Workers send back frames already at
the index's small size, one range (a few dozen frames) at a time, and at most two ranges per
worker are out at once: memory stays bounded whatever the video's length.
"""

from __future__ import annotations

import contextlib
import signal
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

import av
import numpy as np

from ..errors import VideoDecodeError
from .pyav_source import DecodePlan, PyAVSource, decode_failure, decode_planned, passed, picture
from .source import FrameBatch, FrameSource
from .spawn import SpawnWithoutMain
from .streams import video_stream

# Frames asked of one worker at a time: enough to make a seek and a hand-over cheap beside
# the decoding, few enough to keep memory small and workers evenly loaded.
FRAMES_PER_RANGE = 16
# Shorter videos decode in one reader: starting worker processes costs more than it saves.
MIN_SECONDS = 30.0


@dataclass(frozen=True)
class FrameRange:
    """A worker's task: a contiguous slice of the packets, with the plan for them."""

    path: str
    size: tuple[int, int]  # (width, height) to decode at, as stored
    rotation: int
    plan: DecodePlan  # the single reader's plan, cut to this range
    times: np.ndarray  # seconds of the wanted frames, for error messages
    seek_to: int  # the pts to seek to first: its first packet to decode, or the file's start
    earliest: int  # a pts at or before the file's first packet: the last place to seek to


@dataclass(frozen=True)
class Share:
    """A range and the frame indices its wanted frames have, in the parent."""

    task: FrameRange
    indices: np.ndarray


def split_ranges(
    source: FrameSource,
    indices: np.ndarray,
    frames_per_range: int | None = None,
    min_seconds: float | None = None,
) -> list[Share]:
    """``indices`` (strictly ascending) shared out in time order; empty when one reader should
    decode them: not a PyAV source, a video shorter than ``min_seconds`` (``MIN_SECONDS``), or
    one range only. A range holds ``frames_per_range`` (``FRAMES_PER_RANGE``) wanted frames or
    a few more, up to the next place a range may start."""
    frames_per_range = frames_per_range or FRAMES_PER_RANGE
    min_seconds = MIN_SECONDS if min_seconds is None else min_seconds
    indices = np.asarray(indices, dtype=np.int64)
    if not isinstance(source, PyAVSource) or len(indices) == 0:
        return []
    if np.any(np.diff(indices) <= 0) or indices[0] < 0:
        return []
    if source.timestamps[-1] - source.timestamps[0] < min_seconds:
        return []
    plan = source.in_order_plan(indices)
    wanted_before = np.concatenate([[0], np.cumsum(plan.exact)])
    bounds = [0]
    for start in np.flatnonzero(range_starts(plan.pts, plan.key)):
        if wanted_before[start] - wanted_before[bounds[-1]] >= frames_per_range:
            bounds.append(int(start))
    bounds.append(len(plan.pts))
    earliest = min(0, int(plan.pts.min()))
    shares = []
    for low, high in zip(bounds[:-1], bounds[1:], strict=True):
        pts = plan.pts[low:high]
        first = int(np.searchsorted(plan.wanted, pts.min(), side="left"))
        last = int(np.searchsorted(plan.wanted, pts.max(), side="right"))
        if first == last:
            continue
        cut = DecodePlan(
            pts=pts,
            key=plan.key[low:high],
            send=plan.send[low:high],
            exact=plan.exact[low:high],
            wanted=plan.wanted[first:last],
        )
        task = FrameRange(
            path=str(source.info.path),
            size=source.decode_size,
            rotation=source.info.rotation,
            plan=cut,
            times=source.timestamps[indices[first:last]],
            # The first range is read from the file's start, as the single reader reads it.
            seek_to=earliest if low == 0 else int(pts[np.argmax(cut.send)]),
            earliest=earliest,
        )
        shares.append(Share(task, indices[first:last]))
    return shares if len(shares) > 1 else []


def range_starts(pts: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Which packets (in decode order) a range may start at: keyframes after every packet
    shown before them and before every packet shown after them."""
    shown_by = np.maximum.accumulate(pts)
    shown_from = np.minimum.accumulate(pts[::-1])[::-1]
    starts = key & (shown_from == pts)
    starts[1:] &= shown_by[:-1] < pts[1:]
    return starts


def iter_frames_parallel(
    source: FrameSource, shares: list[Share], decoders: int, batch_size: int
) -> Iterator[FrameBatch]:
    """The frames of ``shares`` in time order, in batches of ``batch_size`` (the last one
    shorter), as ``source.iter_frames`` would give them, decoded by ``decoders`` processes."""
    held_indices: list[np.ndarray] = []
    held_images: list[np.ndarray] = []
    count = 0
    with contextlib.closing(_decoded(source, shares, decoders)) as decoded:
        for indices, images in decoded:
            held_indices.append(indices)
            held_images.append(images)
            count += len(indices)
            if count < batch_size:
                continue
            all_indices, all_images = np.concatenate(held_indices), np.concatenate(held_images)
            whole = count - count % batch_size
            for start in range(0, whole, batch_size):
                chunk = all_indices[start : start + batch_size]
                yield FrameBatch(
                    chunk, source.timestamps[chunk], all_images[start : start + batch_size]
                )
            held_indices, held_images = [all_indices[whole:]], [all_images[whole:]]
            count -= whole
    if count:
        chunk = np.concatenate(held_indices)
        yield FrameBatch(chunk, source.timestamps[chunk], np.concatenate(held_images))


def _decoded(
    source: FrameSource, shares: list[Share], decoders: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(indices, images) of each share in order, decoded by a pool of worker processes."""
    workers = max(1, min(decoders, len(shares)))
    pool = ProcessPoolExecutor(
        workers, mp_context=SpawnWithoutMain(), initializer=_ignore_interrupts
    )
    running: deque[tuple[np.ndarray, Future]] = deque()
    waiting = iter(shares)

    def submit() -> None:
        while len(running) < 2 * workers and (share := next(waiting, None)) is not None:
            running.append((share.indices, pool.submit(decode_range, share.task)))

    try:
        submit()
        while running:
            indices, future = running.popleft()
            images, found = future.result()
            submit()
            if not found.all():
                # Frames the pass did not produce (a damaged stream) come the slow way, as
                # they do in the single reader.
                slow = source.get_frames(indices[~found]).images
                if found.any():
                    full = np.empty((len(indices), *slow.shape[1:]), slow.dtype)
                    full[found], full[~found] = images, slow
                    slow = full
                images = slow
            yield indices, images
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _ignore_interrupts() -> None:
    """Ctrl-C reaches the whole process group: the parent stops the workers, once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# -- in the worker processes ------------------------------------------------------------------

_OPENED: dict[str, tuple[av.container.InputContainer, av.VideoStream]] = {}


def decode_range(task: FrameRange) -> tuple[np.ndarray | None, np.ndarray]:
    """(images, found): the wanted frames of ``task`` that its in-order pass produced, and a
    mask over ``task.plan.wanted`` of which those are."""
    container, stream = _opened(task.path)
    plan = task.plan
    position = {int(pts): i for i, pts in enumerate(plan.pts)}
    found = np.zeros(len(plan.wanted), dtype=bool)
    images = []
    done = 0
    try:
        packets = _range_packets(container, stream, plan, position, task.seek_to, task.earliest)
        for frame in decode_planned(packets, stream.codec_context, position, plan):
            while done < len(found) and passed(plan.wanted[done], frame):
                done += 1
            if done < len(found) and frame.pts == plan.wanted[done]:
                images.append(picture(frame, task.size, task.rotation))
                found[done] = True
                done += 1
            if done == len(found):
                break
    except av.FFmpegError as exc:
        when = float(task.times[min(done, len(found) - 1)])
        raise VideoDecodeError(decode_failure(task.path, when, exc)) from None
    return (np.stack(images) if images else None), found


def _opened(path: str) -> tuple[av.container.InputContainer, av.VideoStream]:
    """The worker's open container for ``path``: opening it once saves re-reading its index."""
    if path not in _OPENED:
        container = av.open(path)
        stream = video_stream(container)
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = 1  # one decoder per core already
        _OPENED[path] = container, stream
    return _OPENED[path]


def _range_packets(
    container: av.container.InputContainer,
    stream: av.VideoStream,
    plan: DecodePlan,
    position: dict[int, int],
    seek_to: int,
    earliest: int,
) -> Iterator[av.Packet]:
    """The range's packets in decode order, from its first packet to decode to its end.

    Demuxers without a keyframe index (MPEG-TS) seek by decode time and may land after that
    packet: then seek a second earlier, then two, ..., then to the file's start. Where even
    that fails, nothing: the parent decodes the frames the slow way.
    """
    first = int(np.argmax(plan.send))
    highest = int(plan.pts.max())
    target = seek_to
    step = max(1, round(1 / stream.time_base))
    while True:
        container.seek(target, stream=stream, backward=True, any_frame=False)
        demuxed = container.demux(stream)
        head = _first_in_range(demuxed, position, highest)
        if head is not None and position[head.pts] <= first:
            break
        if target <= earliest:
            return
        target, step = max(earliest, target - step), 2 * step
    yield head
    for packet in demuxed:
        if packet.size and packet.pts is not None and packet.pts > highest:
            return  # the next range's: every later packet is shown after this range
        yield packet


def _first_in_range(
    demuxed: Iterator[av.Packet], position: dict[int, int], highest: int
) -> av.Packet | None:
    """The first packet of the range that ``demuxed`` reaches, or None if it passes it."""
    for packet in demuxed:
        if packet.pts is None or not packet.size:
            continue
        if packet.pts in position:
            return packet
        if packet.pts > highest:
            return None
    return None
