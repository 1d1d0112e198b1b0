"""Frame source backed by PyAV (FFmpeg): the fallback for files decord cannot open.

Timestamps come from demuxing every packet (no decoding); frames are reached by seeking to the
keyframe before the target and decoding forward.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property

import av
import numpy as np

from ..errors import VideoDecodeError, VideoOpenError
from .source import FrameBatch, FrameSource, VideoInfo

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
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        if threads:
            self._stream.codec_context.thread_count = threads
        self._decoder: Iterator[av.VideoFrame] | None = None
        self._position = -1  # index of the last frame the decoder returned
        if len(self.timestamps) == 0:
            raise VideoOpenError(f"{info.path} contains no video frames")

    @cached_property
    def _pts(self) -> np.ndarray:
        with av.open(str(self.info.path)) as container:
            stream = container.streams.video[0]
            pts = [p.pts for p in container.demux(stream) if p.pts is not None and p.size]
        return np.unique(np.asarray(pts, dtype=np.int64))

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
        return FrameBatch(
            indices=indices, timestamps=self.timestamps[indices], images=np.stack(images)
        )

    def _decode_at(self, index: int) -> np.ndarray:
        if not 0 <= index < len(self._pts):
            raise IndexError(f"frame {index} out of range 0..{len(self._pts) - 1}")
        target = int(self._pts[index])
        if self._decoder is None or not (self._position < index <= self._position + _MAX_FORWARD):
            self._container.seek(target, stream=self._stream, backward=True, any_frame=False)
            self._decoder = self._container.decode(self._stream)
        try:
            for frame in self._decoder:
                if frame.pts is None or frame.pts < target:
                    continue
                self._position = int(np.searchsorted(self._pts, frame.pts))
                width, height = self.size
                return frame.to_ndarray(width=width, height=height, format="rgb24")
        except av.FFmpegError as exc:
            self._decoder = None
            raise VideoDecodeError(
                f"{self.info.path} could not be decoded near {self.timestamps[index]:.2f}s "
                f"({exc}): the file looks truncated or corrupt; re-download it, or rewrite its "
                f"index with `ffmpeg -i IN -c copy OUT.mp4`"
            ) from None
        self._decoder = None
        raise VideoDecodeError(
            f"{self.info.path} ends before frame {index} ({self.timestamps[index]:.2f}s) that its "
            f"index lists: the file looks truncated; re-download or re-encode it"
        )

    def close(self) -> None:
        self._decoder = None
        self._container.close()
