"""A narrator for toy videos: the timeline's events spoken at known times, as an audio track.

At each scene's start the narrator says where we are ("we are on the beach"), at each event's
start what appears ("a small red circle appears, moving left to right"), at its end what leaves
("the red circle leaves"). Lines never overlap: a line waits for quiet, "appears" lines go
first, and a line that would come more than ``MAX_DELAY`` late is left out. Every spoken line,
with the time of each of its words, goes into the ground truth, so a transcript can be scored
against it. Word times are the same on every run; the samples vary at noise level (the Klatt
voice's breath noise is random).

The voice is espeak-ng's (``espeak.py``), mixed over a faint noise floor (any recording has one,
and pocketsphinx decodes digital silence around speech badly) and muxed into the video as AAC.
"""

from __future__ import annotations

import bisect
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from .espeak import DEFAULT_RATE, DEFAULT_VOICE, Utterance, speak
from .truth import PLACES
from .world import Timeline

GAP = 0.5  # seconds of quiet between two lines
MAX_DELAY = 3.0  # a line later than this after its moment is not said
NOISE_FLOOR = 0.001  # standard deviation of the background hiss (about -60 dBFS)
_BLOCK_SECONDS = 1.0  # the track is mixed and encoded a block at a time: memory stays flat
_LEAD_SECONDS = 0.5  # audio written ahead of the video, so the two streams interleave
_MOTIONS = {
    "left to right": ", moving left to right",
    "right to left": ", moving right to left",
    "still": ", standing still",
}


@dataclass(frozen=True)
class Line:
    """Something the narrator means to say at ``time``."""

    time: float
    text: str
    kind: str  # "scene", "appears" or "leaves"
    event: int | None = None


def script(timeline: Timeline) -> list[Line]:
    """Every line the narrator would say, in time order (before any is left out)."""
    lines = [Line(s.start, f"we are {PLACES[s.background]}", "scene") for s in timeline.scenes]
    for e in timeline.events:
        thing = e.thing
        lines.append(Line(e.start, f"a {thing.name} appears{_MOTIONS[e.motion]}", "appears", e.id))
        lines.append(Line(e.end, f"the {thing.colour} {thing.shape} leaves", "leaves", e.id))
    order = {"leaves": 0, "scene": 1, "appears": 2}
    return sorted(lines, key=lambda line: (line.time, order[line.kind]))


def narrate(
    timeline: Timeline,
    video_path: str | Path,
    *,
    seed: int = 0,
    voice: str = DEFAULT_VOICE,
    rate: int = DEFAULT_RATE,
) -> list[dict]:
    """Speak ``timeline`` into ``video_path`` (an MP4 without audio), replacing the file.

    Returns the spoken lines: ``{"start", "end", "text", "kind", "event", "words": [{"word",
    "start", "end"}]}`` with times in seconds of the video.
    """
    video_path = Path(video_path)
    spoken, voices = _schedule(script(timeline), timeline.duration, voice, rate)
    track = _Track(spoken, voices, timeline.duration, seed)
    _replace(video_path, lambda tmp: _mux(video_path, tmp, track))
    return [_record(line, start, voices[line.text]) for line, start in spoken]


def narration_audio(
    timeline: Timeline,
    path: str | Path,
    *,
    seed: int = 0,
    voice: str = DEFAULT_VOICE,
    rate: int = DEFAULT_RATE,
) -> list[dict]:
    """The narration alone, as an AAC file (``.m4a``): for long benchmarks that need no
    pictures. Returns the spoken lines, as ``narrate`` does."""
    path = Path(path)
    spoken, voices = _schedule(script(timeline), timeline.duration, voice, rate)
    track = _Track(spoken, voices, timeline.duration, seed)
    _replace(path, lambda tmp: _write_audio(tmp, track))
    return [_record(line, start, voices[line.text]) for line, start in spoken]


def _schedule(
    lines: list[Line], duration: float, voice: str, rate: int
) -> tuple[list[tuple[Line, float]], dict[str, Utterance]]:
    """When each line is said: scene and "appears" lines first, each as soon as the previous
    one is done; then "leaves" lines, each in the first quiet stretch after its moment."""
    voices: dict[str, Utterance] = {}
    taken: list[tuple[float, float]] = []  # (start, end) of placed lines, sorted
    spoken: list[tuple[Line, float]] = []
    for first_pass in (True, False):
        for line in lines:
            if (line.kind == "leaves") == first_pass:
                continue
            if line.text not in voices:
                voices[line.text] = speak(line.text, voice, rate)
            length = voices[line.text].duration
            start = _first_free(taken, line.time, length)
            if start - line.time > MAX_DELAY or start + length > duration:
                continue
            bisect.insort(taken, (start, start + length))
            spoken.append((line, start))
    spoken.sort(key=lambda item: item[1])
    return spoken, voices


