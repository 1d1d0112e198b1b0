"""``videoscout caption`` and ``videoscout vqa``."""

from __future__ import annotations

import json

import click

from .. import render
from ..api import Video
from ..arguments import MAX_FRAMES
from ..models.captioner import METHODS, Decoding
from ..models.registry import DEFAULT_CAPTIONER
from ..timefmt import parse_range, parse_time, parse_times
from .command import Command
from .output import echo

captioner_option = click.option(
    "--captioner",
    "-c",
    envvar="VIDEOSCOUT_CAPTIONER",
    default=DEFAULT_CAPTIONER,
    show_default=True,
    metavar="SPEC",
    help="coca:..., vlm:ORG/REPO, vlm:/path or toy:coca (`videoscout models`); "
    "env VIDEOSCOUT_CAPTIONER.",
)
cache_dir_option = click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Cache folder [default: $VIDEOSCOUT_CACHE_DIR or $XDG_CACHE_HOME/videoscout].",
)


def captioner_options(f):
    for option in reversed(
        (
            captioner_option,
            click.option(
                "--decoding",
                type=click.Choice(METHODS),
                default="greedy",
                show_default=True,
                help="greedy and beam are deterministic; top_p samples (seeded).",
            ),
            click.option(
                "--max-tokens", default=32, show_default=True, help="Longest text generated."
            ),
            cache_dir_option,
            click.option("--json", "as_json", is_flag=True, help="Print JSON."),
        )
    ):
        f = option(f)
    return f


@click.command(cls=Command)
@click.argument("video")
@click.option("--every", metavar="TIME", help="Caption a frame every TIME (e.g. 10s, 1:00).")
@click.option("--range", "span", metavar="A-B", help="Only this part, e.g. 1:00-2:30.")
@click.option(
    "--frames",
    type=click.IntRange(1, MAX_FRAMES),
    help="Caption N frames spread over the range [default: 8].",
)
@captioner_options
def caption(video, every, span, frames, captioner, decoding, max_tokens, cache_dir, as_json):
    """Describe VIDEO (or a range of it): timestamped captions, and a summary from VLMs."""
    start, end = parse_range(span) if span else (None, None)
    target = Video(video, captioner=captioner, cache_dir=cache_dir)
    result = target.caption(
        start,
        end,
        every=parse_time(every) if every else None,
        frames=frames,
        decoding=Decoding(method=decoding, max_new_tokens=max_tokens),
    )
    if as_json:
        click.echo(json.dumps({"video": str(target.path), **result.to_dict()}, indent=2))
        return
    echo(f"{target.path.name} {render.description_heading(result)}")
    echo(render.description_text(result))


@click.command(cls=Command)
@click.argument("video")
@click.argument("question")
@click.option("--at", "at", metavar="T[,T...]", help="Look at the frames at these times.")
@click.option("--range", "span", metavar="A-B", help="Look at frames spread over this range.")
@click.option(
    "--frames",
    type=click.IntRange(1, MAX_FRAMES),
    default=4,
    show_default=True,
    help="Frames to look at in a range.",
)
@captioner_options
def vqa(video, question, at, span, frames, captioner, decoding, max_tokens, cache_dir, as_json):
    """Answer QUESTION about the frames of VIDEO at given times or in a range."""
    start, end = parse_range(span) if span else (None, None)
    target = Video(video, captioner=captioner, cache_dir=cache_dir)
    result = target.look(
        question,
        at=parse_times(at) if at else None,
        start=start,
        end=end,
        frames=frames,
        decoding=Decoding(method=decoding, max_new_tokens=max_tokens),
    )
    if as_json:
        click.echo(json.dumps({"video": str(target.path), **result.to_dict()}, indent=2))
        return
    echo(render.frame_answer_text(result, votes=True))
