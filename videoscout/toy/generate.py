"""Writing a toy video (H.264 MP4) and its ground truth (JSON) from a seed."""

from __future__ import annotations

import json
import os
import tempfile
from fractions import Fraction
from pathlib import Path

import av

from ..errors import UsageError
from .narration import narrate
from .render import render
from .truth import ground_truth
from .world import Timeline, make_timeline

DEFAULT_FPS = 10
DEFAULT_SIDE = 128


def truth_path(video: Path) -> Path:
    return video.with_suffix(".json")


def generate(
    path: str | Path,
    seconds: float = 600.0,
    seed: int = 0,
    *,
    fps: int = DEFAULT_FPS,
    side: int = DEFAULT_SIDE,
    titles: bool = False,
    narration: bool = False,
) -> tuple[Path, Path]:
    """Render ``seconds`` of toy video to ``path`` and its ground truth beside it (.json).

    ``titles`` overlays "SCENE N" text for each scene's first seconds (listed in the truth);
    ``narration`` adds an audio track speaking the events (its lines and word times in the
    truth's ``narration``; needs espeak-ng).
    """
    if not 10 <= seconds <= 4 * 3600:
        raise UsageError(f"toy video length must be 10 s to 4 h, got {seconds} s")
    if side % 16 or not 32 <= side <= 1024:
        raise UsageError(f"frame side must be a multiple of 16 in 32-1024, got {side}")
    path = Path(path)
    if path.suffix.lower() != ".mp4":
        raise UsageError(f"the toy video is written as MP4: name it *.mp4, not {path.name}")
    timeline = make_timeline(seed, seconds)
    truth = truth_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        spoken = _encode(timeline, path, fps, side, titles, narration)
        data = ground_truth(timeline, seed, fps, side, titles)
        if narration:
            data["narration"] = spoken
        _write_atomic(truth, json.dumps(data, indent=1))
    except OSError as exc:
        raise UsageError(
            f"cannot write {path}: {exc.strerror or exc}; choose a writable folder"
        ) from None
    return path, truth


def _encode(
    timeline: Timeline, path: Path, fps: int, side: int, titles: bool, narration: bool = False
) -> list[dict]:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".mp4")
    os.close(fd)
    try:
        with av.open(tmp, "w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=fps)
            stream.width = stream.height = side
            stream.pix_fmt = "yuv420p"
            # Keyframes every 2 s keep seeks cheap; flat toy pictures compress to almost nothing.
            stream.options = {"preset": "veryfast", "crf": "18", "g": str(2 * fps)}
            stream.codec_context.time_base = Fraction(1, fps)
            for n in range(round(timeline.duration * fps)):
                frame = av.VideoFrame.from_ndarray(
                    render(timeline, n / fps, side, titles), format="rgb24"
                )
                frame.pts = n
                container.mux(stream.encode(frame))
            container.mux(stream.encode())
        spoken = narrate(timeline, Path(tmp)) if narration else []
        _readable(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return spoken


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    _readable(tmp)
    os.replace(tmp, path)


def _readable(path: str) -> None:
    """mkstemp creates files only the owner can read; outputs get the usual umask mode."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)