def _first_free(taken: list[tuple[float, float]], at: float, length: float) -> float:
    """The earliest start from ``at`` where ``length`` seconds fit with ``GAP`` either side of
    the ``taken`` stretches (sorted, never overlapping, so their ends are sorted too)."""
    start = at
    for begin, end in taken[bisect.bisect_right(taken, at - GAP, key=_end) :]:
        if start + length + GAP <= begin:
            break
        start = max(start, end + GAP)
    return round(start, 3)


def _end(stretch: tuple[float, float]) -> float:
    return stretch[1]


def _record(line: Line, start: float, utterance: Utterance) -> dict:
    words = [
        {"word": w.text, "start": round(start + w.start, 3), "end": round(start + w.end, 3)}
        for w in utterance.words
    ]
    return {
        "start": words[0]["start"] if words else start,
        "end": words[-1]["end"] if words else round(start + utterance.duration, 3),
        "text": line.text,
        "kind": line.kind,
        "event": line.event,
        "words": words,
    }


def _replace(path: Path, write) -> None:
    """``write(temporary path)`` beside ``path``, then rename it over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's files are private
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mux(video_path: Path, tmp: str, track: _Track) -> None:
    """The video's packets copied into ``tmp``, with the narration track interleaved."""
    with av.open(str(video_path)) as source, av.open(tmp, "w", format="mp4") as target:
        video_in = source.streams.video[0]
        video_out = target.add_stream_from_template(video_in)
        audio_out = target.add_stream("aac", rate=track.rate, layout="mono")
        for packet in source.demux(video_in):
            if packet.dts is None:  # the demuxer's end-of-stream marker
                continue
            seconds = float(packet.pts * packet.time_base) if packet.pts is not None else 0.0
            for frame in track.frames_until(seconds + _LEAD_SECONDS):
                target.mux(audio_out.encode(frame))
            packet.stream = video_out
            target.mux(packet)
        for frame in track.frames_until(math.inf):
            target.mux(audio_out.encode(frame))
        target.mux(audio_out.encode(None))


def _write_audio(tmp: str, track: _Track) -> None:
    with av.open(tmp, "w", format="mp4") as target:
        audio_out = target.add_stream("aac", rate=track.rate, layout="mono")
        for frame in track.frames_until(math.inf):
            target.mux(audio_out.encode(frame))
        target.mux(audio_out.encode(None))


class _Track:
    """The narration track, mixed a block at a time: noise floor plus the lines in the block."""

    def __init__(
        self,
        spoken: list[tuple[Line, float]],
        voices: dict[str, Utterance],
        duration: float,
        seed: int,
    ) -> None:
        rate = next(iter(voices.values())).sample_rate if voices else 22050
        self.clips = [(round(start * rate), voices[line.text].samples) for line, start in spoken]
        self.rate, self.total, self.seed = rate, round(duration * rate), seed
        self.starts = [at for at, _ in self.clips]  # sorted: lines never overlap
        self.longest = max((len(clip) for _, clip in self.clips), default=0)
        self.block = round(_BLOCK_SECONDS * rate)
        self.written = 0

    def frames_until(self, seconds: float):
        stop = self.total if seconds == math.inf else min(self.total, round(seconds * self.rate))
        while self.written < stop:
            yield self._frame(self.written, min(self.written + self.block, self.total))

    def _frame(self, begin: int, end: int) -> av.AudioFrame:
        rng = np.random.default_rng([self.seed, begin // self.block])
        mix = rng.normal(0.0, NOISE_FLOOR, end - begin).astype(np.float32)
        first = bisect.bisect_left(self.starts, begin - self.longest)
        for at, clip in self.clips[first : bisect.bisect_left(self.starts, end)]:
            lo, hi = max(begin, at), min(end, at + len(clip))
            if lo < hi:
                mix[lo - begin : hi - begin] += clip[lo - at : hi - at]
        frame = av.AudioFrame.from_ndarray(
            np.clip(mix, -1.0, 1.0)[None, :], format="fltp", layout="mono"
        )
        frame.sample_rate, frame.pts = self.rate, begin
        self.written = end
        return frame
