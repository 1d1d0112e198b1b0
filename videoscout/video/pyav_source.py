"""Frame source backed by PyAV (FFmpeg): the fallback for files decord cannot open.

Timestamps come from demuxing every packet (no decoding); frames are reached by seeking to the
keyframe before the target and decoding forward. PyAV returns pictures as stored, so they are
decoded at the stored size and turned upright.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import av
import numpy as np

from ..errors import VideoDecodeError, VideoOpenError
from .source import FrameBatch, FrameSource, VideoInfo, stored_size, upright
from .streams import Packets, read_packets, video_stream

# Decoding forward this many frames is cheaper than a seek plus a keyframe decode.
_MAX_FORWARD = 48


class PyAVSource(FrameSource):
    BACKEND_NAME = "pyav"

    def __init__(self, info: VideoInfo, size: tuple[int, int] | None, threads: int = 0) -> None:
        super().__init__(info, size)
        self._threads = threads
        try:
            self._container = av.open(str(info.path))
        except av.FFmpegError as exc:
            raise VideoOpenError(f"PyAV cannot open {info.path}: {exc}") from None
        self._stream = video_stream(self._container)
        # Decoding at the stored size, then turning, gives frames of ``size`` upright.
        self._stored_size = stored_size(self.size, info.rotation)
        self._stream.thread_type = "AUTO"
        if threads:
            self._stream.codec_context.thread_count = threads
        self._decoder: Iterator[av.VideoFrame] | None = None
        self._position = -1  # index of the last frame the decoder returned
        if len(self.timestamps) == 0:
            raise VideoOpenError(f"{info.path} contains no video frames")

    @property
    def decode_size(self) -> tuple[int, int]:
        """(width, height) frames are decoded at before being turned upright."""
        return self._stored_size

    @cached_property
    def _packets(self) -> Packets:
        """Every video packet, in decode order."""
        return read_packets(self.info.path)

    @cached_property
    def _pts(self) -> np.ndarray:
        # Discarded packets are the ones an edit list hides (a clip cut with `-c copy` starts
        # mid-GOP): they are decoded for reference but never shown.
        return self._packets.shown

    @cached_property
    def timestamps(self) -> np.ndarray:
        start = self._stream.start_time or 0
        return (self._pts - start).astype(np.float64) * float(self._stream.time_base)

    def get_frames(self, indices: Sequence[int]) -> FrameBatch:
        indices = np.asarray(indices, dtype=np.int64)
        order = np.argsort(indices, kind="stable")
        images: list[np.ndarray | None] = [None] * len(indices)
        for position in order:
            images[position] = self._decode_at(int(indices[position]))
        width, height = self.size
        stacked = np.stack(images) if images else np.empty((0, height, width, 3), np.uint8)
        return FrameBatch(indices=indices, timestamps=self.timestamps[indices], images=stacked)

    def iter_frames(self, indices: Sequence[int], batch_size: int) -> Iterator[FrameBatch]:
        """Decode ascending ``indices`` in one pass that decodes only what they need.

        Reading in order, no seeking, this skips the frames nothing refers to (non-reference
        B-frames, about half of a typical H.264 stream) unless asked for, and the rest of each
        GOP after its last asked-for frame. The images are those ``get_frames`` returns.
        """
        indices = np.asarray(indices, dtype=np.int64)
        if len(indices) and (np.any(np.diff(indices) <= 0) or indices[0] < 0):
            yield from super().iter_frames(indices, batch_size)  # not what this pass is for
            return
        images = self._decode_in_order(indices)
        for start in range(0, len(indices), batch_size):
            chunk = indices[start : start + batch_size]
            batch = np.stack([next(images) for _ in chunk])
            yield FrameBatch(indices=chunk, timestamps=self.timestamps[chunk], images=batch)

    def _decode_in_order(self, indices: np.ndarray) -> Iterator[np.ndarray]:
        """Images of strictly ascending ``indices``, decoded sequentially."""
        plan = self.in_order_plan(indices)
        position = {int(pts): i for i, pts in enumerate(plan.pts)}
        done = 0
        with av.open(str(self.info.path)) as container:
            stream = video_stream(container)
            stream.thread_type = "AUTO"
            if self._threads:
                stream.codec_context.thread_count = self._threads
            packets = container.demux(stream)
            try:
                for frame in decode_planned(packets, stream.codec_context, position, plan):
                    # A frame the pass did not produce (a damaged stream) comes the slow way.
                    while done < len(indices) and passed(plan.wanted[done], frame):
                        yield self._decode_at(int(indices[done]))
                        done += 1
                    if done < len(indices) and frame.pts == plan.wanted[done]:
                        yield picture(frame, self._stored_size, self.info.rotation)
                        done += 1
                    if done == len(indices):
                        return
            except av.FFmpegError as exc:
                when = self.timestamps[indices[min(done, len(indices) - 1)]]
                raise VideoDecodeError(decode_failure(self.info.path, when, exc)) from None
        for index in indices[done:]:
            yield self._decode_at(int(index))

    def in_order_plan(self, indices: np.ndarray) -> DecodePlan:
        """What the in-order pass over strictly ascending ``indices`` decodes.

        A GOP is decoded from its keyframe up to its last wanted packet; the packets after that
        are dropped. Not when some GOP starts with frames shown before its keyframe (an "open"
        GOP): those refer to the previous GOP, which must then be decoded to its end.
        """
        wanted = self._pts[indices]
        pts, key = self._packets.pts, self._packets.key
        exact = np.isin(pts, wanted)
        gop = np.cumsum(key)  # 0 for packets before the first keyframe
        in_gop = gop > 0
        if np.any(pts[in_gop] < pts[key][gop[in_gop] - 1]):
            return DecodePlan(pts, key, np.ones(len(pts), bool), exact, wanted)
        last = np.full(gop[-1] + 1, -1)
        np.maximum.at(last, gop[exact], np.flatnonzero(exact))
        return DecodePlan(pts, key, np.arange(len(pts)) <= last[gop], exact, wanted)

    def _decode_at(self, index: int) -> np.ndarray:
        if not 0 <= index < len(self._pts):
            raise IndexError(f"frame {index} out of range 0..{len(self._pts) - 1}")
        target = int(self._pts[index])
        try:
            if self._decoder is None or not (
                self._position < index <= self._position + _MAX_FORWARD
            ):
                self._seek(index)
            for frame in self._decoder:
                if frame.pts is None or frame.pts < target:
                    continue
                self._position = int(np.searchsorted(self._pts, frame.pts))
                return picture(frame, self._stored_size, self.info.rotation)
        except av.FFmpegError as exc:
            self._decoder = None
            raise VideoDecodeError(
                decode_failure(self.info.path, self.timestamps[index], exc)
            ) from None
        self._decoder = None
        raise VideoDecodeError(
            f"{self.info.path} ends before frame {index} ({self.timestamps[index]:.2f}s) that its "
            f"index lists: the file looks truncated; re-download or re-encode it"
        )

    def _seek(self, index: int) -> None:
        """Point the decoder at the keyframe before frame ``index``.

        Demuxers without a keyframe index (MPEG-TS) seek by decode time and may land just past a
        keyframe, so the decoder resumes a GOP or more late: step back until the first frame
        decoded is not after the target, seeking before the first frame as a last resort.
        """
        target = int(self._pts[index])
        back = 0
        while True:
            start = index - back
            when = int(self._pts[start]) if start > 0 else min(0, int(self._pts[0]))
            self._container.seek(when, stream=self._stream, backward=True, any_frame=False)
            decoder = self._container.decode(self._stream)
            first = next(decoder, None)
            early = first is not None and first.pts is not None and first.pts <= target
            if early or start <= 0:
                self._decoder = decoder if first is None else itertools.chain([first], decoder)
                return
            back = min(index, max(2 * back, _MAX_FORWARD))

    def close(self) -> None:
        self._decoder = None
        self._container.close()


@dataclass(frozen=True)
class DecodePlan:
    """The in-order pass over some frames: per packet in decode order, whether to decode it at
    all (``send``) and whether to decode it even if nothing refers to it (``exact``)."""

    pts: np.ndarray  # (N,) int64, every packet's
    key: np.ndarray  # (N,) bool
    send: np.ndarray  # (N,) bool
    exact: np.ndarray  # (N,) bool
    wanted: np.ndarray  # (M,) int64 ascending: the pts of the frames asked for


def decode_planned(
    packets: Iterable[av.Packet],
    codec: av.VideoCodecContext,
    position: dict[int, int],
    plan: DecodePlan,
) -> Iterator[av.VideoFrame]:
    """Frames in presentation order from the ``packets`` that ``plan`` sends (``position`` maps
    a packet's pts to its row in the plan); unless the plan marks a packet exact, the decoder
    skips it when no other frame refers to it (FFmpeg's ``NONREF``)."""
    decoding = False
    for packet in packets:
        index = position.get(packet.pts) if packet.size else None
        if index is None:
            continue
        if not plan.send[index]:
            if decoding:  # end of the needed part of a GOP: drain, then resume at a keyframe
                yield from codec.decode(None)
                codec.flush_buffers()
                decoding = False
            continue
        decoding = True
        codec.skip_frame = "DEFAULT" if plan.exact[index] else "NONREF"
        yield from codec.decode(packet)
    yield from codec.decode(None)


def picture(frame: av.VideoFrame, size: tuple[int, int], rotation: int) -> np.ndarray:
    """``frame`` as an RGB array of stored ``size`` (width, height), turned upright."""
    width, height = size
    return upright(frame.to_ndarray(width=width, height=height, format="rgb24"), rotation)


def decode_failure(path: object, when: float, exc: Exception) -> str:
    return (
        f"{path} could not be decoded near {when:.2f}s ({exc}): the file looks truncated or "
        f"corrupt; re-download it, or rewrite its index with `ffmpeg -i IN -c copy OUT.mp4`"
    )


def passed(wanted: int, frame: av.VideoFrame) -> bool:
    """Whether the pass is already beyond the frame shown at ``wanted``."""
    return frame.pts is not None and wanted < frame.pts
