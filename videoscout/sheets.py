"""Contact sheets of what an answer cites: the chat's ``/sheet``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UsageError
from .render import span
from .retrieval.contact_sheet import tile_size, write_sheet
from .timefmt import format_time

if TYPE_CHECKING:
    from .agent.answer import Citation
    from .api import Video


def citation_sheet(video: Video, citations: Sequence[Citation], folder: Path, name: str) -> Path:
    """Write ``folder/name.png``: one tile per citation, the frame it looked at (``time``, or the
    middle of its window when it names none), labelled with its window; return its path."""
    if not citations:
        raise UsageError("no cited moments to show: ask a question whose answer cites some first")
    duration = video.info.duration
    times = [min(max(citation_time(c), 0.0), duration) for c in citations]
    frames = video.frames_at(times, size=tile_size(video.info.width, video.info.height))
    labels = [citation_label(i, c) for i, c in enumerate(citations, 1)]
    folder = Path(folder).expanduser()
    try:
        return write_sheet(frames.images, labels, folder, name)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UsageError(
            f"cannot write the contact sheet into {folder} ({reason}); choose a writable folder"
        ) from None


def citation_time(citation: Citation) -> float:
    """The frame a citation stands for: the one it looked at, else its window's middle."""
    if citation.time is not None:
        return citation.time
    return (citation.start + citation.end) / 2


def citation_label(number: int, citation: Citation) -> str:
    """``[1] 0:03.00-0:06.00 frame 0:04.50``: the window, and the frame when it is inside one."""
    if citation.start == citation.end:
        return f"[{number}] {format_time(citation.start)}"
    label = f"[{number}] {span(citation.start, citation.end)}"
    return f"{label} frame {format_time(citation_time(citation))}"
