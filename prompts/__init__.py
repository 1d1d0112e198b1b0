"""Prompt texts, kept as files so they can be read, diffed and edited without touching code."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load_prompt(name: str) -> str:
    """The text of ``prompts/<name>.md`` (e.g. ``"tools/search_moments"``), stripped."""
    path = resources.files(__name__).joinpath(*f"{name}.md".split("/"))
    if not path.is_file():
        raise FileNotFoundError(f"no prompt named {name!r} in the videoscout.prompts package")
    return path.read_text(encoding="utf-8").strip()
