"""The LLM-free planner: from a question's shape and the evidence so far, the next action, and
an answer composed from evidence alone.

It serves three roles: the whole reasoning loop when no chat model is configured, the first
retrieval of every question, and the fallback answer when a model's answer cites what no tool
returned. Everything is a pure function of the intent and the evidence, so a checkpointed
conversation replays exactly.
"""

from __future__ import annotations

import re

from videoscout.timefmt import format_time

from . import evidence as ev
from .questions import Intent, pronoun_in

SEARCH_K = 8  # candidates for "when / how many times": appearances are verified one by one
CAPTION_BATCH = 3
# Windows scoring under this share of the best one are not candidates (measured on the toy
# world: true appearances score 0.8-1.0 of the best, other things mostly under 0.7).
LOOK_SHARE = 0.75
# A window's best frame is checked too when its middle shows something else and lies this far
# from it: a search window can run on into a look-alike that enters as the thing leaves.
PEAK_APART = 1.0
AFTER_SECONDS = 18.0  # the next thing enters within 2-10 s in the toy world; real gaps vary
AFTER_FRAMES = 6
AFTER_STRETCHES = 2  # nothing new in the first stretch: the next one is looked at too
# The first frame looked at for "what appears after X leaves" is this long before the end of
# X's window, where X is still on screen: what is there with X was there before X left.
EXIT_LEAD = 1.0
REFINE_STEP = 1.0  # what entered between two frames far apart: frames this far apart decide
WHOLE_FRAMES = 12  # "describe the video": frames spread over all of it
# A window starts at the first indexed frame that shows the thing: half a sampling interval (1 s
# by default) after it entered, on average. "Just before" is a second before it entered.
BEFORE_OFFSET = 1.5
MERGE_GAP = 1.5
HEAR_SECONDS = 8.0  # what is said "right after" something: the next few seconds of speech
HEAR_SLACK = 1.0  # a passage starting this much before the moment still counts as after it
SPEECH_WORDS = re.compile(r"\b(?:say|says|said|speak|spoken|talk|talks|narrat\w*|mention\w*)\b")

_PLACE = re.compile(r"\s+(?:in|on|at|under|over|near|inside)\s+(?:the|a|an)\s+[\w ]+$")
_SPLIT = re.compile(r"\s*(?:,|\band\b|\bwith\b|\bnext to\b|\bbeside\b)\s*")
_NOTHING = {"nothing", "no object", "no objects", "empty", "nobody", "no one"}
_STOP = {"a", "an", "the", "of", "in", "on", "at", "is", "are", "to", "and", "with", "some"}


_COUNTED = {"a", "an", "the", "two", "three", "four", "some", "any", "many", "several", "all"}


def query_for(subject: str) -> str:
    """What to search for a thing: "big red circle" -> "a big red circle"."""
    first = subject.split()[0]
    counted = first in _COUNTED or first.isdigit()
    return subject if counted else f"a {subject}"


def retrieval(intent: Intent, question: str) -> list[dict]:
    """The first actions for every question, before any model speaks."""
    if intent.kind in ("said", "written") and intent.time is not None:
        action = "hear" if intent.kind == "said" else "read"
        start, end = (
            _heard_from(intent.time),
            intent.time + (HEAR_SECONDS if intent.kind == "said" else HEAR_SLACK),
        )
        return [{"action": action, "start": start, "end": end}]
    if intent.kind == "spoken":
        return [{"action": "listen", "query": intent.subject, "k": 5}]
    if intent.kind == "describe":
        frames = 6 if intent.start is not None else WHOLE_FRAMES
        return [{"action": "describe", "start": intent.start, "end": intent.end, "frames": frames}]
    if intent.kind == "unclear":
        return []
    if intent.kind == "at":
        return [{"action": "caption", "times": [intent.time]}]
    actions = []
    if intent.subject:
        actions.append({"action": "search", "query": query_for(intent.subject), "k": SEARCH_K})
    if intent.kind == "open" or not intent.subject:
        actions.append({"action": "search", "query": question.strip(" ?"), "k": 5})
    if intent.kind == "said" or (intent.kind == "open" and SPEECH_WORDS.search(question.lower())):
        actions.append({"action": "listen", "query": intent.subject or question.strip(" ?")})
    return actions


def _heard_from(t: float) -> float:
    return max(0.0, t - HEAR_SLACK)


