"""Checks of the public API's arguments, made before any work starts: a wrong type is a
``TypeError`` and a malformed or out-of-range value a ``UsageError``, each naming what is valid.

The limits here keep a typo (``fps=1e9``, ``frames=10**12``) from becoming a huge allocation;
the CLI's options use the same numbers."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from numbers import Integral

from .describe import MAX_FRAMES
from .errors import UsageError
from .models.captioner import Decoding
from .timefmt import parse_time
from .video import Sampling

#: The most moments one search returns.
MAX_MOMENTS = 1000
#: Candidate frames per second when indexing: above every real video's frame rate, so any
#: higher value only asks for more memory.
MAX_FPS = 1000.0


def text(value: object, name: str, hint: str) -> str:
    """A string with something in it, stripped; ``hint`` says what to write."""
    if not isinstance(value, str):
        raise TypeError(f"the {name} must be a string ({hint}), not {_kind(value)}")
    if not value.strip():
        raise UsageError(f"the {name} is empty; {hint}")
    return value.strip()


def count(value: object, name: str, low: int, high: int) -> int:
    """A whole number in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be a whole number from {low} to {high}, not {_kind(value)}")
    if not low <= value <= high:
        raise UsageError(f"{name} must be at least {low} and at most {high}, got {value}")
    return int(value)


def seconds(value: object, name: str) -> float:
    """A time: seconds as a number, or text ``parse_time`` reads (``"83.5"``, ``"1:23.5"``)."""
    try:
        return parse_time(value)
    except TypeError:
        raise TypeError(
            f"{name} must be a time: seconds (83.5) or text like '1:23.5', not {_kind(value)}"
        ) from None


def optional_seconds(value: object, name: str) -> float | None:
    return None if value is None else seconds(value, name)


def times(values: object, name: str) -> list[float]:
    """A list of times; one time on its own is refused (it is easy to mean a list of one)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(
            f"{name} must be a list of times, e.g. {name}=[83.5, '1:40'], not {_kind(values)}"
        )
    return [seconds(value, f"each of {name}") for value in values]


def caption_interval(value: object, span: float) -> float:
    """A positive interval that gives at most ``MAX_FRAMES`` frames over ``span`` seconds."""
    every = seconds(value, "every")
    if every <= 0:
        raise UsageError(f"caption interval must be a positive time, got {value!r}")
    if span / every > MAX_FRAMES:
        raise UsageError(
            f"a caption every {every:g} s is {math.ceil(span / every)} frames, too many (at most "
            f"{MAX_FRAMES}); caption less often or a shorter range"
        )
    return every


_SPEC_EXAMPLES = {"asr": "sphinx:en-us", "ocr": "rapidocr", "captioner": "toy:coca"}


def spec(value: object, name: str) -> str | None:
    """A model spec string, or None for the default."""
    if value is not None and not isinstance(value, str):
        example = _SPEC_EXAMPLES.get(name, "clip:ViT-B-32/laion2b_s34b_b79k")
        raise TypeError(
            f"{name} must be a spec string such as {example!r} (see `videoscout models`), not "
            f"{_kind(value)}"
        )
    return value


def video_path(value: object) -> str | os.PathLike:
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"the video path must be a str or pathlib.Path, not {_kind(value)}")
    return value


def folder(value: object, name: str) -> str | os.PathLike | None:
    if value is not None and not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or pathlib.Path, not {_kind(value)}")
    return value


def sampling(value: object) -> Sampling | None:
    """``Sampling`` checks its own fields; the upper bound on its rate is the API's."""
    if value is None:
        return None
    if not isinstance(value, Sampling):
        raise TypeError(
            f"sampling must be a videoscout.Sampling, e.g. Sampling(mode='uniform', fps=2), "
            f"not {_kind(value)}"
        )
    if value.fps > MAX_FPS:
        raise UsageError(
            f"sampling rate {value.fps:g} fps is too high: at most {MAX_FPS:g} (every frame of "
            f"any real video)"
        )
    return value


def decoding(value: object) -> Decoding:
    if not isinstance(value, Decoding):
        raise TypeError(
            f"decoding must be a Decoding, e.g. Decoding(method='beam'), not {_kind(value)}"
        )
    return value


def frame_size(value: object) -> tuple[int, int] | None:
    """None (the video's own size) or (width, height) in pixels."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"size must be (width, height) in pixels, not {_kind(value)}")
    size = tuple(value)
    if len(size) != 2:
        raise TypeError(f"size must be (width, height) in pixels, got {size!r}")
    width, height = (count(side, "a frame side", 1, 16_384) for side in size)
    return width, height


def _kind(value: object) -> str:
    """``int 123``: the type and a short view of a value, for a message."""
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{type(value).__name__} {shown}"


SEARCH_CHANNELS = ("frames", "speech", "text")


def channels(value: object) -> tuple[str, ...]:
    """Where to search: ``frames``, ``speech``, ``text``, ``all``, or several, joined by commas
    (``"speech,text"``) or in a list; in that order, once each."""
    if isinstance(value, str):
        names = value.split(",")
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        names = list(value)
    else:
        raise TypeError(
            f"within must be a string such as 'frames' or 'all', or a list of them, not "
            f"{_kind(value)}"
        )
    wanted = {w.strip().lower() for w in names if w.strip()}
    if "all" in wanted:
        wanted = set(SEARCH_CHANNELS)
    unknown = sorted(wanted - set(SEARCH_CHANNELS))
    if unknown or not wanted:
        raise UsageError(
            f"cannot search in {value!r}: choose frames, speech, text or all (or several joined "
            f"by commas, e.g. speech,text)"
        )
    return tuple(c for c in SEARCH_CHANNELS if c in wanted)
