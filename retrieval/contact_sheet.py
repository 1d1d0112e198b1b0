"""A PNG grid of the best frame of each moment, labelled with its time range."""

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
    height, width = images.shape[1:3]
    columns = min(COLUMNS, len(moments))
    rows = -(-len(moments) // columns)
    sheet = Image.new("RGB", (columns * width, rows * (height + LABEL_HEIGHT)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for i, (image, moment) in enumerate(zip(images, moments, strict=True)):
        x, y = (i % columns) * width, (i // columns) * (height + LABEL_HEIGHT)
        sheet.paste(Image.fromarray(image), (x, y + LABEL_HEIGHT))
        label = (
            f"#{moment.rank} {format_time(moment.start)}-{format_time(moment.end)} "
            f"({moment.score:.3f})"
        )
        draw.text((x + 4, y + 4), label, fill="black", font=font)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.png"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".png")
    os.close(fd)
    try:
        sheet.save(tmp, format="PNG")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def sheet_name(video: Path, query: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", query.lower()).strip("-")[:48] or "query"
    return f"{video.stem}-{slug}"
