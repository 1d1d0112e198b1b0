"""The LLM-free planner on a scripted world: what it looks at next, and what it answers.

A world is a list of things on screen (start, end, name); searching returns each matching
thing's window on a 1 s grid, as the index does, and a caption names what is on screen at a
frame, in order of entrance. ``misread`` makes a caption wrong where a captioner would be.
"""

from __future__ import annotations

import math

from videoscout.agent import evidence as ev
from videoscout.agent import planner
from videoscout.agent.questions import read
from videoscout.describe import sample_times


class World:
    def __init__(self, things, misread=None):
        self.things = things
        self.misread = misread or {}
        self.looked: list[float] = []

    def caption(self, t: float) -> str:
        if round(t) in self.misread:
            return self.misread[round(t)]
        shown = [name for start, end, name in self.things if start <= t < end]
        return " and ".join(f"a {n}" for n in shown) + " on the beach" if shown else "nothing"

    def search(self, query: str) -> list[dict]:
        wanted = query.removeprefix("a ")
        found = [(s, e) for s, e, name in self.things if name == wanted]
        return [
            {"start": float(math.ceil(s)), "end": float(math.ceil(e)), "time": float(math.ceil(s))}
            for s, e in found
        ]

    def run(self, question: str, steps: int = 8) -> tuple[str, list[dict]]:
        intent = read(question)
        items: list[dict] = []
        todo = planner.retrieval(intent, question)
        for _ in range(steps):
            for action in todo:
                self._do(action, items)
            action = planner.next_action(intent, items)
            if action is None:
                break
            todo = [action]
        return planner.compose(intent, items)[0], items

    def _do(self, action: dict, items: list[dict]) -> None:
        kind = action["action"]
        if kind == "search":
            for rank, m in enumerate(self.search(action["query"]), 1):
                ev.add(items, 1, "moment", f'search "{action["query"]}"', score=0.5, rank=rank,
                       query=action["query"], text="", **m)  # fmt: skip
            if not items or items[-1]["kind"] != "moment":
                return
            times = [planner.middle(m) for m in planner._moments(items)][: planner.CAPTION_BATCH]
            self._do({"action": "caption", "times": times}, items)
            return
        if kind == "caption":
            times, source = action["times"], "caption"
        else:  # describe
            times = sample_times(action["start"], action["end"], None, action["frames"])
            source = f"describe {ev.window(action['start'], action['end'])}"
        for t in times:
            self.looked.append(t)
            ev.add(items, 1, "caption", source, start=t, end=t, time=t, text=self.caption(t))


def test_a_window_running_into_a_look_alike_is_checked_at_its_best_frame_and_cut():
    # The search window for the square runs on over the triangle that enters as it leaves:
    # the middle frame shows the triangle, the best frame the square.
    world = World([(532.3, 538.4, "small yellow square"), (538.6, 547.0, "small yellow triangle")])
    world.search = lambda query: [{"start": 533.0, "end": 547.0, "time": 535.0}]
    text, _ = world.run("when does the small yellow square appear?")
    assert text == "The small yellow square appears once: [8:53.00-9:00.00].", text
    assert 535.0 in world.looked


def test_what_enters_first_after_a_thing_leaves_is_told_apart_by_closer_frames():
    # Two things are first seen in the same frame; the closer frames show which came first,
    # whichever the caption names first.
    world = World(
        [
            (289.7, 296.1, "big white circle"),
            (300.2, 310.0, "small white diamond"),
            (301.3, 310.0, "small red circle"),
        ],  # fmt: skip
        misread={
            t: "a small red circle and a small white diamond on the beach" for t in (302, 303)
        },
    )
    text, _ = world.run("what appears right after the big white circle leaves?")
    assert "a small white diamond appears [5:01.00-5:10.00]" in text, text
    assert any(299 < t < 302 for t in world.looked)


def test_something_entering_as_the_thing_leaves_is_not_taken_for_already_there():
    world = World([(289.7, 296.1, "big white circle"), (296.3, 303.0, "small yellow circle"),
                   (299.3, 306.0, "big orange diamond")])  # fmt: skip
    text, _ = world.run("what appears right after the big white circle leaves?")
    assert "a small yellow circle appears" in text, text


def test_nothing_new_in_the_first_stretch_looks_at_the_next():
    world = World([(100.0, 110.0, "big red square"), (127.0, 140.0, "small blue circle")])
    text, _ = world.run("what appears right after the big red square leaves?")
    assert "a small blue circle appears [2:07.00-2:20.00]" in text, text


def test_just_before_looks_before_the_thing_entered_not_before_its_window():
    # The window starts at the first indexed frame showing the thing, up to a second late.
    world = World([(33.0, 34.7, "big purple triangle"), (35.1, 48.0, "small yellow square")])
    text, _ = world.run("what was on screen just before the small yellow square appeared?")
    assert "the screen showed a big purple triangle" in text, text


def test_nothing_entering_at_all_says_how_long_it_looked():
    world = World([(100.0, 110.0, "big red square")])
    text, _ = world.run("what appears right after the big red square leaves?")
    assert text == (
        "Right after the big red square leaves (at 1:50.00), nothing new appears in the next "
        "32 s I looked at."
    ), text


def test_where_names_every_appearance_and_where_it_was_seen():
    world = World([(10.2, 20.0, "big blue diamond"), (60.4, 70.0, "big blue diamond")])
    world.caption = lambda t: (
        "a big blue diamond " + ("on the beach" if t < 40 else "in the room")
        if 10.2 <= t < 20 or 60.4 <= t < 70
        else "nothing"
    )
    text, _ = world.run("where does the big blue diamond appear?")
    assert text == (
        "The big blue diamond appears at [0:11.00-0:20.00]: a big blue diamond on the beach; "
        "[1:01.00-1:10.00]: a big blue diamond in the room."
    ), text
