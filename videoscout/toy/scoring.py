"""Marking an agent's answer against the toy world's truth: lenient on wording, strict on content.

``score(item, answer)`` takes one question of the truth file (``video_questions`` or a frame
question) and an ``AgentAnswer``; it says whether the answer is right (``correct``), whether the
moments it cites are the true ones (``time_ok``; None where the question has no times), and how
many citations the agent had to drop as unsupported by its evidence (``unsupported``).

A cited window matches a true one at IoU >= 0.5; a cited instant (start == end) matches a window
it lies in or within 1 s of.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..agent.answer import AgentAnswer, Citation
from .world import COLOURS, SHAPES, SIZES

FRAME_KINDS = ("count", "place", "colour", "shape", "size")
WINDOW_KINDS = ("when", "first", "last")
MATCH_IOU = 0.5
INSTANT_SLACK = 1.0  # seconds an instant may lie outside a true window and still match it
BEFORE_SLACK = 1.5  # seconds between a "before" question's reference time and a citation

NUMBER_WORDS = {
    "no": 0,
    "zero": 0,
    "none": 0,
    "never": 0,
    "one": 1,
    "once": 1,
    "two": 2,
    "twice": 2,
    "three": 3,
    "thrice": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_THING = re.compile(
    rf"\b({'|'.join(SIZES)}) ({'|'.join(COLOURS)}) ({'|'.join(SHAPES)})s?\b", re.IGNORECASE
)
_TIME = re.compile(r"\d+(?::\d+)+(?:\.\d+)?|\d+(?:\.\d+)?\s*s\b")
_NUMBER = re.compile(rf"\b(\d+|{'|'.join(NUMBER_WORDS)})\b", re.IGNORECASE)
_NOT_FOUND = re.compile(
    r"\b(does not|doesn't|did not|didn't|never|could not|couldn't|cannot|can't|not)\b"
    r"[^.]*\b(appear|appears|find|found|see|seen|shown|present|in the video)\b"
    r"|\bno (sign|trace)\b|\bnot found\b",
    re.IGNORECASE,
)
_NOTHING = re.compile(r"\b(nothing|no objects?|no shapes?|empty|none)\b", re.IGNORECASE)


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two [start, end] windows (0 when either is empty)."""
    overlap = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return overlap / union if union > 0 else 0.0


def matches(citation: Citation, window: Sequence[float]) -> bool:
    """A cited window with IoU >= 0.5, or a cited instant within 1 s of ``window``."""
    if citation.end <= citation.start:
        t = citation.start
        return window[0] - INSTANT_SLACK <= t <= window[1] + INSTANT_SLACK
    return iou((citation.start, citation.end), window) >= MATCH_IOU


def overlaps(citation: Citation, window: Sequence[float]) -> bool:
    """Whether a citation touches ``window`` at all (an instant: within 1 s of it)."""
    if citation.end <= citation.start:
        return matches(citation, window)
    return min(citation.end, window[1]) > max(citation.start, window[0])


def all_cited(citations: Sequence[Citation], windows: Sequence[Sequence[float]]) -> bool:
    """Every true window is matched by some citation."""
    return all(any(matches(c, w) for c in citations) for w in windows)


def count_unsupported(answer: AgentAnswer) -> int:
    """Citations the agent dropped because its evidence did not support them (from its notes)."""
    return sum(note.startswith("unsupported") for note in answer.notes)


def things_named(text: str) -> set[str]:
    """The toy things ("big red circle") that ``text`` names, singular."""
    return {" ".join(m.groups()).lower() for m in _THING.finditer(text)}


def says_not_found(text: str) -> bool:
    return bool(_NOT_FOUND.search(text))


def stated_count(text: str) -> int | None:
    """The number an answer states ("appears 3 times", "twice"), ignoring digits in times."""
    text = _TIME.sub(" ", text)
    said = re.search(r"\b(\d+|[a-z]+) times?\b|\b(once|twice|thrice|never)\b", text, re.I)
    if said:
        value = _number(said.group(1) or said.group(2))
        if value is not None:
            return value
    found = _NUMBER.search(text)
    return _number(found.group(1)) if found else None


def score(item: dict, answer: AgentAnswer, unsupported: int | None = None) -> dict:
    """Whether ``answer`` answers ``item`` correctly, and cites the true moments."""
    kind, text, cites = item["kind"], answer.text, answer.citations
    windows = item.get("answer_times") or []
    time_ok: bool | None = all_cited(cites, windows) if windows else None
    if kind in WINDOW_KINDS:
        stray = any(not any(overlaps(c, w) for w in windows) for c in cites)
        correct = answer.found and bool(time_ok) and not stray
    elif kind == "times":
        correct = answer.found and stated_count(text) == item["count"]
    elif kind == "after":
        correct = answer.found and set(item["answer_names"]) <= things_named(text)
    elif kind == "before":
        truth = set(item["answer_names"])
        named = things_named(text) - {item["subject"]}
        correct = named == truth and (bool(truth) or bool(_NOTHING.search(text)))
        time_ok = any(_near(c, item["reference_time"], BEFORE_SLACK) for c in cites)
    elif kind == "where":
        correct = answer.found and _says_word(text, item["answer"])
    elif kind == "absent":
        correct = (not answer.found or says_not_found(text)) and not cites
        time_ok = None
    elif kind in FRAME_KINDS:
        if kind == "count":  # "two objects", "2 objects"; "no objects", "nothing"
            value = NUMBER_WORDS[item["answer"]]
            nothing = value == 0 and bool(_NOTHING.search(text))
            correct = nothing or stated_count(text) == value
        else:
            correct = _says_word(text, item["answer"])
        time_ok = None
    else:
        raise ValueError(f"no scoring rule for question kind {kind!r}")
    return {
        "correct": bool(correct),
        "time_ok": time_ok,
        "unsupported": count_unsupported(answer) if unsupported is None else unsupported,
    }


def _near(citation: Citation, t: float, slack: float) -> bool:
    """The citation's frame (or instant) is within ``slack`` of ``t``, or its window holds ``t``."""
    instant = citation.time
    if instant is None and citation.end <= citation.start:
        instant = citation.start
    if instant is not None and abs(instant - t) <= slack:
        return True
    return citation.start <= t <= citation.end


def _number(word: str) -> int | None:
    word = word.lower()
    return int(word) if word.isdigit() else NUMBER_WORDS.get(word)


def _says_word(text: str, word: str) -> bool:
    return bool(re.search(rf"\b{re.escape(word)}\b", text, re.IGNORECASE))
