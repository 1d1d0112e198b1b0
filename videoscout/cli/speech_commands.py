"""``videoscout transcribe``: what is said in a video, as text with times or as subtitles."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import UsageError
from ..render import span
from ..speech.engines import DEFAULT_ASR, ENV_VAR
from .command import Command
from .output import echo
from .progress import index_progress


@click.command(cls=Command)
@click.argument("video")
@click.option(
    "--asr",
    envvar=ENV_VAR,
    default=DEFAULT_ASR,
    show_default=True,
    metavar="SPEC",
    help="Speech recognizer: sphinx:en-us (bundled) or whisper:tiny.en|base|small|... "
    f'(pip install "videoscout[whisper]"); env {ENV_VAR}.',
)
@click.option(
    "--srt",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write SubRip subtitles here (- for standard output).",
)
@click.option(
    "--vtt",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write WebVTT subtitles here (- for standard output).",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Cache folder [default: $VIDEOSCOUT_CACHE_DIR or $XDG_CACHE_HOME/videoscout].",
)
@click.option("--force", is_flag=True, help="Transcribe again, ignoring the cached transcript.")
@click.option("--json", "as_json", is_flag=True, help="Print the transcript as JSON.")
def transcribe(
    video: str,
    asr: str,
    srt: Path | None,
    vtt: Path | None,
    cache_dir: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Transcribe the speech in VIDEO: one line per segment with its times, or subtitles.

    \b
    The transcript is cached: a second run costs nothing, and an interrupted run resumes
    where it stopped.
      videoscout transcribe talk.mp4
      videoscout transcribe talk.mp4 --srt talk.srt
      videoscout transcribe talk.mp4 --asr whisper:tiny.en --vtt talk.vtt
      videoscout transcribe talk.mp4 --srt - | less
    """
    from ..api import Video
    from ..speech.subtitles import FORMATS, write_subtitles

    wanted = {"srt": srt, "vtt": vtt}
    printed = [kind for kind, out in wanted.items() if out is not None and str(out) == "-"]
    if len(printed) + as_json > 1:
        shown = " and ".join([f"--{kind} -" for kind in printed] + ["--json"] * as_json)
        raise UsageError(f"{shown} would all print to standard output; write one to a file")

    target = Video(video, cache_dir=cache_dir, asr=asr)
    name = target.path.name
    with index_progress(f"transcribing {name}", enabled=not as_json) as progress:
        transcript = target.transcribe(force=force, progress=progress)
    written = [
        write_subtitles(transcript.segments, out, kind)
        for kind, out in wanted.items()
        if out is not None and kind not in printed
    ]
    if printed:
        click.echo(FORMATS[printed[0]](transcript.segments), nl=False)
    if as_json:
        click.echo(json.dumps(transcript.to_dict()))
        return
    if not transcript.segments:
        echo(f"no speech heard in {name} ({transcript.engine})", err=True)
    for out in written:
        echo(f"wrote {out}", err=True)
    if written or printed:
        return
    for segment in transcript.segments:
        echo(f"{span(segment.start, segment.end)}  {segment.text}")


def register(group: click.Group) -> None:
    """Add this module's commands to ``group`` (the ``videoscout`` command)."""
    group.add_command(transcribe)