def next_action(intent: Intent, items: list[dict]) -> dict | None:
    """The next action for ``intent`` given this turn's evidence ``items``; None to answer."""
    kind = intent.kind
    if kind in ("describe", "unclear", "spoken", "written") or (
        kind == "said" and intent.subject is None
    ):
        return None
    if kind == "at":
        if intent.ask and not _looked(items, intent.ask):
            return {"action": "look", "question": intent.ask, "times": [intent.time]}
        return None
    if kind == "open":
        peaks = [middle(m) for m in _moments(items)[:3]]
        if not _captions(items) and peaks:
            return {"action": "caption", "times": peaks}
        if intent.ask and peaks and not _looked(items, intent.ask):
            return {"action": "look", "question": intent.ask, "times": peaks}
        return None
    if kind == "said":
        todo = _unverified(intent.subject, items)
        if todo:
            return {"action": "caption", "times": todo}
        moment = _said_from(intent, items)
        if moment is None or _heard(items, moment):
            return None
        return {"action": "hear", "start": _heard_from(moment), "end": moment + HEAR_SECONDS}
    if kind in ("after", "before") and intent.anchor:
        anchor = {"start": intent.anchor[0], "end": intent.anchor[1]}
    else:
        todo = _unverified(intent.subject, items)
        if todo:
            return {"action": "caption", "times": todo}
        found = appearances(intent.subject, items)
        if not found:
            return None
        anchor = found[0]
    if kind == "after":
        start = _after_start(anchor)
        stretch = next((n for n in range(AFTER_STRETCHES) if not _described(
            items, start + n * AFTER_SECONDS)), None)  # fmt: skip
        entered = _entered_after(intent.subject, items, start)
        if entered is None and stretch is not None:
            begin = start + stretch * AFTER_SECONDS
            end = begin + AFTER_SECONDS
            return {"action": "describe", "start": begin, "end": end, "frames": AFTER_FRAMES}
        if entered is None:
            return None
        between = _unseen_between(items, start, entered[1])
        if between:
            return {"action": "caption", "times": between}
        if not _searched(items, query_for(entered[0])):
            return {"action": "search", "query": query_for(entered[0]), "k": 5}
        return None
    if kind == "before":
        t = max(0.0, anchor["start"] - BEFORE_OFFSET)
        if not _frame_near(items, t):
            return {"action": "caption", "times": [t]}
    return None


def appearances(subject: str | None, items: list[dict]) -> list[dict]:
    """Search windows that show ``subject``, in time order, merged when they touch.

    A candidate window is one scoring at least ``LOOK_SHARE`` of the best window's score; it
    shows the subject when the frame at its middle does, or else its best frame: then only the
    half of the window on the best frame's side is kept, the other half showing something
    else."""
    if not subject:
        return []
    shown = [w for m in _candidates(subject, items) if (w := _shown_part(m, subject, items))]
    merged: list[dict] = []
    for m in sorted(shown, key=lambda m: m["start"]):
        if merged and m["start"] - merged[-1]["end"] <= MERGE_GAP:
            merged[-1] = {**merged[-1], "end": max(merged[-1]["end"], m["end"])}
        else:
            merged.append(dict(m))
    return merged


def compose(intent: Intent, items: list[dict]) -> tuple[str, bool]:
    """An answer built from the evidence alone, citing only windows and frames tools returned;
    and whether the thing asked about was found."""
    kind, subject = intent.kind, intent.subject
    if kind == "unclear":
        return (
            f'I don\'t know yet what "{pronoun_in(intent.ask or "")}" refers to: name the thing, '
            'e.g. "what colour is the red car?", or ask about a moment first.',
            False,
        )
    if kind == "describe":
        captions = _captions(items)
        if not captions:
            return "I could not describe that stretch of the video.", False
        lines = [f"{format_time(c['time'])}: {c['text']}" for c in captions]
        return "What the frames show:\n" + "\n".join(lines), True
    if kind == "at":
        caption = _caption_at(items, intent.time)
        looked = [e for e in items if e["kind"] == "look"]
        if looked:
            e = looked[-1]
            return f"At {format_time(e['time'])}: {e['text']} ({e['question']})", True
        if caption:
            return f"At {format_time(caption['time'])}: {caption['text']}.", True
        return "I could not look at that moment.", False
    if kind == "open":
        return _compose_open(intent, items)
    if kind in ("said", "spoken", "written"):
        return _compose_words(intent, items)
    not_found = f"I could not find {query_for(subject or 'it')} in the video."
    if kind in ("after", "before"):
        anchor = _anchor(intent, items)
        if anchor is None:
            return not_found, False
        compose_around = _compose_after if kind == "after" else _compose_before
        return compose_around(intent, items, anchor)
    found = appearances(subject, items)
    if not found:
        return not_found, False
    spans = ", ".join(ev.window(f["start"], f["end"]) for f in found)
    the = f"the {subject}" if subject else "it"
    if kind in ("when", "exists"):
        head = f"Yes: {the} appears" if kind == "exists" else f"The {subject} appears"
        times = _count_words(len(found))
        return f"{head} {times}: {spans}.", True
    if kind == "times":
        return f"The {subject} appears {_count_words(len(found))}: {spans}.", True
    if kind == "first":
        f = found[0]
        return f"The {subject} first appears at {ev.window(f['start'], f['end'])}.", True
    if kind == "last":
        f = found[-1]
        return f"The {subject} last appears at {ev.window(f['start'], f['end'])}.", True
    if kind == "where":
        places = []
        for f in found:
            caption = _showing(items, f, subject)
            shown = f": {caption['text']}" if caption else ""
            places.append(f"{ev.window(f['start'], f['end'])}{shown}")
        return f"The {subject} appears at {'; '.join(places)}.", True
    return f"The {subject} appears at {spans}.", True


