"""Frame source backed by decord: fast random access with an in-memory frame index.

decord 0.6 turns pictures upright itself, but only where its own FFmpeg (4.1) sees the rotation:
in the track matrix of MP4 and QuickTime files. Others (a rotated Matroska or WebM file) it
returns as stored; those are turned here.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import decord
import numpy as np

from ..errors import VideoDecodeError, VideoOpenError
from .source import FrameBatch, FrameSource, VideoInfo, stored_size, upright

decord.logging.set_level(decord.logging.QUIET)


class DecordSource(FrameSource):
    BACKEND_NAME = "decord"

    def __init__(self, info: VideoInfo, size: tuple[int, int] | None, threads: int = 0) -> None:
        super().__init__(info, size)
        self._turn = 0 if _turns_itself(info) else info.rotation
        width, height = stored_size(self.size, self._turn)
        dims = {} if size is None else {"width": width, "height": height}
        try:
            self._reader = decord.VideoReader(
                str(info.path), ctx=decord.cpu(0), num_threads=threads, **dims
            )
        except (RuntimeError, decord.DECORDError) as exc:
            raise VideoOpenError(f"decord cannot open {info.path}: {_first_line(exc)}") from None
        if len(self._reader) == 0:
            raise VideoOpenError(f"{info.path} contains no video frames")
        if self.timestamps[0] < 0:
            # decord also lists the frames an edit list hides (a clip cut with `-c copy`) or that
            # have no timestamp (AVI with B-frames), and then pairs frames with the wrong times.
            raise VideoOpenError(
                f"decord cannot read {info.path}: it lists frames before the video starts"
            )
        if size is not None:
            # decord 0.6 mis-sizes its output buffer for some sizes (e.g. 48x32: "The size must
            # exactly match"); one decode at open finds out, and open_source falls back to PyAV.
            try:
                self._reader.get_batch([0])
            except (RuntimeError, decord.DECORDError) as exc:
                raise VideoOpenError(
                    f"decord cannot decode {info.path} at {size[0]}x{size[1]}: {_first_line(exc)}"
                ) from None
            self._reader.seek(0)

    @cached_property
    def timestamps(self) -> np.ndarray:
        spans = self._reader.get_frame_timestamp(np.arange(len(self._reader)))
        return np.ascontiguousarray(spans[:, 0], dtype=np.float64)

    def get_frames(self, indices: Sequence[int]) -> FrameBatch:
        indices = np.asarray(indices, dtype=np.int64)
        try:
            images = upright(self._reader.get_batch(indices.tolist()).asnumpy(), self._turn)
        except (RuntimeError, decord.DECORDError) as exc:
            when = float(self.timestamps[indices.min()]) if len(indices) else 0.0
            raise VideoDecodeError(
                f"{self.info.path} could not be decoded near {when:.2f}s "
                f"({_first_line(exc)}): the file looks truncated or corrupt; re-download it, or "
                f"rewrite its index with `ffmpeg -i IN -c copy OUT.mp4`"
            ) from None
        return FrameBatch(indices=indices, timestamps=self.timestamps[indices], images=images)

    def close(self) -> None:
        self._reader = None


def _turns_itself(info: VideoInfo) -> bool:
    """Whether decord applies ``info``'s rotation itself: it reads MP4/QuickTime matrices."""
    return "mov" in info.container.split(",")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1].split("] ")[-1].strip() if text else type(exc).__name__
