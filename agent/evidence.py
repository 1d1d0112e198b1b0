"""Evidence: what tools returned, as plain data, and the check that an answer's times rest on it.

An item is a dict: ``id``, ``turn``, ``kind`` (moment, caption, look, speech, screen, silence),
``source`` (the call that returned it), ``start``/``end`` (a search window, a passage of speech,
a text's time on screen, or the frame's own time for a frame), ``time`` (the frame looked at,
or a window's best frame) and ``text``. A time is supported when
it lies inside a returned window or within ``FRAME_SLACK`` of a frame that was looked at.
"""

from __future__ import annotations

import re

from videoscout.errors import InvalidTimeError
from videoscout.timefmt import format_time, parse_time

from .answer import Citation
from .questions import CLOCK

FRAME_SLACK = 1.0
WINDOW_SLACK = 0.05
# Kinds whose start-end is a stretch of time a tool returned (not one frame).
WINDOWS = ("moment", "speech", "screen", "silence")

# [1:02.00-1:10.50], 1:02–1:10, 1:23 (times in an answer are written M:SS or H:MM:SS)
_SPAN = re.compile(rf"(?P<a>{CLOCK})(?:\s*(?:-|–|—|to)\s*(?P<b>{CLOCK}))?")
# "at 83.5 s" names a moment; "for 12 s" is a duration, not a time to check.
_SECONDS = re.compile(r"\bat (?P<s>\d+(?:\.\d+)?)\s*(?:s|sec|secs|seconds)\b")


def window(start: float, end: float) -> str:
    return f"[{format_time(start)}-{format_time(end)}]"


def add(evidence: list[dict], turn: int, kind: str, source: str, **fields) -> dict:
    item = {"id": len(evidence) + 1, "turn": turn, "kind": kind, "source": source, **fields}
    for key in ("start", "end", "time", "score"):
        if key in item and item[key] is not None:
            item[key] = round(float(item[key]), 3)  # plain floats: numpy scalars don't serialise
    evidence.append(item)
    return item


def of_turn(evidence: list[dict], turn: int, kind: str | None = None) -> list[dict]:
    return [e for e in evidence if e["turn"] == turn and (kind is None or e["kind"] == kind)]


def supporting(evidence: list[dict], t: float) -> dict | None:
    """The evidence item that supports time ``t``: a window around it, or a frame near it;
    the latest turn's first (a follow-up's citations come from its own searches and frames)."""
    for turn in sorted({e["turn"] for e in evidence}, reverse=True):
        items = [e for e in evidence if e["turn"] == turn]  # in tool order
        windows = [
            e
            for e in items
            if e["kind"] in WINDOWS and e["start"] - WINDOW_SLACK <= t <= e["end"] + WINDOW_SLACK
        ]
        if windows:
            return windows[0]
        frames = [
            e
            for e in items
            if e.get("time") is not None and abs(e["time"] - t) <= FRAME_SLACK + WINDOW_SLACK
        ]
        if frames:
            return min(frames, key=lambda e: abs(e["time"] - t))
    return None


def _source_of(evidence: list[dict], start: float, end: float) -> dict | None:
    """The item a cited span came from: a window with exactly these ends if a tool returned
    one (latest turn first), else whatever supports its start."""
    exact = [
        e
        for e in sorted(evidence, key=lambda e: -e["turn"])
        if e["kind"] in WINDOWS
        and abs(e["start"] - start) <= WINDOW_SLACK
        and abs(e["end"] - end) <= WINDOW_SLACK
    ]
    return exact[0] if exact else supporting(evidence, start)


def spans_in(text: str) -> list[tuple[float, float]]:
    """The times and ranges an answer mentions, as (start, end); a single time has start ==
    end. Seconds written as "83.5 s" count too."""
    found: list[tuple[float, float]] = []
    for match in _SPAN.finditer(text):
        try:
            a = parse_time(match["a"])
            b = parse_time(match["b"]) if match["b"] else a
        except InvalidTimeError:
            continue
        found.append((a, b))
    for match in _SECONDS.finditer(text):
        found.append((float(match["s"]),) * 2)
    return found


def check(text: str, evidence: list[dict], duration: float) -> tuple[list[Citation], list[str]]:
    """The answer's citations, and one problem per time that no evidence supports."""
    citations: list[Citation] = []
    problems: list[str] = []
    for start, end in spans_in(text):
        label = format_time(start) if start == end else window(start, end)
        first, last = supporting(evidence, start), supporting(evidence, end)
        if first is None or last is None:
            if start > duration + WINDOW_SLACK or end > duration + WINDOW_SLACK:
                problems.append(
                    f"{label} is outside the video (it runs 0:00-{format_time(duration)})"
                )
            else:
                problems.append(f"{label} was not returned by any tool")
            continue
        source = _source_of(evidence, start, end)
        # An instant is its own frame; a window's frame is the one its source looked at.
        frame = start if start == end else source.get("time")
        citations.append(Citation(start, end, frame, source["source"], source.get("text", "")))
    return _unique(citations), problems


def _unique(citations: list[Citation]) -> list[Citation]:
    seen, kept = set(), []
    for c in citations:
        if (c.start, c.end) not in seen:
            seen.add((c.start, c.end))
            kept.append(c)
    return kept


def render(evidence: list[dict]) -> str:
    """The evidence as numbered lines for a model to read."""
    lines = []
    for e in evidence:
        if e["kind"] == "moment":
            where = f"{window(e['start'], e['end'])} best frame {format_time(e['time'])}"
        elif e["kind"] in WINDOWS:
            where = f'{window(e["start"], e["end"])} "{e["text"]}"'
            lines.append(f"E{e['id']} {e['source']}: {where}")
            continue
        else:
            where = f"frame at {format_time(e['time'])}"
        lines.append(f"E{e['id']} {e['source']}: {where}: {e.get('text', '')}".rstrip(": "))
    return "\n".join(lines) if lines else "(no evidence yet)"