def focus(intent: Intent, items: list[dict]) -> tuple[str | None, list[list[float]]]:
    """What a follow-up refers to after this answer: the thing it was about, and its windows
    ("and after that?" after "what appears after X?" is about what appeared)."""
    if intent.kind == "after":
        anchor = _anchor(intent, items)
        entered = _entered_after(intent.subject, items, _after_start(anchor)) if anchor else None
        if entered:
            name, seen_at = entered
            where = _window_of(items, name, seen_at)
            return name, [[where["start"], where["end"]]] if where else [[seen_at, seen_at]]
    if intent.kind in ("at", "describe", "open"):
        return intent.subject, [list(intent.anchor)] if intent.anchor else []
    found = (
        [_anchor(intent, items)] if intent.kind == "before" else appearances(intent.subject, items)
    )
    return intent.subject, [[f["start"], f["end"]] for f in found if f]


def _anchor(intent: Intent, items: list[dict]) -> dict | None:
    if intent.anchor:
        return {"start": intent.anchor[0], "end": intent.anchor[1]}
    found = appearances(intent.subject, items)
    return found[0] if found else None


def _after_start(anchor: dict) -> float:
    """Where looking for what enters after ``anchor`` starts: so that the first of the
    ``AFTER_FRAMES`` frames is ``EXIT_LEAD`` before its end, with the thing still on screen."""
    return max(0.0, anchor["end"] - EXIT_LEAD - AFTER_SECONDS / AFTER_FRAMES / 2)


def _unseen_between(items: list[dict], start: float, seen_at: float) -> list[float]:
    """Frames ``REFINE_STEP`` apart between the last frame before ``seen_at`` and it, not yet
    looked at: which of two things seen together first entered first."""
    before = [c["time"] for c in _captions(items) if start - 0.05 <= c["time"] < seen_at - 0.05]
    if not before:
        return []
    times, t = [], before[-1] + REFINE_STEP
    while t < seen_at - REFINE_STEP / 2:
        times.append(round(t, 2))
        t += REFINE_STEP
    return [t for t in times if _frame_near(items, t) is None][:CAPTION_BATCH]


def _window_of(items: list[dict], name: str, seen_at: float) -> dict | None:
    return next(
        (m for m in _moments(items, query_for(name)) if m["start"] - 1.0 <= seen_at <= m["end"]),
        None,
    )


def _compose_after(intent: Intent, items: list[dict], anchor: dict) -> tuple[str, bool]:
    the = f"the {intent.subject}" if intent.subject else "that"
    entered = _entered_after(intent.subject, items, _after_start(anchor))
    left = f"Right after {the} leaves (at {format_time(anchor['end'])})"
    if not entered:
        looked = [c["time"] for c in _described(items)]
        seconds = max(looked, default=anchor["end"]) - anchor["end"]
        return f"{left}, nothing new appears in the next {seconds:.0f} s I looked at.", True
    name, seen_at = entered
    where = _window_of(items, name, seen_at)
    cite = ev.window(where["start"], where["end"]) if where else f"at {format_time(seen_at)}"
    return f"{left}, a {name} appears {cite}.", True


