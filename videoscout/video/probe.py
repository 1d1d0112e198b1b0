"""Container metadata read with PyAV, before any backend decodes a frame.

Probing first turns "not a video", "empty file" and "no video stream" into one clean error
instead of a backend's C++ log line.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av

from ..errors import VideoNotFoundError, VideoOpenError
from .source import VideoInfo

_FIX = "it may not be a video, or be truncated or corrupt; check it with ffprobe or re-encode it"


def check_path(path: str | Path) -> Path:
    path = Path(path).expanduser()
    if not path.is_file():
        raise VideoNotFoundError(path)
    if path.stat().st_size == 0:
        raise VideoOpenError(f"cannot open {path}: the file is empty (0 bytes); {_FIX}")
    return path


def probe(path: str | Path) -> VideoInfo:
    """Read duration, frame rate, frame count, size, codec and audio presence."""
    path = check_path(path)
    try:
        container = av.open(str(path))
    except av.FFmpegError as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise VideoOpenError(f"cannot open {path} as a video ({reason}); {_FIX}") from None
    with container:
        if not container.streams.video:
            raise VideoOpenError(f"{path} has no video stream; {_FIX}")
        stream = container.streams.video[0]
        # A cut-off download still opens when its index comes first (MP4 with faststart), and
        # PyAV would then silently read only the frames before the cut.
        entries = getattr(stream, "index_entries", None) or ()  # only in newer PyAV
        if entries and entries[-1].pos + entries[-1].size > path.stat().st_size:
            raise VideoOpenError(
                f"cannot open {path}: the file is truncated (its index lists "
                f"{entries[-1].pos + entries[-1].size} bytes, it has {path.stat().st_size}); "
                f"re-download or re-copy it"
            )
        ctx = stream.codec_context
        fps = stream.average_rate or stream.guessed_rate or Fraction(0)
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        else:
            duration = 0.0
        frame_count = stream.frames or round(duration * float(fps))
        return VideoInfo(
            path=path,
            duration=duration,
            fps=Fraction(fps),
            frame_count=int(frame_count),
            width=ctx.width,
            height=ctx.height,
            has_audio=bool(container.streams.audio),
            codec=ctx.name,
        )
