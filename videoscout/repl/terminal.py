"""The line editor: history across sessions, completion of slash commands, multi-line input."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from .commands import COMMANDS

PROMPT = "? "


def history_file() -> Path:
    """``$XDG_STATE_HOME/videoscout/chat_history`` (``~/.local/state/...`` by default)."""
    state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state) / "videoscout" / "chat_history"


def line_reader(*, input=None, output=None, history: Path | None = None) -> Callable[[], str]:
    """``read()`` for ``ChatLoop.run``: a prompt with history and slash-command completion.
    Enter sends; Esc then Enter (or Alt-Enter) starts a new line. ``input``/``output`` are
    prompt_toolkit's (tests pass a pipe input and a dummy output)."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import WordCompleter
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.key_binding import KeyBindings

    bindings = KeyBindings()

    @bindings.add("escape", "enter")
    def _newline(event) -> None:
        event.current_buffer.insert_text("\n")

    path = history_file() if history is None else history
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        saved = FileHistory(str(path))
    except OSError:  # a read-only home: keep history for this session only
        saved = InMemoryHistory()
    session = PromptSession(
        history=saved,
        completer=WordCompleter(list(COMMANDS), sentence=True),
        key_bindings=bindings,
        input=input,
        output=output,
    )
    return lambda: session.prompt(PROMPT)
