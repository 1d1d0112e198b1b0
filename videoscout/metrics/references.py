"""Reference caption files: JSON, JSONL or CSV, one item per frame time or range.

JSON is a list of items (or {"items": [...]}); JSONL one item per line. An item:
``{"video": "clip.mp4", "time": 12.5, "references": ["a dog runs", "a dog on grass"]}``, or
``"start"``/``"end"`` instead of ``"time"`` (its middle frame is captioned). Times may be
seconds or M:SS. CSV has the columns ``video,time,reference`` (or ``start,end`` for ``time``),
one reference per row; rows with the same video and time form one item. Relative video paths
are relative to the references file.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..timefmt import parse_time


@dataclass(frozen=True)
class ReferenceItem:
    video: Path
    time: float  # the frame captioned
    references: tuple[str, ...]


def load_references(path: str | Path) -> list[ReferenceItem]:
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"references file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            rows = _csv_rows(path)
        elif suffix == ".jsonl":
            rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        elif suffix == ".json":
            data = json.loads(path.read_text())
            rows = data["items"] if isinstance(data, dict) else data
        else:
            raise UsageError(f"{path.name}: references must be .json, .jsonl or .csv")
        items = [_item(row, path.parent) for row in rows]
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(
            f"{path}: not a references file ({type(exc).__name__}: {exc}); each item needs "
            f'"video", "time" (or "start" and "end") and "references" (see --help)'
        ) from None
    if not items:
        raise UsageError(f"{path}: no reference items")
    return items


def _item(row: dict, base: Path) -> ReferenceItem:
    if "time" in row and row["time"] not in (None, ""):
        time = parse_time(row["time"])
    else:
        time = (parse_time(row["start"]) + parse_time(row["end"])) / 2
    references = row["references"]
    if (
        isinstance(references, str)
        or not references
        or not all(isinstance(r, str) and r.strip() for r in references)
    ):
        raise ValueError(f"item at {time:g}s: references must be a list of non-empty texts")
    video = Path(row["video"]).expanduser()
    return ReferenceItem(video if video.is_absolute() else base / video, time, tuple(references))


def _csv_rows(path: Path) -> list[dict]:
    grouped: dict[tuple, dict] = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["video"], row.get("time"), row.get("start"), row.get("end"))
            item = grouped.setdefault(key, {**row, "references": []})
            item["references"].append(row["reference"])
    return list(grouped.values())
