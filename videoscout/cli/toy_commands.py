"""``videoscout toy generate``: synthetic videos with known truth, to try the product offline."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..timefmt import format_time
from .command import Command
from .output import echo


@click.group()
def toy() -> None:
    """The toy world: generated videos with ground truth, and the toy:coca model trained on them.

    \b
    The toy model knows only the toy world (shapes, colours and backgrounds); use real
    checkpoints for real videos.
    """


@toy.command(cls=Command)
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--seconds", default=600.0, show_default=True, help="Length of the video.")
@click.option("--seed", default=0, show_default=True, help="Same seed, same video.")
@click.option("--titles", is_flag=True, help="Overlay 'SCENE N' text at each scene's start.")
@click.option(
    "--narration",
    is_flag=True,
    help="Add a narrator who says what appears and leaves (needs espeak-ng); the words and "
    "their times go into the truth.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the ground truth's summary as JSON.")
def generate(
    output: Path, seconds: float, seed: int, titles: bool, narration: bool, as_json: bool
) -> None:
    """Render a toy video (H.264 MP4) and its ground truth (OUTPUT with .json)."""
    from ..toy.generate import generate as write_video

    video, truth_file = write_video(output, seconds, seed, titles=titles, narration=narration)
    truth = json.loads(truth_file.read_text())
    events = truth["events"]
    if as_json:
        summary = {"video": str(video), "truth": str(truth_file), "events": len(events)}
        click.echo(json.dumps(summary))
        return
    echo(f"{video}  ({format_time(truth['duration'])}, {len(events)} events, seed {seed})")
    echo(f"{truth_file}  (events, a caption per second, questions with answers)")
    for event in events[:5]:
        echo(
            f"  {format_time(event['start'])}-{format_time(event['end'])}  a {event['description']}"
        )
    if len(events) > 5:
        echo(f"  ... {len(events) - 5} more")


@toy.command(cls=Command)
@click.argument("truth", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--every",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="One item every N seconds.",
)
def references(truth: Path, output: Path, every: int) -> None:
    """Write reference captions (for `videoscout eval-captions`) from a toy video's TRUTH."""
    from ..retrieval.cache import write_json_atomic

    data = json.loads(truth.read_text())
    video = truth.with_suffix(".mp4").resolve()
    items = [
        {"video": str(video), "time": c["time"], "references": [c["caption"]]}
        for c in data["captions"][::every]
    ]
    output.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(output, {"items": items})
    echo(f"{output}: {len(items)} items from {video.name}")
