"""Scoring a transcript against the words a narrator actually said, and when."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .transcript import Transcript

_WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class TimedWord:
    text: str
    start: float
    end: float


def normalise(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def align(
    reference: Sequence[str], hypothesis: Sequence[str]
) -> list[tuple[int | None, int | None]]:
    """A minimum-edit alignment: (reference index, hypothesis index) pairs, ``None`` on the side
    that has no word (a deletion or an insertion)."""
    n, m = len(reference), len(hypothesis)
    cost = np.zeros((n + 1, m + 1), dtype=np.int32)
    cost[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    hyp = np.asarray(hypothesis, dtype=object)
    steps = np.arange(m + 1)
    for i in range(1, n + 1):
        differs = (hyp != reference[i - 1]).astype(np.int32)
        row = np.minimum(cost[i - 1, 1:] + 1, cost[i - 1, :-1] + differs)
        # Insertions chain along the row: cost[i, j] = min(row[j], cost[i, j - 1] + 1), which
        # is a running minimum once each entry is shifted by its column.
        cost[i] = np.minimum.accumulate(np.concatenate([[i], row]) - steps) + steps
    pairs: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i or j:
        if i and j and cost[i, j] == cost[i - 1, j - 1] + (reference[i - 1] != hypothesis[j - 1]):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i and cost[i, j] == cost[i - 1, j] + 1:
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    return pairs[::-1]


def word_scores(reference: Sequence[TimedWord], hypothesis: Sequence[TimedWord]) -> dict:
    """Word error rate, and how far off the start times of correctly recognised words are."""
    ref = [w.text for w in reference]
    hyp = [w.text for w in hypothesis]
    pairs = align(ref, hyp)
    substitutions = sum(1 for i, j in pairs if i is not None and j is not None and ref[i] != hyp[j])
    deletions = sum(1 for i, j in pairs if j is None)
    insertions = sum(1 for i, j in pairs if i is None)
    offsets = [
        abs(hypothesis[j].start - reference[i].start)
        for i, j in pairs
        if i is not None and j is not None and ref[i] == hyp[j]
    ]
    errors = substitutions + deletions + insertions
    return {
        "wer": round(errors / max(1, len(ref)), 4),
        "reference_words": len(ref),
        "hypothesis_words": len(hyp),
        "substitutions": substitutions,
        "deletions": deletions,
        "insertions": insertions,
        "matched_words": len(offsets),
        "word_start_error_mean": round(float(np.mean(offsets)), 3) if offsets else None,
        "word_start_error_median": round(float(np.median(offsets)), 3) if offsets else None,
        "word_start_within_0.25s": round(float(np.mean(np.array(offsets) <= 0.25)), 4)
        if offsets
        else None,
    }


def phrase_recall(transcript: Transcript, lines: Sequence[dict], tolerance: float = 1.0) -> dict:
    """Spoken-phrase search R@1: each line's text as a query; a hit when its top segment is
    within ``tolerance`` seconds of a time the line (or an identical one) was said."""
    said: dict[str, list[float]] = {}
    for line in lines:
        said.setdefault(line["text"], []).append(float(line["start"]))
    by_kind: dict[str, list[bool]] = {}
    misses = []
    for line in lines:
        hits = transcript.find(line["text"], k=1)
        ok = bool(hits) and any(
            hits[0].start - tolerance <= t <= hits[0].end + tolerance for t in said[line["text"]]
        )
        by_kind.setdefault(line.get("kind", "line"), []).append(ok)
        if not ok:
            top = f"{hits[0].start:.1f}s {hits[0].text!r}" if hits else "nothing"
            misses.append(f"{line['start']:.1f}s {line['text']!r} -> {top}")
    every = [ok for oks in by_kind.values() for ok in oks]
    return {
        "phrase_r_at_1": round(float(np.mean(every)), 4) if every else None,
        "phrase_r_at_1_by_kind": {k: round(float(np.mean(v)), 4) for k, v in by_kind.items()},
        "phrases": len(every),
        "repeated_phrases": sum(1 for times in said.values() if len(times) > 1),
        "misses": misses,
    }
