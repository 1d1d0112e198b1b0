"""The on-screen text of one video: the frames read and the spans merged from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import arguments
from ..describe import checked_range, checked_times
from .lines import FrameText
from .ranking import TextHit, find_spans
from .spans import SpanOptions, TextSpan, merge_spans

if TYPE_CHECKING:
    from .reading import ReadStats


@dataclass(frozen=True)
class VideoText:
    """Spans of text on screen, with times; ``frames`` holds every frame read, blank ones too."""

    path: Path
    engine: str
    frames: Sequence[FrameText]
    duration: float
    reused: bool = False
    options: SpanOptions | None = None
    stats: ReadStats | None = None  # set when the text was just read, not loaded
    spans: list[TextSpan] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "spans", merge_spans(self.frames, self.duration, self.options))

    def at(self, t: float | str) -> list[TextSpan]:
        """The text on screen at ``t`` (seconds, or text such as ``"1:23.5"``)."""
        (t,) = checked_times([arguments.seconds(t, "t")], self.duration)
        return [s for s in self.spans if s.start <= t < s.end or t == s.end == self.duration]

    def between(self, start: float | str, end: float | str) -> list[TextSpan]:
        """The text on screen at any moment of [start, end] (seconds or text)."""
        start, end = checked_range(
            arguments.seconds(start, "start"), arguments.seconds(end, "end"), self.duration
        )
        return [s for s in self.spans if s.start <= end and s.end > start]

    def find(self, query: str, k: int = 5) -> list[TextHit]:
        """Spans whose text best matches ``query`` (BM25), best first."""
        query = arguments.text(query, "query", "give words that may be written on screen")
        return find_spans(self.spans, query, arguments.count(k, "k", 1, arguments.MAX_MOMENTS))

    def to_dict(self) -> dict:
        return {
            "video": str(self.path),
            "engine": self.engine,
            "duration": round(self.duration, 3),
            "spans": [s.to_dict() for s in self.spans],
        }
