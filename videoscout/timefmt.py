"""Parsing and formatting of timestamps such as ``83.5``, ``1:23.5`` and ``1:02:03``."""

from __future__ import annotations

from .errors import InvalidTimeError


def parse_time(text: str | float | int) -> float:
    """Seconds from ``SS[.ff]``, ``MM:SS[.ff]`` or ``HH:MM:SS[.ff]`` (also plain numbers)."""
    if isinstance(text, (int, float)):
        seconds = float(text)
    else:
        raw = text.strip().removesuffix("s")
        parts = raw.split(":")
        if not raw or len(parts) > 3:
            raise InvalidTimeError(f"invalid time {text!r}: use seconds (83.5) or [H:]MM:SS[.ff]")
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise InvalidTimeError(
                f"invalid time {text!r}: use seconds (83.5) or [H:]MM:SS[.ff]"
            ) from None
        seconds = 0.0
        for value in values:
            seconds = seconds * 60 + value
    if seconds < 0:
        raise InvalidTimeError(f"invalid time {text!r}: times cannot be negative")
    return seconds


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
