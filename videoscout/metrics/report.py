"""The comparison as a Rich table, a JSON report and a bar chart (PNG, drawn with Pillow)."""

from __future__ import annotations

import json
from pathlib import Path

from ..render import terminal_safe
from ..retrieval.cache import write_json_atomic
from .compare import CaptionerReport
from .references import ReferenceItem

# Higher is better for all but TER (an edit rate).
LOWER_IS_BETTER = {"TER"}
COLOURS = [(52, 101, 164), (237, 125, 49), (112, 173, 71), (165, 105, 189), (91, 155, 213)]


def print_tables(reports: list[CaptionerReport], items: list[ReferenceItem]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    def plain(value: str) -> Text:
        # Captions and file names are data: neither Rich markup nor terminal escapes.
        return Text(terminal_safe(value))

    console = Console()
    metrics = list(reports[0].scores)
    table = Table(title=f"Caption quality on {len(items)} frames")
    table.add_column("captioner")
    for metric in metrics:
        arrow = "↓" if metric in LOWER_IS_BETTER else "↑"
        table.add_column(f"{metric} {arrow}", justify="right")
    for report in reports:
        table.add_row(plain(report.captioner), *(f"{report.scores[m]:.2f}" for m in metrics))
    console.print(table)
    for report in reports:
        worst = Table(title=f"Worst items for {report.captioner} (CIDEr-D)")
        for column in ("time", "caption", "references", "CIDEr-D"):
            worst.add_column(column)
        for row in report.worst(items):
            worst.add_row(
                plain(f"{Path(row['video']).name} {row['time']:.1f}s"),
                plain(row["caption"]),
                plain(" | ".join(row["references"])),
                f"{row['CIDEr-D']:.2f}",
            )
        console.print(worst)
    console.print(f"BLEU signature: {reports[0].signatures['BLEU']}")


def write_json(path: Path, reports: list[CaptionerReport], items: list[ReferenceItem]) -> None:
    data = {
        "items": len(items),
        "captioners": [
            {
                "captioner": r.captioner,
                "scores": r.scores,
                "signatures": r.signatures,
                "worst": r.worst(items),
                "captions": [
                    {"video": str(item.video), "time": item.time, "caption": caption}
                    for item, caption in zip(items, r.captions, strict=True)
                ],
            }
            for r in reports
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, data)


def write_chart(path: Path, reports: list[CaptionerReport]) -> None:
    """One group of bars per metric, one bar per captioner, each metric scaled to its maximum."""
    from PIL import Image, ImageDraw

    metrics = list(reports[0].scores)
    group, bar, height, top, bottom = 150, 24, 320, 40, 60
    width = 40 + group * len(metrics)
    image = Image.new("RGB", (width, height + top + bottom), "white")
    draw = ImageDraw.Draw(image)
    draw.text((10, 10), "caption metrics (bar height relative to the best; value above)", "black")
    for m, metric in enumerate(metrics):
        values = [r.scores[metric] for r in reports]
        scale = max(max(values), 1e-9)
        x0 = 30 + m * group
        for i, value in enumerate(values):
            h = int(height * value / scale)
            x = x0 + i * (bar + 4)
            draw.rectangle([x, top + height - h, x + bar, top + height], fill=COLOURS[i % 5])
            draw.text((x, top + height - h - 12), f"{value:.1f}", "black")
        draw.text((x0, top + height + 8), metric, "black")
    for i, report in enumerate(reports):
        y = top + height + 28 + 0 * i
        x = 30 + i * 220
        draw.rectangle([x, y, x + 12, y + 12], fill=COLOURS[i % 5])
        draw.text((x + 16, y), report.captioner[:32], "black")
    fd_tmp = path.with_name(f".{path.name}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(fd_tmp, format="PNG")
    fd_tmp.replace(path)


def to_json(reports: list[CaptionerReport], items: list[ReferenceItem]) -> str:
    return json.dumps({r.captioner: r.scores for r in reports}, indent=2)
