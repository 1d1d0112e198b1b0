"""Moments, captions, frame answers and video facts as text: the one place that words them.

The CLI prints these, the LangChain tools hand them to a model, and the ``__str__`` of each
result is one of them. Two forms exist only where a reader needs both: a terminal's aligned
table row (``moment_row``, ``info_table``) and a model's one-line form (``moment_line``,
``info_line``). This module imports no model code, so ``import videoscout`` stays light.

The texts keep what they quote exactly: a model and JSON want the real string.
A query, file name, caption or answer may hold control characters, such as a clear-screen
sequence; whatever prints to a terminal (the CLI's ``echo``, the chat's ``say``) passes the text
through ``terminal_safe`` first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .timefmt import format_time

if TYPE_CHECKING:
    from .agent.answer import AgentAnswer, Citation, Step
    from .describe import Description, FrameAnswer
    from .retrieval import Moment
    from .retrieval.captions import CaptionHit
    from .video import VideoInfo


# C0 controls but newline and tab, DEL, and C1 controls (U+0080-U+009F: a terminal may read
# U+009B as the escape sequence introducer, like ESC [).
_CONTROLS = {
    code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0)) if chr(code) not in "\n\t"
}


def terminal_safe(text: str) -> str:
    """``text`` with each control character shown as an escape (``\\x1b``, ``\\x9b``) instead of
    reaching the terminal; newlines and tabs stay."""
    return text.translate(_CONTROLS)


def span(start: float, end: float) -> str:
    """``0:03.00-0:09.00``."""
    return f"{format_time(start)}-{format_time(end)}"


# --- moments ------------------------------------------------------------------------------


def moment_line(m: Moment) -> str:
    """``1. 0:03.00-0:06.00 (score 0.312, best frame at 0:04.00)``: one moment for a reader;
    one found in speech or on-screen text says so and quotes it."""
    return f"{m.rank}. {span(m.start, m.end)} (score {m.score:.3f}{_found(m, ', ', 'at ')})"


def _found(m: Moment, sep: str, at: str = "") -> str:
    """Where a moment was found: its best frame, and what was said or written there."""
    parts = [f"best frame {at}{format_time(m.peak)}"] if "frames" in m.found_in else []
    if m.found_in != ("frames",):
        quotes = " | ".join(f'"{q}"' for q in m.quotes)
        parts.append(f"in {'+'.join(m.found_in)}" + (f": {quotes}" if quotes else ""))
    return "".join(f"{sep}{p}" for p in parts)


def moments_text(query: str, moments: Sequence[Moment]) -> str:
    """The moments found for ``query``, one ``moment_line`` each, or that there are none."""
    if not moments:
        return f'no moments found for "{query}"'
    return "\n".join([f'moments matching "{query}":', *(moment_line(m) for m in moments)])


def moment_row(m: Moment) -> str:
    """``  1   12:04.00 - 12:09.00   score 0.312  best frame 12:06.00``: a terminal table row."""
    head = f"{m.rank:>3}  {format_time(m.start):>8} - {format_time(m.end):<8}  score {m.score:.3f}"
    return head + _found(m, "  ")


def moments_table(title: str, query: str, model: str, moments: Sequence[Moment]) -> str:
    """``videoscout search``'s output: a heading naming the video and what searched it, then
    one row per moment (or that there is none)."""
    rows = [moment_row(m) for m in moments] or ["  no moments found"]
    return "\n".join([f'{title}: "{query}" ({model})', *rows])


def speech_hits_text(query: str, hits: Sequence) -> str:
    """Passages of speech that match ``query``, each with its times, best first."""
    if not hits:
        return f'nothing said matches "{query}"'
    lines = [f'{i}. {span(h.start, h.end)} "{h.text}"' for i, h in enumerate(hits, 1)]
    return "\n".join([f'said, matching "{query}":', *lines])


def transcript_text(start: float, end: float, segments: Sequence) -> str:
    """What is said between ``start`` and ``end``: one passage a line, with its times."""
    if not segments:
        return f"nothing is said in {span(start, end)}"
    lines = [f'{span(s.start, s.end)} "{s.text}"' for s in segments]
    return "\n".join([f"said in {span(start, end)}:", *lines])


def screen_text(start: float, end: float, spans: Sequence) -> str:
    """The text on screen between ``start`` and ``end``: one text a line, with its times."""
    if not spans:
        return f"no text on screen in {span(start, end)}"
    lines = [f'{span(s.start, s.end)} "{s.text}"' for s in spans]
    return "\n".join([f"on screen in {span(start, end)}:", *lines])


def caption_hits_text(hits: Sequence[CaptionHit]) -> str:
    """Cached captions that matched a search as text (``videoscout search --captions``)."""
    if not hits:
        return "in cached captions: no match"
    rows = [f"     {format_time(h.time):>8}  {h.text}  ({h.captioner})" for h in hits]
    return "\n".join(["in cached captions:", *rows])


# --- captions and answers -----------------------------------------------------------------


def description_heading(d: Description) -> str:
    """``0:03.00-0:09.00 (coca:...)``: the range described and by which captioner."""
    return f"{span(d.start, d.end)} ({d.captioner})"


def description_text(d: Description) -> str:
    """One ``time  caption`` line per frame, then the summary when there is one."""
    lines = [f"{format_time(c.time):>8}  {c.text}" for c in d.captions]
    if d.summary:
        lines.append(f"summary: {d.summary}")
    return "\n".join(lines)


def frame_answer_text(a: FrameAnswer, *, votes: bool = False) -> str:
    """``green  (looked at 0:01.00, 0:04.00)``; with ``votes``, each frame's own answer below
    when the frames disagreed."""
    looked = ", ".join(format_time(t) for t in a.times)
    lines = [f"{a.answer or '(no answer)'}  (looked at {looked})"]
    if votes and a.per_frame and len(set(a.per_frame)) > 1:
        lines += [
            f"  {format_time(t):>8}  {each}" for t, each in zip(a.times, a.per_frame, strict=True)
        ]
    return "\n".join(lines)


# --- video facts --------------------------------------------------------------------------


def info_line(info: VideoInfo) -> str:
    """The facts in one line: ``rgb.mp4: 0:11.90 long (11.90 s), 10.00 fps, 120 frames, ...``."""
    return (
        f"{info.path.name}: {format_time(info.duration)} long ({info.duration:.2f} s), "
        f"{float(info.fps):.2f} fps, {info.frame_count} frames, "
        f"{info.width}x{info.height}, {'with' if info.has_audio else 'no'} audio"
    )


def info_rows(info: VideoInfo) -> list[tuple[str, str]]:
    """The facts as (name, value) pairs, in the order ``videoscout info`` shows them."""
    return [
        ("file", str(info.path)),
        ("duration", f"{format_time(info.duration)} ({info.duration:.3f} s)"),
        ("frame rate", f"{float(info.fps):.3f} fps ({info.fps})"),
        ("frames", str(info.frame_count)),
        ("size", _size(info)),
        ("video codec", info.codec),
        ("audio", "yes" if info.has_audio else "no"),
    ]


def _size(info: VideoInfo) -> str:
    if not info.rotation:
        return f"{info.width}x{info.height}"
    return f"{info.width}x{info.height} (as shown; stored turned {info.rotation} degrees)"


def info_table(info: VideoInfo) -> str:
    """``videoscout info``'s output: ``info_rows`` with the names right-aligned."""
    return "\n".join(f"{name:>12}: {value}" for name, value in info_rows(info))


# --- the agent ----------------------------------------------------------------------------


def step_line(step: Step) -> str:
    """One agent step as it happens: ``searching "a red car": 3 moments (...)``."""
    return f"  {step.text}"


def citation_line(c: Citation) -> str:
    where = format_time(c.start) if c.start == c.end else span(c.start, c.end)
    frame = f", frame {format_time(c.time)}" if c.time is not None and c.start != c.end else ""
    said = f": {c.text}" if c.text else ""
    return f"  {where:<19} {c.source}{frame}{said}"


def agent_answer_text(a: AgentAnswer, *, steps: bool = False) -> str:
    """The answer, the moments it cites, and (``steps``) how it got there."""
    lines = []
    if steps:
        lines += ["steps:", *(step_line(s) for s in a.steps), ""]
    lines.append(a.text)
    if a.citations:
        lines += ["", "cited:", *(citation_line(c) for c in a.citations)]
    lines += [f"({note})" for note in a.notes if not note.startswith("unsupported")]
    return "\n".join(lines)
