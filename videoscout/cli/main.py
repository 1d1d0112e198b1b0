"""The ``videoscout`` command: parses arguments, runs a command, turns errors into messages."""

from __future__ import annotations

import contextlib
import os
import sys

import click

from ..errors import VideoscoutError
from ..render import terminal_safe
from ..version import __version__
from .agent_commands import ask
from .caption_commands import caption, vqa
from .chat_commands import chat
from .eval_commands import eval_captions
from .models_commands import models, sample
from .output import echo
from .speech_commands import transcribe
from .text_commands import read
from .toy_commands import toy
from .video_commands import index, info, search


class _Group(click.Group):
    """Prints user errors as one line and exits non-zero; VIDEOSCOUT_DEBUG=1 shows tracebacks.
    Click's own messages quote what was typed (an unknown option or command), so they are made
    terminal-safe like everything else printed."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        with _terminal_safe_click_errors():
            return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            with _terminal_safe_click_errors():
                return super().invoke(ctx)
        except VideoscoutError as exc:
            if os.environ.get("VIDEOSCOUT_DEBUG"):
                raise
            echo(f"videoscout: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            echo("videoscout: interrupted", err=True)
            ctx.exit(130)


@contextlib.contextmanager
def _terminal_safe_click_errors():
    try:
        yield
    except click.ClickException as exc:
        exc.message = terminal_safe(exc.message)
        raise


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="videoscout")
def cli() -> None:
    """Search long videos in plain language, and ask questions about them.

    \b
    Quick start (the default model needs its weights in the Hugging Face cache):
      videoscout info movie.mp4
      videoscout search movie.mp4 "a bird falls from a tree"
      videoscout ask movie.mp4 "what happens right after the bird falls?"
    Set VIDEOSCOUT_MODEL to change the default model; `videoscout models` lists them.
    """


COMMANDS = (
    info,
    index,
    search,
    transcribe,
    read,
    ask,
    chat,
    caption,
    vqa,
    eval_captions,
    models,
    sample,
    toy,
)
for command in COMMANDS:
    cli.add_command(command)


def run() -> None:
    cli(prog_name="videoscout")


if __name__ == "__main__":
    sys.exit(run())
