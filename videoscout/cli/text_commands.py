"""``videoscout read``: the text on screen at a time, over a range, or through the whole video."""

from __future__ import annotations

import json
from dataclasses import replace

import click

from ..api import Video
from ..describe import checked_range, checked_times
from ..errors import UsageError
from ..ocr import DEFAULT_OCR, TextSpan
from ..ocr.reading import OCR_SAMPLING
from ..render import span as time_span
from ..timefmt import format_time, parse_range, parse_time
from .command import Command
from .output import echo
from .progress import index_progress


@click.command(cls=Command)
@click.argument("video")
@click.option("--at", "at", metavar="TIME", help="The text on screen at TIME (e.g. 83.5, 1:23).")
@click.option(
    "--range", "span", metavar="A-B", help="The text on screen during A-B, e.g. 1:00-2:30."
)
@click.option(
    "--ocr",
    "engine",
    envvar="VIDEOSCOUT_OCR",
    default=DEFAULT_OCR,
    show_default=True,
    metavar="SPEC",
    help="OCR engine: rapidocr (bundled models) or tesseract[:LANG]; env VIDEOSCOUT_OCR.",
)
@click.option(
    "--fps",
    type=click.FloatRange(min=0.01, max=100.0),
    default=OCR_SAMPLING.fps,
    show_default=True,
    help="Candidate frames per second; only those where the picture changed are read.",
)
@click.option("--force", is_flag=True, help="Read the video again even if its text is cached.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Cache folder [default: $VIDEOSCOUT_CACHE_DIR or $XDG_CACHE_HOME/videoscout].",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON, no progress bar.")
def read(video, at, span, engine, fps, force, cache_dir, as_json) -> None:
    """Read the text on screen in VIDEO (titles, slides, signs), with the times it is shown.

    The whole video is read once (OCR where the picture changed) and cached; --at and --range
    then pick from it.
    """
    if at is not None and span is not None:
        raise UsageError("give either --at TIME or --range A-B, not both")
    target = Video(video, cache_dir=cache_dir, ocr=engine)
    info = target.info
    start, end = 0.0, info.duration
    if at is not None:
        (start,) = checked_times([parse_time(at)], info.duration)
        end = start
    elif span is not None:
        start, end = checked_range(*parse_range(span), info.duration)
    sampling = replace(OCR_SAMPLING, fps=fps)
    with index_progress(f"reading text in {info.path.name}", not as_json) as progress:
        text = target.read_text(sampling=sampling, force=force, progress=progress)
    spans = text.at(start) if at is not None else text.between(start, end)
    if as_json:
        where = {"at": start} if at is not None else {"start": start, "end": end}
        report = {"video": str(info.path), "engine": engine, **where}
        click.echo(json.dumps({**report, "spans": [s.to_dict() for s in spans]}, indent=2))
        return
    where = f"at {format_time(start)}" if at is not None else time_span(start, end)
    if not spans:
        echo(f"{info.path.name}: no text on screen {where} ({engine})")
        return
    echo(f"{info.path.name}: text on screen {where} ({engine})")
    for s in spans:
        echo(_span_line(s))


def _span_line(s: TextSpan) -> str:
    return f"  {time_span(s.start, s.end)}  {s.text}  ({s.confidence:.2f})"


def register(group: click.Group) -> None:
    """Add ``read`` to the ``videoscout`` command group."""
    group.add_command(read)
