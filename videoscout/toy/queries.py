"""Search queries about the toy world, and which frames each one truly describes.

Training the contrastive towers on short queries ("a red circle") as well as on whole captions
teaches the text tower how people search; the match rule gives every query all its positives.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .truth import PLACES
from .world import SHAPES, Thing


@dataclass(frozen=True)
class Query:
    colour: str | None = None
    shape: str | None = None
    size: str | None = None
    background: str | None = None

    @property
    def text(self) -> str:
        words = [w for w in (self.size, self.colour, self.shape) if w]
        if self.shape is None and words:
            words.append("object")
        head = f"a {' '.join(words)}" if words else "nothing"
        return f"{head} {PLACES[self.background]}" if self.background else head

    def matches(self, background: str, things: tuple[Thing, ...]) -> bool:
        if self.background and self.background != background:
            return False
        if not (self.colour or self.shape or self.size):
            return not things
        return any(
            (self.colour is None or t.colour == self.colour)
            and (self.shape is None or t.shape == self.shape)
            and (self.size is None or t.size == self.size)
            for t in things
        )


def random_query(rng: random.Random, background: str, things: tuple[Thing, ...]) -> Query:
    """A query that the frame (``background`` with ``things``) satisfies."""
    place = background if rng.random() < 0.3 else None
    if not things:
        return Query(background=background)
    thing = rng.choice(things)
    form = rng.choice(("colour shape", "size colour shape", "colour", "shape", "size shape"))
    return Query(
        colour=thing.colour if "colour" in form else None,
        shape=thing.shape if "shape" in form else None,
        size=thing.size if "size" in form else None,
        background=place,
    )


def hard_negative(rng: random.Random, background: str, things: tuple[Thing, ...]) -> Query | None:
    """A query the frame does not satisfy but a bag of its words would: one object's colour with
    another's shape (or, alone on screen, with a shape it does not have)."""
    if not things:
        return None
    thing = rng.choice(things)
    others = [t for t in things if t is not thing]
    if others and rng.random() < 0.5:
        other = rng.choice(others)
        colour, shape = (
            (thing.colour, other.shape) if rng.random() < 0.5 else (other.colour, thing.shape)
        )
    else:
        colour = thing.colour
        shape = rng.choice([s for s in SHAPES if s != thing.shape])
    size = thing.size if rng.random() < 0.5 else None
    query = Query(colour=colour, shape=shape, size=size)
    return None if query.matches(background, things) else query


def thing_query(thing: Thing) -> Query:
    return Query(colour=thing.colour, shape=thing.shape, size=thing.size)
