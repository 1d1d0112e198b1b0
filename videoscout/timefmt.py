"""Parsing and formatting of timestamps such as ``83.5``, ``1:23.5`` and ``1:02:03``."""

from __future__ import annotations

import math
import re
from numbers import Real

from .errors import InvalidTimeError

_FORMS = "use seconds (83.5) or [H:]MM:SS[.ff]"
# Hours and minutes are whole numbers; only the last part may have a fraction. No signs: a
# minus inside a clock time ("1:-55") is a typo, not a way to count back.
_CLOCK = re.compile(r"(\d+)(?::(\d+))?:(\d+(?:\.\d*)?|\.\d+)")


def parse_time(text: str | float | int) -> float:
    """Seconds from ``SS[.ff]``, ``MM:SS[.ff]`` or ``HH:MM:SS[.ff]`` (also plain numbers).

    Minutes and seconds after a colon must be below 60 (``1:75`` is refused, not read as 2:15);
    nothing may be negative, infinite or NaN."""
    if isinstance(text, bool) or not isinstance(text, (str, Real)):
        raise TypeError(
            f"a time is seconds (83.5) or text like '1:23.5', not {type(text).__name__}"
        )
    if isinstance(text, Real):
        seconds = float(text)
    elif ":" in text:
        seconds = _clock_seconds(text)
    else:
        try:
            seconds = float(text.strip().removesuffix("s"))
        except ValueError:
            raise InvalidTimeError(f"invalid time {text!r}: {_FORMS}") from None
    if not math.isfinite(seconds):
        raise InvalidTimeError(f"invalid time {text!r}: {_FORMS}")
    if seconds < 0:
        raise InvalidTimeError(f"invalid time {text!r}: times cannot be negative")
    return seconds


def _clock_seconds(text: str) -> float:
    match = _CLOCK.fullmatch(text.strip().removesuffix("s"))
    if not match:
        raise InvalidTimeError(f"invalid time {text!r}: {_FORMS}, without signs or spaces")
    first, middle, last = match.groups()
    hours, minutes = (int(first), int(middle)) if middle is not None else (0, int(first))
    seconds = float(last)
    if seconds >= 60 or (middle is not None and minutes >= 60):
        raise InvalidTimeError(
            f"invalid time {text!r}: minutes and seconds after a colon must be below 60 "
            f"(write {format_time(hours * 3600 + minutes * 60 + seconds)} or plain seconds)"
        )
    return hours * 3600 + minutes * 60 + seconds


def format_time(seconds: float) -> str:
    """``M:SS.ss`` below an hour, ``H:MM:SS.ss`` above."""
    centis = round(seconds * 100)
    hours, rest = divmod(centis, 360_000)
    minutes, rest = divmod(rest, 6_000)
    secs = rest / 100
    if hours:
        return f"{hours}:{minutes:02d}:{secs:05.2f}"
    return f"{minutes}:{secs:05.2f}"


def parse_range(text: str) -> tuple[float | None, float | None]:
    """``START-END`` in the forms ``parse_time`` reads; either side may be left open."""
    start, sep, end = text.strip().partition("-")
    if not sep:
        raise InvalidTimeError(f"invalid range {text!r}: use START-END, e.g. 1:00-2:30")
    return (parse_time(start) if start.strip() else None, parse_time(end) if end.strip() else None)


def parse_times(text: str) -> list[float]:
    """Comma-separated times, e.g. ``1:23,1:40``."""
    return [parse_time(part) for part in text.split(",") if part.strip()]
