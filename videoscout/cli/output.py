"""What the CLI prints for a person. Text goes through ``render.terminal_safe``: a file name,
query, caption or answer may carry control characters, and the terminal must show them, not
obey them. JSON needs no such care: ``json.dumps`` writes every control character as ``\\u001b``
and the like, and a reader gets the exact string back."""

from __future__ import annotations

import click

from ..render import terminal_safe


def echo(text: str = "", *, err: bool = False) -> None:
    click.echo(terminal_safe(text), err=err)
