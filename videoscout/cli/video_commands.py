"""``videoscout info``, ``index`` and ``search``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .. import render
from ..api import Video
from ..arguments import MAX_FPS, MAX_MOMENTS
from ..models import DEFAULT_MODEL
from ..retrieval.contact_sheet import TILE_WIDTH, sheet_name, write_contact_sheet
from ..retrieval.store import IndexResult
from ..video import Sampling
from .command import Command
from .output import echo
from .progress import index_progress


def model_option(f):
    return click.option(
        "--model",
        "-m",
        envvar="VIDEOSCOUT_MODEL",
        default=DEFAULT_MODEL,
        show_default=True,
        metavar="SPEC",
        help="Embedding model spec (see `videoscout models`); env VIDEOSCOUT_MODEL.",
    )(f)


def video_options(f):
    for option in reversed(
        (
            click.option(
                "--cache-dir",
                type=click.Path(file_okay=False),
                default=None,
                help="Index cache folder [default: $VIDEOSCOUT_CACHE_DIR or "
                "$XDG_CACHE_HOME/videoscout].",
            ),
            click.option(
                "--sampling",
                type=click.Choice(["scene", "uniform"]),
                default="scene",
                show_default=True,
                help="Index every candidate frame, or only changes.",
            ),
            click.option(
                "--fps",
                type=click.FloatRange(min=0, min_open=True, max=MAX_FPS),
                default=1.0,
                show_default=True,
                help="Candidate frames per second.",
            ),
            click.option(
                "--backend",
                type=click.Choice(["decord", "pyav"]),
                default=None,
                help="Video decoder [default: PyAV's one-pass reader to index, decord to seek].",
            ),
            click.option("--json", "as_json", is_flag=True, help="Print JSON, no progress bar."),
        )
    ):
        f = option(f)
    return model_option(f)


def _open(path: str, model: str, cache_dir, sampling: str, fps: float, backend) -> Video:
    return Video(
        path,
        model=model,
        sampling=Sampling(mode=sampling, fps=fps),
        cache_dir=cache_dir,
        backend=backend,
    )


@click.command(cls=Command)
@click.argument("video")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(video: str, as_json: bool) -> None:
    """Show a video's duration, frame rate, size and streams."""
    details = Video(video).info
    if as_json:
        click.echo(json.dumps(details.to_dict(), indent=2))
        return
    echo(render.info_table(details))


def _index_summary(result: IndexResult) -> dict:
    manifest = result.index.manifest
    return {
        "reused": result.reused,
        "frames": len(result.index),
        "candidates": manifest.get("candidates"),
        "model": manifest.get("model", {}).get("spec"),
        "sampling": manifest.get("sampling"),
        "search": manifest.get("search"),
        "build_seconds": manifest.get("build_seconds"),
        "folder": str(result.folder),
    }


@click.command(cls=Command)
@click.argument("video")
@click.option("--force", is_flag=True, help="Rebuild even if a cached index exists.")
@video_options
def index(video, force, model, cache_dir, sampling, fps, backend, as_json) -> None:
    """Build (or reuse) the search index of a video."""
    target = _open(video, model, cache_dir, sampling, fps, backend)
    with index_progress(f"indexing {target.path.name}", not as_json) as progress:
        result = target.index(force=force, progress=progress)
    summary = _index_summary(result)
    if as_json:
        click.echo(json.dumps({"video": str(target.path), "index": summary}, indent=2))
        return
    how = "reused cached index" if result.reused else f"built in {summary['build_seconds']:.1f} s"
    echo(
        f"{target.path.name}: {summary['frames']} frames indexed "
        f"(of {summary['candidates']} candidates) with {model}; {how}"
    )
    echo(f"index: {result.folder}")


@click.command(cls=Command)
@click.argument("video")
@click.argument("query")
@click.option(
    "-k",
    "--top",
    "k",
    type=click.IntRange(min=1, max=MAX_MOMENTS),
    default=5,
    show_default=True,
    help="Number of moments.",
)
@click.option(
    "--thumbs",
    type=click.Path(file_okay=False),
    default=None,
    metavar="DIR",
    help="Write a contact sheet PNG of the moments into DIR.",
)
@click.option(
    "--captions",
    "with_captions",
    is_flag=True,
    help="Also search the captions cached by `videoscout caption`, as text.",
)
@click.option(
    "--in",
    "within",
    default="frames",
    show_default=True,
    metavar="WHERE",
    help="Where to look: frames (the picture), speech (what is said), text (what is written "
    "on screen), or all, fused into one list; or several joined by commas.",
)
@video_options
def search(
    video,
    query,
    k,
    thumbs,
    with_captions,
    within,
    model,
    cache_dir,
    sampling,
    fps,
    backend,
    as_json,
) -> None:
    """Find the moments of a video that match a plain-language QUERY (put -- before a QUERY
    that starts with "-")."""
    target = _open(video, model, cache_dir, sampling, fps, backend)
    channels = target.search_channels(within)
    name = target.path.name
    # Each channel's slow first step gets its own bar; the search then reads the caches.
    if "frames" in channels:
        with index_progress(f"indexing {name}", not as_json) as progress:
            target.index(progress=progress)
    if "speech" in channels:
        with index_progress(f"transcribing {name}", not as_json) as progress:
            target.transcribe(progress=progress)
    if "text" in channels:
        with index_progress(f"reading text in {name}", not as_json) as progress:
            target.read_text(progress=progress)
    moments = target.search(query, k, within=within)
    hits = target.search_captions(query, k) if with_captions else []
    sheet = None
    if thumbs and moments:
        width = TILE_WIDTH
        height = max(2, round(width * target.info.height / target.info.width / 2) * 2)
        frames = target.frames_at([m.peak for m in moments], size=(width, height))
        sheet = write_contact_sheet(
            frames.images, moments, Path(thumbs), sheet_name(target.path, query)
        )
    if as_json:
        report = {
            "video": str(target.path),
            "query": query,
            "model": model,
            "in": list(channels),
            "moments": [m.to_dict() for m in moments],
            **({"caption_hits": [h.to_dict() for h in hits]} if with_captions else {}),
            **({"index": _index_summary(target.index())} if "frames" in channels else {}),
        }
        if sheet:
            report["contact_sheet"] = str(sheet)
        click.echo(json.dumps(report, indent=2))
        return
    engines = {"frames": model, "speech": target.asr, "text": target.ocr}
    searched_by = ", ".join(engines[c] for c in channels)
    echo(render.moments_table(target.path.name, query, searched_by, moments))
    if with_captions:
        echo(render.caption_hits_text(hits))
    if sheet:
        echo(f"contact sheet: {sheet}")
