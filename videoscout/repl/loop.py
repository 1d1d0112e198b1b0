"""The chat loop: questions go to the agent, slash commands to ``commands``; nothing here knows
about click or a terminal, so tests drive it with any line reader and any output."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from ..errors import VideoscoutError
from ..render import agent_answer_text, step_line, terminal_safe
from . import commands

QUIT_HINT = "(to leave, press Ctrl-D or type /quit)"
CANCELLED = "(cancelled: the conversation is as it was before that question)"
_CITED_TIME = r"\[?\d+(?::\d{1,2}){1,2}(?:\.\d+)?(?:\s*-\s*\d+(?::\d{1,2}){1,2}(?:\.\d+)?)?\]?"


@dataclass
class ChatLoop:
    """One chat about one video.

    ``agent`` answers questions (a ``VideoAgent``); ``console`` receives everything shown.
    ``live`` shows a spinner and each step as it happens (a terminal); ``as_json`` prints each
    answer as one JSON object per line (scripts)."""

    agent: object
    console: Console
    live: bool = False
    as_json: bool = False
    show_steps: bool = False
    echo: bool = False  # print each line read (input from a pipe is not on the screen)
    transcript: list[dict] = field(default_factory=list)
    last: object = None  # the last AgentAnswer
    running: bool = True

    def run(self, read_line: Callable[[], str]) -> None:
        """Read and handle lines until /quit or end of input (EOFError)."""
        while self.running:
            try:
                line = read_line()
            except KeyboardInterrupt:
                self.say(QUIT_HINT)
                continue
            except EOFError:
                break
            self.handle(line)

    def handle(self, line: str) -> None:
        """One line: a slash command or a question. Errors a user can cause are one line and
        the chat goes on; Ctrl-C cancels the answer in progress."""
        line = line.strip()
        if not line:
            return
        if self.echo and not self.as_json:
            self.say(f"? {line}", style="bold")
        try:
            if line.startswith("/"):
                commands.run(self, line)
            else:
                self.ask(line)
        except KeyboardInterrupt:
            self.say(CANCELLED)
        except VideoscoutError as exc:
            self.error(str(exc))

    def ask(self, question: str) -> None:
        answer = None
        status = self.console.status("thinking…", spinner="dots") if self.live else None
        if status:
            status.start()
        try:
            for item in self.agent.stream(question):
                if hasattr(item, "citations"):
                    answer = item
                    continue
                if status:  # a step quotes the question: neither markup nor escape sequences
                    status.update(escape(terminal_safe(item.text.strip())) + "…")
                if (self.live or self.show_steps) and item.kind not in ("answer", "decide"):
                    self.say(step_line(item), style="dim")
        finally:
            if status:
                status.stop()
        self.last = answer
        self.transcript.append({"question": question, "answer": answer})
        if self.as_json:
            self.console.print(json.dumps(answer.to_dict()), markup=False, highlight=False)
            return
        self.show_answer(answer)
        if self.echo:
            self.say("")

    def show_answer(self, answer) -> None:
        text = Text(terminal_safe(agent_answer_text(answer)))
        text.highlight_regex(_CITED_TIME, "bold cyan")
        self.console.print(text)

    def say(self, text: str, style: str | None = None) -> None:
        """Show ``text`` as it reads: what was typed, file names and answers may hold control
        characters, shown as escapes (``render.terminal_safe``); JSON escapes them itself."""
        if self.as_json:  # scripts read one JSON object per line, whatever the line was
            self.console.print(json.dumps({"text": text}), markup=False, highlight=False)
            return
        self.console.print(Text(terminal_safe(text), style=style or ""))

    def error(self, message: str) -> None:
        if self.as_json:
            self.console.print(json.dumps({"error": message}), markup=False, highlight=False)
            return
        self.say(f"error: {message}", style="red")


def plain_console(file) -> Console:
    """A console that writes text exactly as given: no colour, no wrapping, no markup."""
    return Console(
        file=file, force_terminal=False, color_system=None, width=10_000, highlight=False,
        soft_wrap=True,
    )  # fmt: skip


def cited_times(text: str) -> list[str]:
    return re.findall(_CITED_TIME, text)
