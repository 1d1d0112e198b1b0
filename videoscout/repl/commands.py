"""Slash commands of the chat: each takes the loop and the text after its name."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import render
from ..errors import UsageError
from ..timefmt import format_time, parse_range, parse_times

if TYPE_CHECKING:
    from .loop import ChatLoop


@dataclass(frozen=True)
class Command:
    usage: str
    help: str
    run: Callable[[ChatLoop, str], None]


def run(loop: ChatLoop, line: str) -> None:
    name, _, arg = line.partition(" ")
    name = name.lower()
    # A unique prefix is enough: /he is /help.
    matches = [full for full in COMMANDS if full.startswith(name)]
    command = COMMANDS.get(name) or (COMMANDS[matches[0]] if len(matches) == 1 else None)
    if command is None:
        raise UsageError(f"unknown command {name}; commands: {', '.join(COMMANDS)}")
    command.run(loop, arg.strip())


def _help(loop: ChatLoop, arg: str) -> None:
    width = max(len(c.usage) for c in COMMANDS.values())
    loop.say("Ask a question in plain language, or:")
    for command in COMMANDS.values():
        loop.say(f"  {command.usage:<{width}}  {command.help}")
    loop.say("Ctrl-C cancels an answer; Ctrl-D or /quit leaves; Esc then Enter adds a line.")


def _search(loop: ChatLoop, arg: str) -> None:
    query = _needs(arg, "/search QUERY, e.g. /search a red car")
    video = loop.agent.video
    loop.say(render.moments_text(query, video.search(query, 5)))


def _look(loop: ChatLoop, arg: str) -> None:
    times, _, question = arg.partition(" ")
    _needs(question.strip(), "/look TIME[,TIME] QUESTION, e.g. /look 1:23,1:40 what colour is it?")
    answer = loop.agent.video.look(question.strip(), at=parse_times(times))
    loop.say(render.frame_answer_text(answer, votes=True))


def _describe(loop: ChatLoop, arg: str) -> None:
    start, end = parse_range(_needs(arg, "/describe A-B, e.g. /describe 1:00-1:30"))
    described = loop.agent.video.caption(start, end, frames=6)
    loop.say(render.description_heading(described))
    loop.say(render.description_text(described))


def _sheet(loop: ChatLoop, arg: str) -> None:
    from ..sheets import citation_sheet

    if loop.last is None or not loop.last.citations:
        raise UsageError("no cited moments yet: ask a question first, then /sheet")
    folder = Path(arg) if arg else Path.cwd()
    name = f"{loop.agent.video.path.stem}-answer-{len(loop.transcript)}"
    path = citation_sheet(loop.agent.video, loop.last.citations, folder, name)
    loop.say(f"contact sheet: {path}")


def _clip(loop: ChatLoop, arg: str) -> None:
    from ..video.clip import export_clip

    span, _, out = arg.partition(" ")
    start, end = parse_range(_needs(span, "/clip A-B [OUT.mp4], e.g. /clip 1:00-1:30"))
    video = loop.agent.video
    start = 0.0 if start is None else start
    end = video.info.duration if end is None else end
    path = export_clip(video.path, start, end, out.strip() or None, info=video.info)
    loop.say(f"clip {render.span(start, end)}: {path}")


def _llm(loop: ChatLoop, arg: str) -> None:
    spec = _needs(arg, "/llm SPEC, e.g. /llm none or /llm ollama:qwen2.5:1.5b")
    loop.agent.set_llm(spec, llm_base_url=loop.agent.context.llm_base_url)
    loop.say(f"chat model: {loop.agent.llm_spec}")


def _new(loop: ChatLoop, arg: str) -> None:
    name = arg or session_name()
    loop.agent.new_session(name)
    loop.transcript.clear()
    loop.last = None
    loop.say(f"new conversation: {name}")


def _sessions(loop: ChatLoop, arg: str) -> None:
    names = loop.agent.sessions()
    if not names:
        loop.say("no saved sessions for this video yet")
    for name in names:
        mark = "*" if name == loop.agent.session else " "
        loop.say(f" {mark} {name}")


def _resume(loop: ChatLoop, arg: str) -> None:
    loop.agent.resume(_needs(arg, "/resume NAME (see /sessions)"))
    turns = loop.agent.history()
    loop.transcript = [{"question": t["question"], "answer": None, "turn": t} for t in turns]
    loop.last = None
    loop.say(f"resumed {arg}: {len(turns)} earlier question{'s' * (len(turns) != 1)}")
    if turns:
        loop.say(f"last: {turns[-1]['question']} -> {turns[-1]['answer']}")


def _save(loop: ChatLoop, arg: str) -> None:
    path = Path(_needs(arg, "/save FILE.md"))
    if path.suffix.lower() not in (".md", ".markdown", ".txt"):
        raise UsageError(f"save the transcript as Markdown: name it *.md, not {path.name}")
    text = transcript_markdown(loop)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    count = len(loop.transcript)
    loop.say(f"saved {count} question{'s' * (count != 1)} to {path}")


def _quit(loop: ChatLoop, arg: str) -> None:
    loop.running = False


def transcript_markdown(loop: ChatLoop) -> str:
    video = loop.agent.video
    lines = [f"# videoscout chat: {video.path.name}", ""]
    lines += [f"Video: `{video.path}` ({format_time(video.info.duration)})", ""]
    for entry in loop.transcript:
        answer = entry["answer"]
        lines += [f"**Q:** {entry['question']}", ""]
        if answer is None:  # an earlier turn of a resumed session
            turn = entry["turn"]
            lines += [f"**A:** {turn['answer']}", ""]
            lines += [f"- {render.span(a, b)}" for a, b in turn.get("windows", [])]
        else:
            lines += [f"**A:** {answer.text}", ""]
            lines += [f"- {render.citation_line(c).strip()}" for c in answer.citations]
        lines.append("")
    return render.terminal_safe("\n".join(lines))  # read with `cat` as often as in an editor


def session_name() -> str:
    return time.strftime("chat-%Y%m%d-%H%M%S")


def _needs(arg: str, usage: str) -> str:
    if not arg:
        raise UsageError(f"usage: {usage}")
    return arg


COMMANDS: dict[str, Command] = {
    "/help": Command("/help", "this list", _help),
    "/search": Command("/search QUERY", "moments that match QUERY (no chat model)", _search),
    "/look": Command("/look T[,T] QUESTION", "ask about the frames at these times", _look),
    "/describe": Command("/describe A-B", "captions of frames spread over A-B", _describe),
    "/sheet": Command("/sheet [DIR]", "contact sheet PNG of the last answer's frames", _sheet),
    "/clip": Command("/clip A-B [OUT.mp4]", "export A-B as a video file", _clip),
    "/llm": Command("/llm SPEC", "switch chat model (none, ollama:NAME, openai:NAME, ...)", _llm),
    "/new": Command("/new [NAME]", "start a new conversation", _new),
    "/sessions": Command("/sessions", "saved conversations about this video", _sessions),
    "/resume": Command("/resume NAME", "continue a saved conversation", _resume),
    "/save": Command("/save FILE.md", "write the transcript with its citations", _save),
    "/quit": Command("/quit", "leave (Ctrl-D too)", _quit),
}
