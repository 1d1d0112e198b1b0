"""A progress bar on stderr for interactive use; silent when piped or producing JSON."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from ..render import terminal_safe
from ..retrieval.build import Progress as ProgressCallback


@contextlib.contextmanager
def index_progress(label: str, enabled: bool) -> Iterator[ProgressCallback | None]:
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[done]} / {task.fields[total_text]}"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    # The label names the file: shown as typed, never read as rich markup or escape sequences.
    task = bar.add_task(escape(terminal_safe(label)), total=None, done="0:00", total_text="?")

    def update(done: float, total: float) -> None:
        from ..timefmt import format_time

        bar.update(
            task,
            completed=done,
            total=total,
            done=format_time(done),
            total_text=format_time(total),
        )

    with bar:
        yield update
