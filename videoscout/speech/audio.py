"""A video's audio track as 16 kHz mono float32, decoded with PyAV in chunks of bounded size.

Chunks end at the quietest moment near their nominal length, so a word is rarely cut in two,
and memory stays at one chunk whatever the length of the video. Samples are placed by their
timestamps: a stretch lost to corrupt packets becomes silence instead of shifting every later
word earlier.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from ..errors import AudioDecodeError, NoAudioError, UsageError, VideoOpenError
from ..video.probe import check_path

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
CHUNK_SECONDS = 30.0
_CUT_SEARCH = 5.0  # a chunk ends at the quietest point of its last seconds
_CUT_FRAME = 0.1  # ... measured over windows this long
_GAP_TOLERANCE = 0.05  # seconds: a timestamp jump longer than this is filled with silence
_FIX = "it may be truncated or corrupt; check it with ffprobe or re-encode it"


@dataclass(frozen=True)
class AudioInfo:
    path: Path
    duration: float  # seconds of audio (the container's when the stream does not say)
    sample_rate: int  # of the track itself; decoding resamples to SAMPLE_RATE
    channels: int
    codec: str


@dataclass(frozen=True)
class AudioChunk:
    index: int
    start: float  # seconds from the start of the video
    samples: np.ndarray  # float32, mono, SAMPLE_RATE

    @property
    def end(self) -> float:
        return self.start + len(self.samples) / SAMPLE_RATE


def audio_info(path: str | Path) -> AudioInfo:
    """The audio track of ``path``; ``NoAudioError`` when it has none."""
    path = check_path(path)
    with _open(path) as container:
        stream = _audio_stream(container, path)
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        else:
            duration = 0.0
        ctx = stream.codec_context
        return AudioInfo(path, duration, ctx.sample_rate, ctx.channels, ctx.name)


def iter_chunks(path: str | Path, chunk_seconds: float = CHUNK_SECONDS) -> Iterator[AudioChunk]:
    """The whole audio track in chunks of ``chunk_seconds``, give or take the search for a
    quiet cut (up to 5 s, or a half chunk); the last may be shorter."""
    if not chunk_seconds >= 1:
        raise UsageError(f"audio chunks must be at least 1 s long, got {chunk_seconds}")
    size = round(chunk_seconds * SAMPLE_RATE)
    search = min(round(_CUT_SEARCH * SAMPLE_RATE), size // 2)
    pending: list[np.ndarray] = []  # decoded blocks not yet in a chunk
    count = 0  # samples in them
    start = 0  # in samples, of their first sample
    index = 0
    for block in _blocks(path):
        pending.append(block)
        count += len(block)
        if count < size + search:
            continue
        buffer = np.concatenate(pending)
        while len(buffer) >= size + search:
            cut = _quietest(buffer, size - search, size + search)
            yield AudioChunk(index, start / SAMPLE_RATE, buffer[:cut])
            buffer, start, index = buffer[cut:], start + cut, index + 1
        pending, count = [buffer], len(buffer)
    if count:
        yield AudioChunk(index, start / SAMPLE_RATE, np.concatenate(pending))


def _quietest(samples: np.ndarray, lo: int, hi: int) -> int:
    """The sample in [lo, hi) at the middle of the quietest window."""
    window = round(_CUT_FRAME * SAMPLE_RATE)
    count = (hi - lo) // window
    energy = np.square(samples[lo : lo + count * window]).reshape(count, window).mean(axis=1)
    return lo + int(np.argmin(energy)) * window + window // 2


def _blocks(path: str | Path) -> Iterator[np.ndarray]:
    """Decoded audio, resampled, in decoder-sized blocks placed by their timestamps on the
    video's clock (zero at the video stream's start, as frame times are)."""
    path = check_path(path)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    expected: float | None = None  # where the previous frame ended, in seconds
    drop = 0  # samples still to drop: audio from before the video's start
    decoded = skipped = 0
    with _open(path) as container:
        stream = _audio_stream(container, path)
        clock = container.streams.video[0] if container.streams.video else stream
        origin = float((clock.start_time or 0) * clock.time_base) if clock.time_base else 0.0
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.FFmpegError:
                skipped += 1  # a corrupt packet: its stretch is filled with silence below
                continue
            for frame in frames:
                decoded += 1
                at = _time_of(frame, origin)
                if at is None:
                    at = expected or 0.0
                if expected is None:  # the first frame: audio may start before or after 0
                    if at > _GAP_TOLERANCE:
                        yield np.zeros(round(at * SAMPLE_RATE), np.float32)
                    drop = max(0, round(-at * SAMPLE_RATE))
                elif at - expected > _GAP_TOLERANCE:
                    # Fed through the resampler, so that its phase and delay carry on.
                    for gap in _silence(frame, at - expected):
                        yield from _resampled(resampler, gap)
                expected = at + frame.samples / frame.sample_rate
                for samples in _resampled(resampler, frame):
                    cut = min(drop, len(samples))
                    drop -= cut
                    yield samples[cut:]
        yield from _resampled(resampler, None)
    if skipped:
        log.warning("%s: skipped %d corrupt audio packets (heard as silence)", path, skipped)
    if skipped and not decoded:
        raise AudioDecodeError(f"cannot decode the audio track of {path}: {_FIX}")


def _time_of(frame: av.AudioFrame, origin: float) -> float | None:
    if frame.pts is None or frame.time_base is None:
        return None
    return float(frame.pts * frame.time_base) - origin


def _resampled(resampler: av.AudioResampler, frame: av.AudioFrame | None) -> Iterator[np.ndarray]:
    for out in resampler.resample(frame):
        yield out.to_ndarray().reshape(-1)


def _silence(like: av.AudioFrame, seconds: float) -> Iterator[av.AudioFrame]:
    """``seconds`` of silence in ``like``'s format, a second at a time."""
    channels = len(like.layout.channels)
    dtype = like.to_ndarray().dtype
    left = round(seconds * like.sample_rate)
    while left > 0:
        count = min(left, like.sample_rate)
        shape = (channels, count) if like.format.is_planar else (1, count * channels)
        frame = av.AudioFrame.from_ndarray(
            np.zeros(shape, dtype), format=like.format.name, layout=like.layout.name
        )
        frame.sample_rate = like.sample_rate
        left -= count
        yield frame


def _open(path: Path):
    try:
        return av.open(str(path))
    except av.FFmpegError as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise VideoOpenError(f"cannot open {path} ({reason}); {_FIX}") from None


def _audio_stream(container, path: Path):
    if not container.streams.audio:
        raise NoAudioError(
            f"{path} has no audio track: there is no speech to transcribe (search its frames "
            f"or on-screen text instead)"
        )
    stream = container.streams.audio[0]
    stream.thread_type = "AUTO"
    return stream
