"""``videoscout chat``: a conversation about one video in the terminal (or over a pipe)."""

from __future__ import annotations

import sys
import time

import click

from ..api import Video
from ..timefmt import format_time
from .agent_commands import llm_options
from .caption_commands import cache_dir_option, captioner_option
from .command import Command
from .progress import index_progress
from .video_commands import model_option


@click.command(cls=Command)
@click.argument("video")
@llm_options
@click.option("--session", metavar="NAME", help="Save the conversation as NAME, or resume it.")
@model_option
@captioner_option
@cache_dir_option
@click.option("--steps", is_flag=True, help="Print each step when reading questions from a pipe.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per answer (pipes).")
def chat(video, llm, llm_base_url, session, model, captioner, cache_dir, steps, as_json):
    """Chat about VIDEO: ask questions, follow up, use /help for commands.

    \b
    When standard input is not a terminal, each line is a question and each answer is
    printed: cat questions.txt | videoscout chat movie.mp4
    """
    from rich.console import Console

    from ..repl import ChatLoop, plain_console
    from ..repl.commands import session_name

    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    target = Video(video, model=model, captioner=captioner, cache_dir=cache_dir)
    began = time.perf_counter()
    with index_progress(f"indexing {target.path.name}", interactive) as progress:
        index = target.index(progress=progress)
    took = time.perf_counter() - began
    if interactive and not session:
        session = session_name()
    agent = target.agent(llm, llm_base_url=llm_base_url, session=session)
    console = Console(highlight=False) if interactive else plain_console(sys.stdout)
    loop = ChatLoop(
        agent, console, live=interactive, as_json=as_json, show_steps=steps, echo=not interactive
    )
    if interactive:
        how = "reused the cached index" if index.reused else "built the index"
        loop.say(f"{how} of {len(index.index)} frames in {took:.1f} s", style="dim")
        loop.say(
            f"{target.path.name} ({format_time(target.info.duration)}): model {model}, "
            f"captioner {captioner}, chat model {agent.llm_spec}; session {session}"
        )
    earlier = agent.history()
    if earlier and interactive:
        loop.say(f"resumed {session}: {len(earlier)} earlier questions; last: "
                 f"{earlier[-1]['question']}")  # fmt: skip
    if interactive:
        from ..repl.terminal import line_reader

        loop.say("Ask a question about the video, or /help.")
        loop.run(line_reader())
    else:
        loop.run(_lines(sys.stdin))


def _lines(stream):
    lines = iter(stream)

    def read() -> str:
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    return read
