"""Ground truth for a toy timeline: events, a caption per second, question-answer pairs."""

from __future__ import annotations

import random

from ..timefmt import format_time
from .render import scene_titles
from .world import COLOURS, NUMBERS, SHAPES, SIZES, Event, Thing, Timeline

PLACES = {
    "night sky": "in the night sky",
    "grass field": "on the grass field",
    "beach": "on the beach",
    "room": "in the room",
}


def caption_at(timeline: Timeline, t: float) -> str:
    """What is on screen at ``t``, in one sentence."""
    background = timeline.background_at(t)
    things = [e.thing.name for e in timeline.on_screen(t)]
    if not things:
        return f"nothing {PLACES[background]}"
    return f"{' and '.join('a ' + name for name in things)} {PLACES[background]}"


def frame_questions(timeline: Timeline, t: float) -> list[dict]:
    """Questions answerable from the single frame at ``t`` (colour, shape, size, count, place)."""
    events = timeline.on_screen(t)
    qa = [
        {
            "kind": "count",
            "question": "how many objects are there?",
            "answer": NUMBERS[len(events)],
        },
        {"kind": "place", "question": "where is this?", "answer": timeline.background_at(t)},
    ]
    for e in events:
        thing = e.thing
        qa += [
            {
                "kind": "colour",
                "question": f"what colour is the {thing.shape}?",
                "answer": thing.colour,
            },
            {
                "kind": "shape",
                "question": f"what shape is the {thing.colour} object?",
                "answer": thing.shape,
            },
            {
                "kind": "size",
                "question": f"how big is the {thing.colour} {thing.shape}?",
                "answer": thing.size,
            },
        ]
    return [{**item, "time": round(t, 2)} for item in qa]


# "after" and "before" are only asked where their truth is well posed: no other object enters
# (after) or enters or leaves (before) within this many seconds of the moment the question turns
# on, and no two objects enter together, so a frame or two either way cannot change the answer.
BOUNDARY_MARGIN = 0.5
ABSENT_QUESTIONS = 10


def video_questions(timeline: Timeline) -> list[dict]:
    """Questions about the whole video, answered by several steps of looking.

    Every item has ``kind``, ``question`` (fixed templates that the agent's planner parses),
    ``answer`` (human-readable), ``subject`` (the thing asked about) and machine fields:
    ``answer_times`` ([start, end] windows), ``count``, ``answer_names``, ``reference_time``.

    - when: every appearance; times: how many; first / last (things seen at least twice);
    - after: the next object to *enter* once the thing has left (objects already on screen when
      it leaves do not count); before: what was on screen 1 s before it entered; where: the
      scene's background (these three for things seen exactly once);
    - absent: things of the toy world that never appear ("it does not appear").
    """
    events = list(timeline.events)
    appearances: dict[Thing, list[Event]] = {}
    for e in events:
        appearances.setdefault(e.thing, []).append(e)
    qa = []
    for thing, seen in appearances.items():
        name, windows = thing.name, [[e.start, e.end] for e in seen]
        qa += [
            _item("when", f"when does the {name} appear?", name, _windows(windows), windows),
            _item(
                "times",
                f"how many times does the {name} appear?",
                name,
                _times(len(seen)),
                windows,
                count=len(seen),
            ),
        ]
        if len(seen) == 1:
            qa += _once_questions(timeline, seen[0])
        else:
            first, last = windows[0], windows[-1]
            qa += [
                _item(
                    "first", f"when does the {name} first appear?", name, _windows([first]), [first]
                ),
                _item("last", f"when does the {name} last appear?", name, _windows([last]), [last]),
            ]
    for name in absent_things(timeline):
        qa.append(_item("absent", f"when does the {name} appear?", name, "it does not appear", []))
    return qa


def absent_things(timeline: Timeline, limit: int = ABSENT_QUESTIONS) -> list[str]:
    """Up to ``limit`` names of toy things that never appear, chosen by the timeline."""
    seen = {e.thing for e in timeline.events}
    names = sorted(t.name for t in all_things() if t not in seen)
    rng = random.Random(len(timeline.events))
    return sorted(rng.sample(names, min(limit, len(names))))


def all_things() -> list[Thing]:
    """The 48 things of the toy world: every shape in every colour and size."""
    return [Thing(shape, colour, size) for shape in SHAPES for colour in COLOURS for size in SIZES]


def _once_questions(timeline: Timeline, x: Event) -> list[dict]:
    """after / before / where for a thing that appears exactly once."""
    name, window = x.thing.name, [x.start, x.end]
    qa = []
    entering = [e for e in timeline.events if e.start >= x.end]
    near_exit = any(x.end - BOUNDARY_MARGIN <= e.start < x.end for e in timeline.events)
    tied = len(entering) > 1 and entering[1].start - entering[0].start < BOUNDARY_MARGIN
    if entering and not near_exit and not tied:
        nxt = entering[0]
        qa.append(
            _item(
                "after",
                f"what appears right after the {name} leaves?",
                name,
                f"a {nxt.thing.name}",
                [[nxt.start, nxt.end]],
                answer_names=[nxt.thing.name],
            )
        )
    reference = round(x.start - 1.0, 2)
    others = [e for e in timeline.events if e is not x]
    boundary_near = any(
        abs(t - reference) < BOUNDARY_MARGIN for e in others for t in (e.start, e.end)
    )
    if x.start >= 1.5 and not boundary_near:
        names = [e.thing.name for e in timeline.on_screen(reference) if e is not x]
        qa.append(
            _item(
                "before",
                f"what was on screen just before the {name} appeared?",
                name,
                " and ".join(f"a {n}" for n in names) or "nothing",
                [],
                answer_names=names,
                reference_time=reference,
            )
        )
    background = timeline.background_at((x.start + x.end) / 2)
    qa.append(_item("where", f"where does the {name} appear?", name, background, [window]))
    return qa


def _item(kind: str, question: str, subject: str, answer: str, times: list, **fields) -> dict:
    return {
        "kind": kind,
        "question": question,
        "answer": answer,
        "subject": subject,
        "answer_times": times,
        **fields,
    }


def _windows(windows: list[list[float]]) -> str:
    return " and ".join(f"{format_time(s)}-{format_time(e)}" for s, e in windows)


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def ground_truth(
    timeline: Timeline, seed: int, fps: float, side: int, titles: bool = False
) -> dict:
    rng = random.Random(seed + 1)
    seconds = int(timeline.duration)
    captions = [{"time": s + 0.5, "caption": caption_at(timeline, s + 0.5)} for s in range(seconds)]
    # Frame questions at the middle of each event, where the object is fully in view.
    frame_qa = []
    for e in timeline.events:
        t = round((e.start + e.end) / 2 + rng.uniform(-0.5, 0.5), 2)
        frame_qa += frame_questions(timeline, t)
    return {
        "format": "videoscout-toy-2",
        "seed": seed,
        "duration": timeline.duration,
        "fps": fps,
        "size": [side, side],
        "scenes": [vars(s) for s in timeline.scenes],
        "events": [e.to_dict() for e in timeline.events],
        "captions": captions,
        "overlays": scene_titles(timeline) if titles else [],
        "qa": frame_qa + video_questions(timeline),
    }
