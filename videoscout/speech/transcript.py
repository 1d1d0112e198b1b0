"""What was said and when: words, segments, and a transcript that can be searched and read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from ..errors import InvalidTimeError
from .bm25 import rank


@dataclass(frozen=True)
class Word:
    text: str
    start: float  # seconds from the start of the video
    end: float
    confidence: float | None = None  # the engine's, in [0, 1], where it gives one

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Segment:
    """A stretch of speech between pauses: its text, and its words where the engine times them."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()

    def to_dict(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "words": [w.to_dict() for w in self.words],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Segment:
        words = tuple(Word(**w) for w in data.get("words", ()))
        return cls(float(data["start"]), float(data["end"]), str(data["text"]), words)


@dataclass(frozen=True)
class SpeechHit:
    """A segment that matches a text query; ``score`` is its BM25 score (higher is better)."""

    start: float
    end: float
    text: str
    score: float
    index: int  # of the segment in its transcript

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Transcript:
    """A video's speech as recognised by one engine. No segments means no speech was heard."""

    segments: tuple[Segment, ...]
    engine: str  # the ASR spec
    duration: float  # seconds of audio transcribed
    info: dict = field(default_factory=dict)  # cache key, fingerprint, timings

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    def find(self, query: str, k: int = 5) -> list[SpeechHit]:
        """The ``k`` segments that best match ``query`` (BM25), best first; ``[]`` when no
        segment shares a word with it."""
        from .. import arguments

        query = arguments.text(query, "query", "give words that may be said")
        k = arguments.count(k, "k", 1, arguments.MAX_MOMENTS)
        ranked = rank([s.text for s in self.segments], query, k)
        return [
            SpeechHit(self.segments[i].start, self.segments[i].end, self.segments[i].text, s, i)
            for i, s in ranked
        ]

    def between(self, start: float | str, end: float | str) -> list[Segment]:
        """The segments said (at least partly) between ``start`` and ``end`` (seconds, or text
        such as ``"1:23.5"``)."""
        from .. import arguments

        start, end = arguments.seconds(start, "start"), arguments.seconds(end, "end")
        if end < start:
            raise InvalidTimeError(f"the range ends before it starts: {start:g}-{end:g}")
        return [s for s in self.segments if s.end > start and s.start < end]

    def to_dict(self) -> dict:
        return {
            "engine": self.engine,
            "duration": self.duration,
            "info": self.info,
            "segments": [s.to_dict() for s in self.segments],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Transcript:
        segments = tuple(Segment.from_dict(s) for s in data["segments"])
        return cls(segments, str(data["engine"]), float(data["duration"]), data.get("info", {}))


def segments_from_words(
    words: Sequence[Word], pause: float = 0.5, longest: float = 12.0
) -> list[Segment]:
    """Words grouped into segments at pauses of ``pause`` seconds or more; a segment longer
    than ``longest`` is split at its longest pause."""
    groups: list[list[Word]] = []
    for word in words:
        if groups and word.start - groups[-1][-1].end < pause:
            groups[-1].append(word)
        else:
            groups.append([word])
    segments = []
    for group in groups:
        segments += [_segment(part) for part in _split(group, longest)]
    return segments


def _split(words: list[Word], longest: float) -> list[list[Word]]:
    if len(words) < 2 or words[-1].end - words[0].start <= longest:
        return [words]
    gaps = [words[i + 1].start - words[i].end for i in range(len(words) - 1)]
    cut = max(range(len(gaps)), key=gaps.__getitem__) + 1
    return _split(words[:cut], longest) + _split(words[cut:], longest)


def _segment(words: list[Word]) -> Segment:
    return Segment(words[0].start, words[-1].end, " ".join(w.text for w in words), tuple(words))
