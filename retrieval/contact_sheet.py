"""A PNG grid of frames, each labelled: the best frame of each moment with its time range
(``search --thumbs``), or any frames with labels of the caller's."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from videoscout.timefmt import format_time

from .search import Moment

TILE_WIDTH = 320
LABEL_HEIGHT = 22
COLUMNS = 3


def write_contact_sheet(
    images: np.ndarray, moments: Sequence[Moment], folder: Path, name: str
) -> Path:
    """Save one tile per moment (``images[i]`` is moment i's best frame) as ``folder/name.png``."""
    labels = [
        f"#{m.rank} {format_time(m.start)}-{format_time(m.end)} ({m.score:.3f})" for m in moments
    ]
    return write_sheet(images, labels, folder, name)


def write_sheet(images: np.ndarray, labels: Sequence[str], folder: Path, name: str) -> Path:
    """Save one tile per image, ``labels[i]`` above ``images[i]``, as ``folder/name.png``:
    rows of up to ``COLUMNS`` tiles, written to a temporary file and renamed into place."""
    height, width = images.shape[1:3]
    columns = min(COLUMNS, len(labels))
    rows = -(-len(labels) // columns)
    sheet = Image.new("RGB", (columns * width, rows * (height + LABEL_HEIGHT)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for i, (image, label) in enumerate(zip(images, labels, strict=True)):
        x, y = (i % columns) * width, (i // columns) * (height + LABEL_HEIGHT)
        sheet.paste(Image.fromarray(image), (x, y + LABEL_HEIGHT))
        draw.text((x + 4, y + 4), label, fill="black", font=font)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.png"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".png")
    os.close(fd)
    try:
        sheet.save(tmp, format="PNG")
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a picture is for sharing
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def tile_size(width: int, height: int) -> tuple[int, int]:
    """Decode size of a tile for a ``width`` x ``height`` video: ``TILE_WIDTH`` wide, the
    height that keeps the aspect ratio, rounded to even."""
    return TILE_WIDTH, max(2, round(TILE_WIDTH * height / width / 2) * 2)


def sheet_name(video: Path, query: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", query.lower()).strip("-")[:48] or "query"
    return f"{video.stem}-{slug}"
