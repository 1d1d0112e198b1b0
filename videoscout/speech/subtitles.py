"""Subtitle files from a transcript: SubRip (.srt) and WebVTT (.vtt).

A segment becomes one cue, or several where it is too long to read at once: cues are cut
between words (where the engine timed them) at ``MAX_CUE_SECONDS`` or ``MAX_CUE_CHARS``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from .transcript import Segment, Word

MAX_CUE_SECONDS = 7.0
MAX_CUE_CHARS = 84  # two lines of 42, the usual broadcast limit


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def cues(segments: Iterable[Segment]) -> list[Cue]:
    out = []
    for segment in segments:
        if not segment.words or _fits(segment.words):
            out.append(Cue(segment.start, segment.end, segment.text))
            continue
        group: list[Word] = []
        for word in segment.words:
            if group and not _fits([*group, word]):
                out.append(_cue(group))
                group = []
            group.append(word)
        out.append(_cue(group))
    return out


def _fits(words) -> bool:
    text = " ".join(w.text for w in words)
    return words[-1].end - words[0].start <= MAX_CUE_SECONDS and len(text) <= MAX_CUE_CHARS


def _cue(words: list[Word]) -> Cue:
    return Cue(words[0].start, words[-1].end, " ".join(w.text for w in words))


def srt(segments: Iterable[Segment]) -> str:
    blocks = [
        f"{n}\n{_clock(c.start, ',')} --> {_clock(c.end, ',')}\n{c.text}\n"
        for n, c in enumerate(cues(segments), 1)
    ]
    return "\n".join(blocks)


def vtt(segments: Iterable[Segment]) -> str:
    blocks = [
        f"{_clock(c.start, '.')} --> {_clock(c.end, '.')}\n{c.text}\n" for c in cues(segments)
    ]
    return "\n".join(["WEBVTT\n", *blocks])


FORMATS = {"srt": srt, "vtt": vtt}


def write_subtitles(segments: Iterable[Segment], path: str | Path, kind: str | None = None) -> Path:
    """Write ``path`` as ``kind`` ("srt" or "vtt"; by default, as its suffix says): written
    whole to a temporary file, then renamed into place."""
    path = Path(path)
    kind = kind or path.suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise UsageError(f"subtitles are written as .srt or .vtt, not {path.name!r}")
    text = FORMATS[kind](segments)
    try:
        _write_atomic(path, text)
    except OSError as exc:
        raise UsageError(
            f"cannot write {path}: {exc.strerror or exc}; choose a writable folder"
        ) from None
    return path


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's files are private; subtitles are not
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _clock(seconds: float, mark: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{mark}{millis:03d}"
