"""A stretch of a video exported as a small MP4 of its own (H.264 and AAC), written with PyAV.

PyAV, not the ffmpeg command: a pip install has PyAV's FFmpeg libraries but maybe no ffmpeg on
the PATH. The stretch is decoded from the keyframe before it and re-encoded, so the clip starts
exactly where asked, not at the nearest keyframe as a stream copy would. A rotated video (a
phone's) is written upright, so the clip shows the same in players that ignore rotation.
"""

from __future__ import annotations

import errno
import math
import os
import secrets
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..errors import InvalidTimeError, UsageError, VideoDecodeError, VideoOpenError
from ..timefmt import format_time
from .probe import probe
from .source import VideoInfo, stored_size, time_slack
from .streams import video_stream

VIDEO_OPTIONS = {"crf": "20", "preset": "veryfast"}
# Seek this much further back each time a seek lands after the start (MPEG-TS and other
# containers without a keyframe index), then from the very beginning.
_SEEK_BACK = (0.0, 2.0, 8.0, 32.0)
# How far past the first frame of one stream the first of the other may come.
_HEAD_SPAN = 5.0
_WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EFBIG}


def export_clip(
    path: str | Path,
    start: float,
    end: float,
    out: str | Path | None = None,
    *,
    info: VideoInfo | None = None,
) -> Path:
    """Write the frames of ``path`` shown in [``start``, ``end``) seconds, and its audio over
    the same stretch, to the MP4 ``out``; return its path.

    The clip's first frame is at time 0; frames keep their source timestamps relative to it,
    so the frame rate is the source's. ``out`` defaults to ``<stem>_<M-SS.ss>-<M-SS.ss>.mp4``
    in the current folder (the video's own folder may be read-only); a folder puts that name
    there. The file appears complete or not at all. ``info`` is ``path``'s probe when the
    caller already has it.
    """
    info = info or probe(path)
    start, end = checked_clip_range(start, end, info)
    target = clip_path(info.path, start, end, out)
    tmp = _reserve_temp(target)
    try:
        _write(info, start, end, tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def checked_clip_range(start: float, end: float, info: VideoInfo) -> tuple[float, float]:
    """[start, end) within the video. The end may reach one frame past ``info.duration``
    (which ends at the last frame's timestamp in some containers)."""
    start, end = float(start), float(end)
    valid = f"the video runs 0:00-{format_time(info.duration)}"
    if not (math.isfinite(start) and math.isfinite(end)):
        raise InvalidTimeError(f"clip {start}-{end} is not a pair of times; {valid}")
    if not 0 <= start < info.duration:
        raise InvalidTimeError(f"clip start {format_time(start)} is outside the video; {valid}")
    if end <= start:
        raise InvalidTimeError(
            f"empty clip {format_time(start)}-{format_time(end)}: the end must come after the "
            f"start; {valid}"
        )
    frame = 1 / float(info.fps) if info.fps else 0.0
    if end > info.duration + frame + 1e-6:
        raise InvalidTimeError(f"clip end {format_time(end)} is past the video's end; {valid}")
    return start, end


def clip_path(video: Path, start: float, end: float, out: str | Path | None = None) -> Path:
    """Where the clip goes: ``out``, or the default name in ``out`` (a folder) or in the
    current folder. Refuses names that are not ``.mp4`` and the video itself."""
    default = f"{video.stem}_{_name_time(start)}-{_name_time(end)}.mp4"
    if out is None:
        target = Path.cwd() / default
    else:
        target = Path(out).expanduser()
        if target.is_dir():
            target = target / default
    if target.suffix.lower() != ".mp4":
        raise UsageError(
            f"cannot write the clip to {target}: clips are MP4 files; end the name with .mp4 "
            f"(e.g. {target.with_suffix('.mp4').name})"
        )
    if target.exists() and target.resolve() == Path(video).resolve():
        raise UsageError(f"cannot write the clip over its own video {video}; choose another name")
    return target


def _name_time(seconds: float) -> str:
    """``0-03.00`` for 3 s: ``format_time`` with file-name-safe separators."""
    return format_time(seconds).replace(":", "-")


def _reserve_temp(target: Path) -> Path:
    """An empty hidden file beside ``target``, so the finished clip is renamed into place."""
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        while True:
            tmp = folder / f".{target.stem}.{secrets.token_hex(4)}.part.mp4"
            try:  # mode 0o666 less the umask, as the renamed clip should have
                os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
                return tmp
            except FileExistsError:
                continue
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UsageError(
            f"cannot write the clip into {folder} ({reason}); give an output path in a "
            f"writable folder"
        ) from None


def _write(info: VideoInfo, start: float, end: float, tmp: Path) -> None:
    try:
        source = av.open(str(info.path))
    except av.FFmpegError as exc:
        raise VideoOpenError(f"PyAV cannot open {info.path}: {exc}") from None
    try:
        with (
            source,
            av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out,
        ):
            _Clip(source, out, info, start, end).run()
    except av.FFmpegError as exc:
        if isinstance(exc, OSError) and exc.errno in _WRITE_ERRORS:
            raise UsageError(
                f"cannot write the clip into {tmp.parent} ({exc.strerror}); free some space or "
                f"give an output path in another folder"
            ) from None
        raise VideoDecodeError(
            f"{info.path} could not be exported from {format_time(start)} to "
            f"{format_time(end)} ({exc}): the file looks truncated or corrupt; re-download or "
            f"re-encode it"
        ) from None


class _Clip:
    """One export: decodes from the keyframe before ``start``, re-encodes [start, end).

    Times are seconds on the video stream's clock (0 at its first frame); audio is placed on
    it through the container's absolute time. The clip's origin is its first frame's time, so
    audio and video stay together even when ``start`` falls between two frames.
    """

    def __init__(self, source, out, info: VideoInfo, start: float, end: float) -> None:
        self.source, self.out, self.info = source, out, info
        self.start, self.end = start, end
        self.video_in = video_stream(source)
        self.video_in.thread_type = "AUTO"
        self.audio_in = source.streams.audio[0] if source.streams.audio else None
        self.time_base = self.video_in.time_base
        self.video_start = self.video_in.start_time or 0
        self.origin_pts: int | None = None  # the first written frame's pts
        self.origin: float | None = None  # ...and its time
        self.pending: list[tuple[float, av.AudioFrame]] = []  # audio before the origin is known

        rate = self.video_in.guessed_rate or self.video_in.average_rate or info.fps or 25
        self.frame_ticks = max(1, round(1 / (Fraction(rate) * self.time_base)))
        self.video = out.add_stream("libx264", rate=Fraction(rate))
        # Odd sizes are not valid 4:2:0: round them to even. The size is the upright one.
        self.video.width = max(2, round(info.width / 2) * 2)
        self.video.height = max(2, round(info.height / 2) * 2)
        self.video.pix_fmt = "yuv420p"
        self.video.time_base = self.time_base
        self.video.codec_context.time_base = self.time_base
        self.video.options = dict(VIDEO_OPTIONS)
        self.audio = None
        if self.audio_in is not None:
            rate, layout = self._audio_format()
            self.audio = out.add_stream("aac", rate=rate, layout=layout)

    def _audio_format(self) -> tuple[int, str]:
        """The source's sample rate and channel layout. Some demuxers (MPEG-TS) leave them
        unset until a frame is decoded: then decode the first one (the run seeks anyway)."""
        ctx = self.audio_in.codec_context
        if ctx.sample_rate and ctx.layout.nb_channels:
            return ctx.sample_rate, ctx.layout.name
        for packet in self.source.demux(self.audio_in):
            for frame in packet.decode():
                return frame.sample_rate, frame.layout.name
        return 48000, "stereo"  # no audio frames: the encoder's input is irrelevant

    def run(self) -> None:
        video_done = False
        audio_done = self.audio_in is None
        for frame in self._decoded():
            if isinstance(frame, av.VideoFrame):
                video_done = video_done or self._video(frame)
            elif not audio_done:
                audio_done = self._audio(frame)
            if video_done and audio_done:
                break
        if self.origin is None:
            raise InvalidTimeError(
                f"no frame starts within {format_time(self.start)}-{format_time(self.end)}: "
                f"the range is shorter than a frame; widen it"
            )
        self._flush_pending()
        self._mux(self.video.encode(None), video=True)
        if self.audio is not None:
            self._mux(self.audio.encode(None))

    # --- reading -------------------------------------------------------------------------

    def _decoded(self) -> Iterator[av.VideoFrame | av.AudioFrame]:
        """Frames from the keyframe before ``start`` on, in decode order per stream.

        A seek may land after ``start`` where the container has no keyframe index: seek
        further back until the first video (and audio) frame is not after ``start``.
        """
        streams = [s for s in (self.video_in, self.audio_in) if s is not None]
        for back in (*_SEEK_BACK, math.inf):
            when = self.start - back
            if when <= 0:
                self.source.seek(min(0, self.video_start), stream=self.video_in, backward=True)
            else:
                pts = self.video_start + math.floor(when / self.time_base)
                self.source.seek(pts, stream=self.video_in, backward=True, any_frame=False)
            frames = self._demux(streams)
            head, late = self._head(frames)
            if not late or when <= 0:
                yield from head
                yield from frames
                return

    def _demux(self, streams: list) -> Iterator[av.VideoFrame | av.AudioFrame]:
        for packet in self.source.demux(*streams):
            yield from packet.decode()

    def _head(self, frames: Iterator) -> tuple[list, bool]:
        """The frames up to the first of each stream, and whether either starts after
        ``start`` (a seek that landed too late)."""
        head: list = []
        seen: dict[str, float] = {}
        wanted = {"video", "audio"} if self.audio_in is not None else {"video"}
        for frame in frames:
            head.append(frame)
            if frame.pts is not None:
                kind = "video" if isinstance(frame, av.VideoFrame) else "audio"
                seen.setdefault(kind, self._time(frame))
                # A stream silent for this long after the other began has no data here (audio
                # that ends before the video does): stop holding frames for it.
                if wanted <= seen.keys() or self._time(frame) > min(seen.values()) + _HEAD_SPAN:
                    break
        late = "video" in seen and seen["video"] > self.start + time_slack(self.start)
        if "audio" in seen:
            audio_begins = self._time_of(self.audio_in, self.audio_in.start_time or 0)
            late = late or seen["audio"] > max(self.start, audio_begins) + 1e-3
        return head, late

    def _time(self, frame) -> float:
        stream = self.video_in if isinstance(frame, av.VideoFrame) else self.audio_in
        return self._time_of(stream, frame.pts)

    def _time_of(self, stream, pts: int) -> float:
        """Seconds on the video clock of ``pts`` in ``stream``'s time base."""
        return float(pts * stream.time_base - self.video_start * self.time_base)

    # --- writing -------------------------------------------------------------------------

    def _video(self, frame: av.VideoFrame) -> bool:
        """Encode ``frame`` if it lies in the range; True once frames are past the end."""
        if frame.pts is None:
            return False
        t = self._time(frame)
        if t >= self.end - time_slack(self.end):
            return True
        if t < self.start - time_slack(self.start):
            return False
        if self.origin_pts is None:
            self.origin_pts, self.origin = frame.pts, t
            self._flush_pending()
        image = _upright_yuv(frame, self.info.rotation, self.video.width, self.video.height)
        image.pts = frame.pts - self.origin_pts
        image.time_base = self.time_base
        image.pict_type = 0  # let x264 choose: a decoded frame's type would force its own
        self._mux(self.video.encode(image), video=True)
        return False

    def _audio(self, frame: av.AudioFrame) -> bool:
        """Keep the part of ``frame`` in the range; True once audio is past the end."""
        if frame.pts is None:
            return False
        t = self._time(frame)
        if t >= self.end:
            return True
        if self.origin is None:
            if t + frame.samples / frame.sample_rate > self.start:
                self.pending.append((t, frame))
        else:
            self._encode_audio(t, frame)
        return False

    def _flush_pending(self) -> None:
        pending, self.pending = self.pending, []
        for t, frame in pending:
            self._encode_audio(t, frame)

    def _encode_audio(self, t: float, frame: av.AudioFrame) -> None:
        rate = frame.sample_rate
        first = max(0, math.ceil((self.origin - t) * rate - 1e-6))
        last = min(frame.samples, math.ceil((self.end - t) * rate - 1e-6))
        if first >= last:
            return
        if first or last < frame.samples:
            samples = frame.to_ndarray()
            step = 1 if frame.format.is_planar else frame.layout.nb_channels
            cut = av.AudioFrame.from_ndarray(
                samples[:, first * step : last * step].copy(),
                format=frame.format.name,
                layout=frame.layout.name,
            )
            cut.sample_rate = rate
            frame = cut
        frame.pts = round((t - self.origin) * rate) + first
        frame.time_base = Fraction(1, rate)
        self._mux(self.audio.encode(frame))

    def _mux(self, packets: list[av.Packet], video: bool = False) -> None:
        for packet in packets:
            if video and not packet.duration:
                packet.duration = self.frame_ticks  # the last frame's, which nothing else gives
            self.out.mux(packet)


def _upright_yuv(frame: av.VideoFrame, rotation: int, width: int, height: int) -> av.VideoFrame:
    """``frame`` as a yuv420p picture of ``width`` x ``height`` (even), turned ``rotation``
    degrees clockwise. The planes are turned as they are: no round trip through RGB."""
    stored_width, stored_height = stored_size((width, height), rotation)
    image = frame.reformat(width=stored_width, height=stored_height, format="yuv420p")
    if not rotation:
        return image
    planes = image.to_ndarray()  # Y rows, then U's, then V's, as (1.5 * height, width)
    turns = -(rotation // 90)
    luma = np.rot90(planes[:stored_height], turns)
    chroma = planes[stored_height:].reshape(2, stored_height // 2, stored_width // 2)
    turned = [luma, np.rot90(chroma[0], turns), np.rot90(chroma[1], turns)]
    flat = np.concatenate([plane.ravel() for plane in turned])
    return av.VideoFrame.from_ndarray(flat.reshape(-1, width), format="yuv420p")