def _compose_before(intent: Intent, items: list[dict], anchor: dict) -> tuple[str, bool]:
    t = max(0.0, anchor["start"] - BEFORE_OFFSET)
    caption = _frame_near(items, t)
    the = f"the {intent.subject}" if intent.subject else "that"
    head = f"Just before {the} appeared {ev.window(anchor['start'], anchor['end'])}"
    if caption is None:
        return f"{head}, I could not look at the frame before it.", True
    others = [x for x in things(caption["text"]) if not _same(x, intent.subject)]
    shown = " and ".join(f"a {x}" for x in others) if others else "nothing else"
    return (
        f"{head}, the screen showed {shown} (at {format_time(caption['time'])}: "
        f"{caption['text']}).",
        True,
    )


def _compose_open(intent: Intent, items: list[dict]) -> tuple[str, bool]:
    moments = _moments(items)[:3]
    if not moments:
        return "I could not find anything that matches the question.", False
    lines = []
    looked = {round(e["time"], 1): e for e in items if e["kind"] == "look"}
    for m in moments:
        caption = _caption_at(items, middle(m))
        line = f"{ev.window(m['start'], m['end'])}"
        if caption:
            line += f": {caption['text']}"
        answer = looked.get(round(m["time"], 1))
        if answer:
            line += f" ({answer['question']} {answer['text']})"
        lines.append(line)
    return "The best matching moments:\n" + "\n".join(lines), True


def _said_from(intent: Intent, items: list[dict]) -> float | None:
    """Where "what is said when X appears (or leaves)" starts listening: the first verified
    appearance's start (or end); without one, the first passage that names X, which is where
    a narrator says it appears."""
    found = appearances(intent.subject, items)
    if found:
        return found[0]["end"] if intent.edge == "end" else found[0]["start"]
    named = [e for e in items if e["kind"] == "speech" and e.get("query")]  # best first
    if named and intent.edge != "end":
        return named[0]["start"]
    return None


def _heard(items: list[dict], moment: float) -> bool:
    """Whether what is said from ``moment`` on was heard already (passages, or silence)."""
    start = _heard_from(moment)
    return any(abs(e.get("heard_from", -1.0) - start) < 0.05 for e in items)


def _compose_words(intent: Intent, items: list[dict]) -> tuple[str, bool]:
    """What is said or written: quoted, with the times the passages were returned at."""
    said = sorted((e for e in items if e["kind"] == "speech"), key=lambda e: e["start"])
    mute = next((e for e in items if e["kind"] == "silence" and e.get("mute")), None)
    if mute and intent.kind != "written":
        return f"Nothing can be heard: {mute['text']}.", False
    # The user's own time is not repeated: only times tools returned are written.
    if intent.kind == "written":
        shown = [e for e in items if e["kind"] == "screen"]
        if not shown:
            return "I could not read any text on screen there.", False
        quotes = "; ".join(f'"{e["text"]}" {ev.window(e["start"], e["end"])}' for e in shown)
        return f"The text on screen: {quotes}.", True
    if intent.kind == "spoken":
        ranked = [e for e in items if e["kind"] == "speech"][:3]  # best first
        if not ranked:
            return f'I could not hear "{intent.subject}" in what is said.', False
        quotes = "; ".join(f'"{e["text"]}" {ev.window(e["start"], e["end"])}' for e in ranked)
        return f"Said in the video: {quotes}.", True
    if intent.subject is None:
        moment, head = intent.time, "You hear"
    else:
        moment = _said_from(intent, items)
        if moment is None:
            return f"I could not find {query_for(intent.subject)} in the video.", False
        verb = "leaves" if intent.edge == "end" else "appears"
        head = f"Right after the {intent.subject} {verb} (at {format_time(moment)})"
    heard = [e for e in said if e["source"].startswith("transcript")]
    after = [e for e in heard if e["end"] > moment and e["start"] >= _heard_from(moment)]
    after = after or [e for e in heard if e["end"] > moment]
    if not after:
        if intent.subject is None:
            return "I heard nothing said there.", True
        return f"{head}, I heard nothing said in the next {HEAR_SECONDS:.0f} s.", True
    first = after[0]
    quote = f'"{first["text"]}" {ev.window(first["start"], first["end"])}'
    return (f"You hear {quote}." if intent.subject is None else f"{head}, you hear {quote}."), True


def things(caption: str) -> list[str]:
    """The things a caption names: "a big red circle and a small blue square on the beach" ->
    ["big red circle", "small blue square"]."""
    text = _PLACE.sub("", caption.lower().strip(" ."))
    found = []
    for part in _SPLIT.split(text):
        words = [w for w in part.split() if w not in ("a", "an", "the", "some")]
        name = " ".join(words)
        if name and name not in _NOTHING:
            found.append(name)
    return found


def _shows(caption: dict | None, subject: str) -> bool:
    if caption is None:
        return False
    return any(_same(thing, subject) for thing in things(caption["text"]))


