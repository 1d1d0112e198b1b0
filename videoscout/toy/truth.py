"""Ground truth for a toy timeline: events, a caption per second, question-answer pairs."""

from __future__ import annotations

import random

from ..timefmt import format_time
from .render import scene_titles
from .world import NUMBERS, Event, Timeline

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


def video_questions(timeline: Timeline) -> list[dict]:
    """Questions about the whole video: when something appears, what follows it."""
    qa = []
    events = list(timeline.events)
    for i, e in enumerate(events):
        qa.append(
            {
                "kind": "when",
                "question": f"when does the {e.thing.name} appear?",
                "answer": format_time(e.start),
                "answer_time": [e.start, e.end],
            }
        )
        later = [n for n in events[i + 1 :] if n.start > e.start]
        if later and _unique(events, e):
            nxt = later[0]
            qa.append(
                {
                    "kind": "after",
                    "question": f"what appears after the {e.thing.name}?",
                    "answer": f"a {nxt.thing.name}",
                    "answer_time": [nxt.start, nxt.end],
                }
            )
    return qa


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
        "format": "videoscout-toy-1",
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


def _unique(events: list[Event], e: Event) -> bool:
    return sum(o.thing == e.thing for o in events) == 1
