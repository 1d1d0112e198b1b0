"""Lines read frame by frame, merged into spans: the same text on screen from ``start`` to ``end``.

OCR jitters: one frame reads "SCENE 2", the next "SCENE·2" or "SCENE2", and now and then a
frame misses a line. So lines match when their letters and digits are close in edit distance,
and a span survives a miss if the text is back within ``bridge`` seconds. A span ends at the
first frame read without it: frames between two read ones were skipped because nothing changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from .lines import Box, FrameText, OcrLine


@dataclass(frozen=True)
class SpanOptions:
    """How lines become spans (not part of the cache key: spans are rebuilt on every load)."""

    min_confidence: float = 0.6  # lines the engine is less sure of are dropped
    min_chars: int = 2  # lines with fewer letters or digits are dropped (shapes read as "口")
    max_distance: float = 0.34  # edit distance / length under which two lines are the same text
    bridge: float = 1.5  # seconds a span may go unseen and still continue


@dataclass(frozen=True)
class TextSpan:
    """One text on screen from ``start`` to ``end`` (seconds), as read most often."""

    start: float
    end: float
    text: str
    confidence: float  # mean over the frames that read it
    box: Box  # where it was last read, in video pixels
    frames: int  # how many frames read it

    def to_dict(self) -> dict:
        return {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "text": self.text,
            "confidence": round(self.confidence, 4),
            "box": [round(v, 1) for v in self.box],
            "frames": self.frames,
        }


def text_key(text: str) -> str:
    """What two readings of one text share: its letters and digits, case-folded."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def text_distance(a: str, b: str) -> float:
    """Edit distance of two keys over the longer one's length: 0 same, 1 nothing shared."""
    if not a or not b:
        return 1.0
    return edit_distance(a, b) / max(len(a), len(b))


@dataclass
class _Open:
    start: float
    last_seen: float
    line: OcrLine
    keys: set[str]
    readings: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    confidences: list[float] = field(default_factory=list)
    missing_since: float | None = None

    def add(self, line: OcrLine, time: float) -> None:
        self.readings[line.text.strip()] += line.confidence
        self.confidences.append(line.confidence)
        self.keys.add(text_key(line.text))
        self.line, self.last_seen, self.missing_since = line, time, None

    def distance(self, key: str) -> float:
        return min(text_distance(key, known) for known in self.keys)

    def close(self, end: float) -> TextSpan:
        text = max(self.readings.items(), key=lambda item: item[1])[0]
        confidence = sum(self.confidences) / len(self.confidences)
        return TextSpan(self.start, end, text, confidence, self.line.box, len(self.confidences))


def merge_spans(
    frames: Sequence[FrameText], end: float, options: SpanOptions | None = None
) -> list[TextSpan]:
    """Spans of the text in ``frames`` (every frame read, in time order); ``end`` is when the
    video ends, where text still on screen in the last frame read ends too."""
    options = options or SpanOptions()
    open_spans: list[_Open] = []
    done: list[TextSpan] = []
    for frame in frames:
        still_open = []
        for span in open_spans:
            missing = span.missing_since
            if missing is not None and frame.time - missing > options.bridge:
                done.append(span.close(missing))
            else:
                still_open.append(span)
        open_spans = still_open
        lines = [line for line in frame.lines if _kept(line, options)]
        matched = _match(open_spans, lines, options.max_distance)
        for i, line in enumerate(lines):
            if i in matched:
                matched[i].add(line, frame.time)
            else:
                span = _Open(frame.time, frame.time, line, set())
                span.add(line, frame.time)
                open_spans.append(span)
        for span in open_spans:
            if span.last_seen != frame.time and span.missing_since is None:
                span.missing_since = frame.time
    for span in open_spans:
        done.append(span.close(end if span.missing_since is None else span.missing_since))
    return sorted(done, key=lambda s: (s.start, s.box[1], s.box[0]))


def _kept(line: OcrLine, options: SpanOptions) -> bool:
    confident = line.confidence >= options.min_confidence
    return confident and len(text_key(line.text)) >= options.min_chars


def _match(spans: list[_Open], lines: list[OcrLine], max_distance: float) -> dict[int, _Open]:
    """Pairs each line with at most one open span of the same text, closest text first and, for
    equal text (a word shown twice), nearest box."""
    pairs = []
    for i, line in enumerate(lines):
        key = text_key(line.text)
        for span in spans:
            distance = span.distance(key)
            if distance <= max_distance:
                pairs.append((distance, _box_distance(line.box, span.line.box), i, id(span), span))
    matched: dict[int, _Open] = {}
    taken: set[int] = set()
    for _, _, i, span_id, span in sorted(pairs, key=lambda p: p[:4]):
        if i not in matched and span_id not in taken:
            matched[i] = span
            taken.add(span_id)
    return matched


def _box_distance(a: Box, b: Box) -> float:
    return abs(a[0] + a[2] - b[0] - b[2]) + abs(a[1] + a[3] - b[1] - b[3])
