"""What the agent returns: an answer, the moments it cites, and how it got there."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Citation:
    """A stretch of video an answer rests on, as a tool returned it.

    ``time`` is the frame that was looked at (or the best frame of a search window);
    ``source`` names the tool result it came from, e.g. ``search "red car"`` or ``look``.
    """

    start: float
    end: float
    time: float | None
    source: str
    text: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Step:
    """One thing the agent did, as it streams: ``kind`` is search, look, describe, around,
    decide, refused, answer, verify or note; ``text`` is one human-readable line."""

    kind: str
    text: str
    data: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class AgentAnswer:
    """The agent's answer to one question.

    ``found`` is False for an honest "I could not find it"; ``notes`` say when a budget ran
    out or an answer had to be rebuilt from the evidence.
    """

    question: str
    text: str
    citations: list[Citation]
    found: bool
    steps: list[Step]
    frames_inspected: int
    tool_steps: int
    model_calls: int
    seconds: float
    llm: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        from videoscout.render import agent_answer_text

        return agent_answer_text(self)
