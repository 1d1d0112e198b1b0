"""``videoscout ask``: the agent answers a question about a video, citing the moments."""

from __future__ import annotations

import json

import click

from ..api import Video
from ..render import agent_answer_text, step_line
from .caption_commands import cache_dir_option, captioner_option
from .command import Command
from .output import echo
from .progress import index_progress
from .video_commands import model_option


def llm_options(f):
    for option in reversed(
        (
            click.option(
                "--llm",
                envvar="VIDEOSCOUT_LLM",
                default="none",
                show_default=True,
                metavar="SPEC",
                help="Chat model: none (LLM-free planner), ollama:NAME, openai:NAME, "
                "anthropic:NAME, llamacpp:/path.gguf (`videoscout models`); env VIDEOSCOUT_LLM.",
            ),
            click.option(
                "--llm-base-url",
                envvar="OPENAI_BASE_URL",
                default=None,
                metavar="URL",
                help="Server of an openai: or ollama: model, e.g. http://127.0.0.1:8080/v1 "
                "(llama.cpp server, vLLM, LM Studio); env OPENAI_BASE_URL.",
            ),
        )
    ):
        f = option(f)
    return f


@click.command(cls=Command)
@click.argument("video")
@click.argument("question")
@llm_options
@click.option("--steps", is_flag=True, help="Show each step as it happens (on stderr).")
@click.option("--session", metavar="NAME", help="Remember the conversation under NAME.")
@model_option
@captioner_option
@cache_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def ask(video, question, llm, llm_base_url, steps, session, model, captioner, cache_dir, as_json):
    """Answer QUESTION about VIDEO, citing the moments the answer rests on.

    \b
    Without a chat model (--llm none) a planner reads common question shapes: when does X
    appear, how many times, what appears after/before X, where, what is on screen at T,
    describe A-B. Every time shown was returned by a tool.
    """
    target = Video(video, model=model, captioner=captioner, cache_dir=cache_dir)
    with index_progress(f"indexing {target.path.name}", not as_json) as progress:
        target.index(progress=progress)
    agent = target.agent(llm, llm_base_url=llm_base_url, session=session)
    result = None
    for item in agent.stream(question):
        if hasattr(item, "citations"):
            result = item
        elif steps and not as_json and item.kind != "answer":
            echo(step_line(item), err=True)
    if as_json:
        click.echo(json.dumps({"video": str(target.path), **result.to_dict()}, indent=2))
        return
    echo(agent_answer_text(result))
