"""Container metadata read with PyAV, before any backend decodes a frame.

Probing first turns "not a video", "empty file" and "no video stream" into one clean error
instead of a backend's C++ log line. Headers can be wrong, so the probe checks the claimed
duration against the stream's last packets (a seek and a few packets, no decoding) and counts
the frames of the whole stream only when the two disagree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

import av

from ..errors import VideoNotFoundError, VideoOpenError
from .source import VideoInfo
from .streams import read_packets, video_stream

_FIX = "it may not be a video, or be truncated or corrupt; check it with ffprobe or re-encode it"
# Seconds past the end of any video: a seek there lands on the last keyframe.
_PAST_THE_END = 1e6
# Some demuxers (FLV) find nothing after a seek past the end: then seek this far before the
# claimed end instead.
_TAIL_BACKS = (2.0, 16.0, 128.0)
_SLACK = 1e-3  # seconds: rounding in time bases


def check_path(path: str | Path) -> Path:
    path = Path(path).expanduser()
    if not path.is_file():
        raise VideoNotFoundError(path)
    if path.stat().st_size == 0:
        raise VideoOpenError(f"cannot open {path}: the file is empty (0 bytes); {_FIX}")
    return path


def probe(path: str | Path) -> VideoInfo:
    """Read duration, frame rate, frame count, displayed size, rotation, codec and audio."""
    path = check_path(path)
    try:
        container = av.open(str(path))
    except av.FFmpegError as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise VideoOpenError(f"cannot open {path} as a video ({reason}); {_FIX}") from None
    with container:
        stream = video_stream(container)
        if stream is None and container.streams.video:
            raise VideoOpenError(
                f"{path} has no video frames, only a cover picture (an audio file?); give a "
                f"video file"
            )
        if stream is None:
            raise VideoOpenError(f"{path} has no video stream; {_FIX}")
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
        fps = Fraction(stream.average_rate or stream.guessed_rate or 0)
        rotation = _rotation(container, stream)
        duration, frame_count = _extent(container, stream, fps, path)
        width, height = (ctx.height, ctx.width) if rotation % 180 else (ctx.width, ctx.height)
        return VideoInfo(
            path=path,
            duration=duration,
            fps=fps,
            frame_count=frame_count,
            width=width,
            height=height,
            has_audio=bool(container.streams.audio),
            codec=ctx.name,
            rotation=rotation,
            container=container.format.name,
        )


def _rotation(container: av.container.InputContainer, stream: av.VideoStream) -> int:
    """Degrees clockwise that players turn the stored picture: 0, 90, 180 or 270.

    PyAV 12-13 give the display matrix's angle (counterclockwise) as stream side data; FFmpeg
    before 6 gave it as a ``rotate`` tag (clockwise); newer PyAV gives it only on decoded
    frames, so the first frame is decoded.
    """
    side = getattr(stream, "side_data", None)
    if isinstance(side, Mapping) and side.get("DISPLAYMATRIX") is not None:
        return _quarter_turns(-float(side["DISPLAYMATRIX"]))
    tag = stream.metadata.get("rotate")
    if tag:
        try:
            return _quarter_turns(float(tag))
        except ValueError:
            pass
    if not hasattr(av.VideoFrame, "rotation"):
        return 0
    stream.codec_context.thread_count = 1  # for one frame, starting threads costs more
    try:
        frame = next(container.decode(stream), None)
        return _quarter_turns(-float(frame.rotation)) if frame is not None else 0
    except (av.FFmpegError, ValueError, OverflowError):
        return 0  # a damaged file: the backends report it when they decode


def _quarter_turns(degrees: float) -> int:
    """``degrees`` clockwise as 0, 90, 180 or 270 (the turns players make)."""
    if not math.isfinite(degrees):
        return 0
    return round(degrees / 90) % 4 * 90


def _extent(
    container: av.container.InputContainer, stream: av.VideoStream, fps: Fraction, path: Path
) -> tuple[float, int]:
    """Duration (to the end of the last frame) and frame count.

    The header's, unless the last packets contradict it (an MPEG program stream's duration is
    guessed from its bit rate): then both come from every packet of the stream, demuxed, not
    decoded.
    """
    frame = 1 / float(fps) if fps else 0.0
    claimed = _claimed_duration(container, stream)
    tail = _last_frame(container, stream, claimed)
    if tail is not None and not _agrees(claimed, tail, frame):
        packets = read_packets(path)
        shown = packets.shown
        if len(shown):
            last = int(shown[-1])
            ticks = packets.durations[packets.pts == last].max(initial=0)
            ticks = ticks or round(frame / stream.time_base)
            return float((last + ticks - (stream.start_time or 0)) * stream.time_base), len(shown)
    duration = claimed or 0.0
    count = _indexed_frames(container, stream) or stream.frames or round(duration * fps)
    return duration, int(count)


def _claimed_duration(
    container: av.container.InputContainer, stream: av.VideoStream
) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _last_frame(
    container: av.container.InputContainer, stream: av.VideoStream, claimed: float | None
) -> tuple[float, float] | None:
    """(start, end) of the last frame in seconds from the stream's start, from the packets
    after the last keyframe; None when no seek reaches them."""
    start = stream.start_time or 0
    time_base = stream.time_base
    targets = [_PAST_THE_END, *(claimed - back for back in _TAIL_BACKS if (claimed or 0) > back)]
    for seconds in targets:
        try:
            container.seek(
                start + int(seconds / time_base), stream=stream, backward=True, any_frame=False
            )
            rows = [
                (p.pts, p.duration or 0)
                for p in container.demux(stream)
                if p.pts is not None and p.size and not p.is_discard
            ]
        except av.FFmpegError:
            continue
        if rows:
            pts, ticks = max(rows)
            return float((pts - start) * time_base), float((pts + ticks - start) * time_base)
    return None


def _agrees(claimed: float | None, tail: tuple[float, float], frame: float) -> bool:
    """Whether a claimed duration reaches the last frame and ends within a frame after it."""
    last_start, last_end = tail
    if claimed is None:
        return False
    return last_start - _SLACK <= claimed <= max(last_end, last_start + frame) + frame + _SLACK


def _indexed_frames(container: av.container.InputContainer, stream: av.VideoStream) -> int:
    """Frames an AVI's index lists (0 for other containers, or AVIs without an index).

    An AVI header may count frames never stored: OpenCV's sample ``tree.avi`` claims 444 over
    29.6 s and holds 68, the dropped ones being gaps in the index.
    """
    if "avi" not in container.format.name.split(","):
        return 0
    return len(getattr(stream, "index_entries", None) or ())
