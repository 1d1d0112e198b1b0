"""The toy world's vocabulary and its timeline: which objects are on screen, where, and when.

Everything here is data and pure functions of a seed, so a timeline can be rebuilt exactly
from its ground-truth file.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

BACKGROUNDS = ("night sky", "grass field", "beach", "room")
SHAPES = ("circle", "square", "triangle", "diamond")
COLOURS = {
    "red": (220, 40, 40),
    "blue": (40, 80, 230),
    "yellow": (245, 220, 40),
    "purple": (150, 60, 190),
    "white": (245, 245, 245),
    "orange": (250, 140, 20),
}
SIZES = {"small": 0.10, "big": 0.18}  # radius as a fraction of the frame side
MOTIONS = ("left to right", "right to left", "still")
NUMBERS = ("no", "one", "two", "three")
MAX_ON_SCREEN = 2


@dataclass(frozen=True)
class Thing:
    shape: str
    colour: str
    size: str

    @property
    def name(self) -> str:
        return f"{self.size} {self.colour} {self.shape}"


@dataclass(frozen=True)
class Event:
    """One object on screen from ``start`` to ``end`` (seconds)."""

    id: int
    start: float
    end: float
    thing: Thing
    motion: str
    lane: float  # vertical centre as a fraction of the frame height

    def position(self, t: float) -> tuple[float, float]:
        """Centre (x, y) as fractions of the frame at time ``t``.

        A moving object's centre crosses from one edge to the other between ``start`` and
        ``end``: at least half of it is in view whenever the ground truth says it is there.
        """
        progress = (t - self.start) / (self.end - self.start)
        if self.motion == "left to right":
            return progress, self.lane
        if self.motion == "right to left":
            return 1 - progress, self.lane
        return 0.5, self.lane

    def to_dict(self) -> dict:
        data = asdict(self)
        data["description"] = self.thing.name
        return data


@dataclass(frozen=True)
class Scene:
    start: float
    end: float
    background: str


@dataclass(frozen=True)
class Timeline:
    duration: float
    scenes: tuple[Scene, ...]
    events: tuple[Event, ...]

    def background_at(self, t: float) -> str:
        for scene in self.scenes:
            if scene.start <= t < scene.end:
                return scene.background
        return self.scenes[-1].background

    def on_screen(self, t: float) -> list[Event]:
        """Events visible at ``t``, in order of appearance."""
        return [e for e in self.events if e.start <= t < e.end]


def make_timeline(
    seed: int,
    duration: float,
    *,
    scene_seconds: tuple[float, float] = (40.0, 120.0),
    event_seconds: tuple[float, float] = (6.0, 16.0),
    gap_seconds: tuple[float, float] = (2.0, 10.0),
) -> Timeline:
    """A random but reproducible timeline: scenes back to back, at most two objects at a time.

    Objects never change during a scene cut, and two objects on screen at once always differ
    in shape and colour, so every caption and answer is unambiguous.
    """
    rng = random.Random(seed)
    scenes, t = [], 0.0
    previous = None
    while t < duration:
        length = rng.uniform(*scene_seconds)
        background = rng.choice([b for b in BACKGROUNDS if b != previous])
        scenes.append(Scene(round(t, 2), round(min(duration, t + length), 2), background))
        previous, t = background, t + length
    events: list[Event] = []
    lanes_free_at = [0.0] * MAX_ON_SCREEN
    lanes = (0.33, 0.70)
    for scene in scenes:
        for lane_id in range(MAX_ON_SCREEN):
            t = max(scene.start + rng.uniform(0.5, 4.0), lanes_free_at[lane_id])
            while True:
                length = rng.uniform(*event_seconds)
                if t + length > scene.end - 0.5:
                    break
                others = [e.thing for e in events if e.start < t + length and e.end > t]
                thing = _new_thing(rng, others)
                motion = rng.choice(MOTIONS)
                events.append(
                    Event(0, round(t, 2), round(t + length, 2), thing, motion, lanes[lane_id])
                )
                t += length + rng.uniform(*gap_seconds)
            lanes_free_at[lane_id] = scene.end
    events.sort(key=lambda e: (e.start, e.lane))
    numbered = tuple(
        Event(i, e.start, e.end, e.thing, e.motion, e.lane) for i, e in enumerate(events)
    )
    return Timeline(round(duration, 2), tuple(scenes), numbered)


def _new_thing(rng: random.Random, others: list[Thing]) -> Thing:
    while True:
        thing = Thing(rng.choice(SHAPES), rng.choice(list(COLOURS)), rng.choice(list(SIZES)))
        if all(thing.shape != o.shape and thing.colour != o.colour for o in others):
            return thing
