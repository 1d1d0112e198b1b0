"""The agent's state (plain data, checkpointed per conversation) and its run context (the video
and the models, never checkpointed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict


@dataclass(frozen=True)
class Budgets:
    """Per-question limits. When one runs out the agent answers with what it has, and says so."""

    tool_steps: int = 6
    frames: int = 16
    seconds: float = 300.0


@dataclass
class AgentContext:
    video: Any  # videoscout.Video
    llm: Any = None  # a LangChain chat model, or None for the LLM-free planner
    llm_spec: str = "none"
    llm_base_url: str | None = None
    budgets: Budgets = Budgets()


class AgentState(TypedDict, total=False):
    # The conversation: finished turns (question, answer, subject, windows) and all evidence,
    # each item tagged with the turn that found it.
    turns: list[dict]
    evidence: list[dict]
    # The question in progress.
    question: str
    turn: int
    intent: dict
    pending: dict | None  # the next action chosen
    feedback: str | None  # why the model's last decision or answer was refused
    steps: list[dict]
    frames: list[float]  # frame times inspected in this turn
    tool_steps: int
    model_calls: int
    started: float
    notes: list[str]
    draft: str
    found: bool
    problems: list[str]
    retries: int
    answer: dict  # the finished AgentAnswer, as a dict
