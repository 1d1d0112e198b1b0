"""The agent's closed set of actions, run on the video: each adds evidence and one step.

``search`` (moments for a description), ``caption`` (what frames at given times show),
``describe`` (captions spread over a range), ``look`` (a question about frames at given times)
``around`` (captions just before or after an earlier result), ``listen`` (passages of speech
that match words), ``hear`` (what is said in a range) and ``read`` (the text on screen in a
range). A failure the user or model
caused (a time outside the video, an empty query) comes back as a ``refused`` step whose text
says what is valid; programming errors propagate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from videoscout.describe import checked_times, describe_range
from videoscout.errors import VideoscoutError
from videoscout.models.captioner import GREEDY
from videoscout.models.registry import get_captioner
from videoscout.speech.bm25 import strongest
from videoscout.timefmt import format_time

from . import evidence as ev

AROUND_SECONDS = 10.0
AROUND_FRAMES = 5


@dataclass
class Outcome:
    step: dict
    items: list[dict] = field(default_factory=list)
    frames: list[float] = field(default_factory=list)  # frame times inspected
    refused: bool = False


def run(action: dict, video, evidence: list[dict], turn: int) -> Outcome:
    """Run ``action`` on ``video``, appending what it returns to ``evidence``."""
    name = action["action"]
    try:
        return _ACTIONS[name](action, video, evidence, turn)
    except VideoscoutError as exc:
        return Outcome(_step("refused", f"{name} refused: {exc}", action=action), refused=True)


def _search(action: dict, video, evidence: list[dict], turn: int) -> Outcome:
    query, k = action["query"], int(action.get("k", 5))
    moments = video.search(query, k)
    source = f'search "{query}"'
    items = [
        ev.add(
            evidence,
            turn,
            "moment",
            source,
            start=m.start,
            end=m.end,
            time=m.peak,
            score=m.score,
            rank=m.rank,
            query=query,
            text=f"#{m.rank} score {m.score:.3f}",
        )
        for m in moments
    ]
    text = _found("searching", query, moments, "moment")
    return Outcome(_step("search", text, query=query, found=len(moments)), items)


def _caption(action: dict, video, evidence: list[dict], turn: int) -> Outcome:
    times = checked_times(sorted({round(float(t), 3) for t in action["times"]}),
                          video.info.duration)  # fmt: skip
    model = get_captioner(video.captioner)
    described = describe_range(video, model, times[0], times[-1], times, GREEDY)
    items = [
        ev.add(
            evidence, turn, "caption", "caption", start=c.time, end=c.time, time=c.time, text=c.text
        )  # fmt: skip
        for c in described.captions
    ]
    shown = ", ".join(format_time(c.time) for c in described.captions)
    return Outcome(
        _step("look", f"looking at {shown}", times=[c.time for c in described.captions]),
        items,
        [c.time for c in described.captions],
    )


def _describe(action: dict, video, evidence: list[dict], turn: int) -> Outcome:
    start, end = action.get("start"), action.get("end")  # None: the video's own ends
    described = video.caption(start, end, frames=int(action.get("frames", 6)))
    source = f"describe {ev.window(described.start, described.end)}"
    items = [
        ev.add(
            evidence, turn, "caption", source, start=c.time, end=c.time, time=c.time, text=c.text
        )  # fmt: skip
        for c in described.captions
    ]
    if described.summary:
        items.append(
            ev.add(
                evidence,
                turn,
                "summary",
                source,
                start=described.start,
                end=described.end,
                time=None,
                text=described.summary,
            )  # fmt: skip
        )
    text = (
        f"describing {ev.window(described.start, described.end)}: {len(described.captions)} frames"
    )
    return Outcome(
        _step("describe", text, start=described.start, end=described.end),
        items,
        [c.time for c in described.captions],
    )


def _look(action: dict, video, evidence: list[dict], turn: int) -> Outcome:
    question = action["question"]
    answer = video.look(question, at=[float(t) for t in action["times"]])
    per_frame = answer.per_frame or [answer.answer] * len(answer.times)
    source = f'look "{question}"'
    items = [
        ev.add(
            evidence, turn, "look", source, start=t, end=t, time=t, text=each, question=question
        )  # fmt: skip
        for t, each in zip(answer.times, per_frame, strict=True)
    ]
    shown = ", ".join(format_time(t) for t in answer.times)
    return Outcome(
        _step(
            "look",
            f'looking at {shown}: "{question}" -> {answer.answer}',
            times=answer.times,
            question=question,
        ),
        items,
        list(answer.times),
    )


def _around(action: dict, video, evidence: list[dict], turn: int) -> Outcome:
    ref = next((e for e in evidence if e["id"] == action["evidence"]), None)
    if ref is None:
        valid = ", ".join(f"E{e['id']}" for e in evidence) or "none yet"
        raise _Refused(f"no evidence E{action['evidence']}; valid: {valid}")
    seconds = float(action.get("seconds") or AROUND_SECONDS)
    duration = video.info.duration
    if action["direction"] == "after":
        start, end = ref["end"], min(duration, ref["end"] + seconds)
    else:
        start, end = max(0.0, ref["start"] - seconds), ref["start"]
    if end - start < 0.2:
        raise _Refused(f"nothing {action['direction']} E{ref['id']}: it is at the video's edge")
    return _describe({"start": start, "end": end, "frames": AROUND_FRAMES}, video, evidence, turn)


def _listen(action: dict, video, evidence: list[dict], turn: int) -> Outcome:
    query, k = action["query"], int(action.get("k", 5))
    if not video.info.has_audio:
        return _mute(evidence, turn, f'speech "{query}"', 0.0, video.info.duration)
    hits = strongest(video.transcribe().find(query, k))
    source = f'speech "{query}"'
    items = [_said(evidence, turn, source, h.start, h.end, h.text, query=query) for h in hits]
    text = _found("listening for", query, hits, "passage")
    return Outcome(_step("listen", text, query=query, found=len(hits)), items)


def _hear(action: dict, video, evidence: list[dict], turn: int) -> Outcome:
    start, end = _range(action, video)
    source = f"transcript {ev.window(start, end)}"
    if not video.info.has_audio:
        return _mute(evidence, turn, source, start, end)
    segments = video.transcribe().between(start, end)
    items = [
        _said(evidence, turn, source, s.start, s.end, s.text, heard_from=start) for s in segments
    ]
    if not segments:
        # Silence is evidence too: "nothing is said here" rests on this range having been heard.
        items.append(ev.add(evidence, turn, "silence", source, start=start, end=end, time=None,
                            text="nothing said", heard_from=start))  # fmt: skip
    said = f"{len(segments)} passage{'s' * (len(segments) != 1)}" if segments else "nothing said"
    return Outcome(_step("hear", f"hearing {ev.window(start, end)}: {said}"), items)


def _read(action: dict, video, evidence: list[dict], turn: int) -> Outcome:
    start, end = _range(action, video)
    spans = video.read_text().between(start, end)
    source = f"on screen {ev.window(start, end)}"
    items = [
        ev.add(evidence, turn, "screen", source, start=s.start, end=s.end, time=None, text=s.text)
        for s in spans
    ]
    shown = "; ".join(f'"{s.text}"' for s in spans[:3]) if spans else "no text"
    return Outcome(_step("read", f"reading the screen {ev.window(start, end)}: {shown}"), items)


def _mute(evidence: list[dict], turn: int, source: str, start: float, end: float) -> Outcome:
    """A video without an audio track: said to the model as evidence, not as a failure."""
    text = "the video has no audio track"
    item = ev.add(evidence, turn, "silence", source, start=start, end=end, time=None, text=text,
                  mute=True)  # fmt: skip
    return Outcome(_step("hear", f"{source}: {text}"), [item])


def _found(doing: str, query: str, found: list, noun: str) -> str:
    """``searching "red car": 2 moments ([0:03.00-0:09.00], ...)``: a search step's line."""
    text = f'{doing} "{query}": {len(found)} {noun}{"s" * (len(found) != 1)}'
    if found:
        text += " (" + ", ".join(ev.window(f.start, f.end) for f in found[:3]) + ")"
    return text


def _said(evidence: list[dict], turn: int, source: str, start, end, text, **extra) -> dict:
    return ev.add(evidence, turn, "speech", source, start=start, end=end, time=None, text=text,
                  **extra)  # fmt: skip


def _range(action: dict, video) -> tuple[float, float]:
    duration = video.info.duration
    start, end = float(action["start"]), float(action["end"])
    if end <= start:
        raise _Refused(f"{ev.window(start, end)} ends before it starts; give start before end")
    if start >= duration or end <= 0:
        raise _Refused(
            f"{ev.window(start, end)} is outside the video (it runs 0:00-{format_time(duration)})"
        )
    return max(0.0, start), min(duration, end)


class _Refused(VideoscoutError):
    """An action the model asked for that cannot run as given."""


def _step(kind: str, text: str, **data) -> dict:
    return {"kind": kind, "text": text, "data": data}


_ACTIONS = {
    "search": _search,
    "caption": _caption,
    "describe": _describe,
    "look": _look,
    "around": _around,
    "listen": _listen,
    "hear": _hear,
    "read": _read,
}