def _same(thing: str, subject: str | None) -> bool:
    """A caption's thing is the subject: every content word of the subject is in it."""
    if not subject:
        return False
    wanted = _content(subject)
    return bool(wanted) and wanted <= _content(thing)


def _content(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {w.rstrip("s") if len(w) > 3 else w for w in words} - _STOP


def _moments(items: list[dict], query: str | None = None) -> list[dict]:
    moments = [e for e in items if e["kind"] == "moment"]
    if query is not None:
        moments = [e for e in moments if e.get("query") in (query, query_for(query))]
    return moments


def _captions(items: list[dict]) -> list[dict]:
    return sorted((e for e in items if e["kind"] == "caption"), key=lambda e: e["time"])


def middle(moment: dict) -> float:
    """Where a window is checked: its middle, where a thing that spans it is fully in view (its
    best frame is often where the thing enters, half cut off)."""
    return round((moment["start"] + moment["end"]) / 2, 2)


def _caption_at(items: list[dict], t: float | None, slack: float = 0.5) -> dict | None:
    if t is None:
        return None
    near = [e for e in _captions(items) if abs(e["time"] - t) <= slack]
    return min(near, key=lambda e: abs(e["time"] - t)) if near else None


def _showing(items: list[dict], window: dict, subject: str | None) -> dict | None:
    """A caption inside ``window`` that shows ``subject`` (where it was seen)."""
    inside = [c for c in _captions(items)
              if window["start"] - 0.05 <= c["time"] <= window["end"] + 0.05]  # fmt: skip
    return next((c for c in inside if _shows(c, subject or "")), None)


def _frame_near(items: list[dict], t: float) -> dict | None:
    return _caption_at(items, t, slack=0.35)


def _looked(items: list[dict], question: str) -> bool:
    return any(e["kind"] == "look" and e.get("question") == question for e in items)


def _searched(items: list[dict], query: str) -> bool:
    return any(e["kind"] == "moment" and e.get("query") == query for e in items)


def _described(items: list[dict], start: float = 0.0) -> list[dict]:
    """Captions of the frames ``describe`` looked at from ``start`` on, in time order."""
    return [c for c in _captions(items)
            if c["source"].startswith("describe") and c["time"] >= start - 0.05]  # fmt: skip


def _candidates(subject: str, items: list[dict]) -> list[dict]:
    moments = _moments(items, subject)
    if not moments:
        return []
    best = max(m["score"] for m in moments)
    return [m for m in moments if m["score"] >= LOOK_SHARE * best]


def _shown_part(moment: dict, subject: str, items: list[dict]) -> dict | None:
    """The part of a search window that shows ``subject``: all of it when its middle frame
    does; the half on its best frame's side when only that frame does; else None."""
    mid = middle(moment)
    if _shows(_caption_at(items, mid), subject):
        return moment
    peak = _far_peak(moment)
    if peak is None or not _shows(_frame_near(items, peak), subject):
        return None
    return {**moment, "end": mid} if peak < mid else {**moment, "start": mid}


def _far_peak(moment: dict) -> float | None:
    """A window's best frame, when it lies ``PEAK_APART`` or more from its middle."""
    return moment["time"] if abs(moment["time"] - middle(moment)) >= PEAK_APART else None


def _unverified(subject: str | None, items: list[dict]) -> list[float]:
    """Frames of the candidate windows still to caption, best window first, a batch at a
    time: each window's middle; then, where the middle shows something else, its best frame."""
    if not subject:
        return []
    candidates = _candidates(subject, items)
    todo = [middle(m) for m in candidates if _caption_at(items, middle(m)) is None]
    if not todo:
        todo = [
            peak
            for m in candidates
            if not _shows(_caption_at(items, middle(m)), subject)
            and (peak := _far_peak(m)) is not None
            and _frame_near(items, peak) is None
        ]
    return todo[:CAPTION_BATCH]


def _entered_after(subject: str | None, items: list[dict], start: float):
    """The first thing that appears in the frames described from ``start`` and was not on
    screen in the first of them: (name, time seen)."""
    described = _described(items, start)
    if not described:
        return None
    # Frames captioned since (refining when something entered) count as well.
    frames = [c for c in _captions(items) if c["time"] >= described[0]["time"] - 0.05]
    present = {t for t in things(frames[0]["text"])}
    for frame in frames[1:]:
        for thing in things(frame["text"]):
            if thing not in present and not _same(thing, subject):
                return thing, frame["time"]
        present |= set(things(frame["text"]))
    return None


def _count_words(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")
