"""The frame-source interface that every decoding backend implements.

A source knows the presentation timestamp of every frame from the container itself, so times stay
true on variable-frame-rate files; frame indices are positions in presentation order.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import ClassVar

import numpy as np


@dataclass(frozen=True)
class VideoInfo:
    """Container-level facts about a video file.

    ``width`` and ``height`` are those of the picture as players show it: a phone video stored
    640x360 with a 90 degree ``rotation`` is 360x640, and so are the frames every source
    returns. ``rotation`` is how far players turn the stored picture, clockwise: 0, 90, 180
    or 270.
    """

    path: Path
    duration: float
    fps: Fraction
    frame_count: int
    width: int
    height: int
    has_audio: bool
    codec: str
    rotation: int = 0
    container: str = ""  # FFmpeg's name for the format, e.g. "avi" or "mov,mp4,m4a,3gp,3g2,mj2"

    def to_dict(self) -> dict:
        return {
            "path": str(self.path),
            "duration": self.duration,
            "fps": str(self.fps),
            "fps_float": float(self.fps),
            "frame_count": self.frame_count,
            "width": self.width,
            "height": self.height,
            "has_audio": self.has_audio,
            "codec": self.codec,
            "rotation": self.rotation,
            "container": self.container,
        }


@dataclass(frozen=True)
class FrameBatch:
    """Decoded frames with the container timestamps at which they are shown."""

    indices: np.ndarray  # (N,) int64 frame positions in presentation order
    timestamps: np.ndarray  # (N,) float64 seconds
    images: np.ndarray  # (N, H, W, 3) uint8 RGB

    def __len__(self) -> int:
        return len(self.indices)


class FrameSource(ABC):
    """Random and sequential access to the frames of one video, decoded at a fixed size.

    ``size`` is ``(width, height)`` of the decoded frames; ``None`` keeps the native size.
    Decoding straight to a small size is much cheaper in memory than resizing afterwards.
    """

    BACKEND_NAME: ClassVar[str]

    def __init__(self, info: VideoInfo, size: tuple[int, int] | None) -> None:
        self.info = info
        self.size = size or (info.width, info.height)

    @property
    @abstractmethod
    def timestamps(self) -> np.ndarray:
        """Presentation time in seconds of every frame, ascending, from the container."""

    @abstractmethod
    def get_frames(self, indices: Sequence[int]) -> FrameBatch:
        """Decode the frames at ``indices`` (any order; returned in the order asked)."""

    def iter_frames(self, indices: Sequence[int], batch_size: int) -> Iterator[FrameBatch]:
        """Decode ascending ``indices`` in batches; memory stays bounded by ``batch_size``."""
        for start in range(0, len(indices), batch_size):
            yield self.get_frames(indices[start : start + batch_size])

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release decoder resources."""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def stored_size(size: tuple[int, int], rotation: int) -> tuple[int, int]:
    """The (width, height) to decode a picture at so that turning it by ``rotation`` degrees
    gives ``size``."""
    return (size[1], size[0]) if rotation % 180 else size


def upright(images: np.ndarray, rotation: int) -> np.ndarray:
    """Decoded (..., H, W, 3) pictures turned ``rotation`` degrees clockwise, as players show
    them."""
    if not rotation:
        return images
    return np.ascontiguousarray(np.rot90(images, k=-(rotation // 90), axes=(-3, -2)))


def time_slack(seconds: np.ndarray | float) -> np.ndarray:
    """How far after ``t`` a frame's timestamp may read and still be the frame meant at ``t``.

    decord's timestamps are float32 (0.2 s reads as 0.20000000298; off by 0.2 ms after two
    hours) and sampling times come from float arithmetic on them. Four float32 steps at ``t``'s
    magnitude cover that (2 ms after two hours), yet stay far below the gaps between frames near
    ``t`` that matter (at 29.97 fps, frame 6 comes 0.2 ms after 0.2 s).
    """
    step = np.spacing(np.abs(np.asarray(seconds, dtype=np.float32))).astype(np.float64)
    return 4 * step + 1e-9


def frame_at(timestamps: np.ndarray, seconds: np.ndarray | Sequence[float]) -> np.ndarray:
    """Index of the frame on screen at each time: the last one whose timestamp is <= t."""
    seconds = np.asarray(seconds, dtype=np.float64)
    seconds = seconds + time_slack(seconds)
    positions = np.searchsorted(timestamps, seconds, side="right")
    return np.clip(positions - 1, 0, len(timestamps) - 1).astype(np.int64)
