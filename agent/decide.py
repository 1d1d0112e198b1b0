"""One schema-constrained decision per step: the model picks the next action from a closed set.

The schema has one branch per action (``search``, ``look``, ``describe``, ``around``,
``listen``, ``hear``, ``read``, ``answer``), with time patterns and length caps and no
free-text answer field, so a small model cannot slip an invented answer into a search. It is
bound as the one forced function ``next_step`` (a llama.cpp grammar, an Ollama JSON schema,
OpenAI's forced tool choice). A call a model writes as text in its own format is still read.
An argument grounded in nothing (a time the user did not say and no tool returned) is refused
back to the model.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Literal

from langchain_core.messages import AIMessage
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from videoscout.timefmt import format_time

from . import evidence as ev
from .questions import times_in

TIME_PATTERN = r"^\d{1,2}(:\d{1,2}){0,2}(\.\d{1,3})?$"
_Time = Annotated[str, Field(pattern=TIME_PATTERN, max_length=12, description="83.5 or 1:23.5")]


class Search(BaseModel):
    """Search the video again for what is visible, in other words."""

    action: Literal["search"]
    query: str = Field(min_length=2, max_length=80, description="What is visible, briefly.")
    k: int = Field(default=5, ge=1, le=10)


class Look(BaseModel):
    """Ask a question about the frames at given times (times from the evidence)."""

    action: Literal["look"]
    question: str = Field(min_length=3, max_length=120)
    times: list[_Time] = Field(min_length=1, max_length=4)


class Describe(BaseModel):
    """Caption frames spread over a range (times from the evidence)."""

    action: Literal["describe"]
    start: _Time
    end: _Time


class Around(BaseModel):
    """Caption the seconds just before or after an evidence item, e.g. E3."""

    action: Literal["around"]
    evidence: int = Field(ge=1, description="The number of an evidence line, 3 for E3.")
    direction: Literal["before", "after"]


class Listen(BaseModel):
    """Search what is said in the video (its speech) for words."""

    action: Literal["listen"]
    query: str = Field(min_length=2, max_length=80, description="Words that may be said.")
    k: int = Field(default=5, ge=1, le=10)


class Hear(BaseModel):
    """Read what is said between two times (times from the evidence)."""

    action: Literal["hear"]
    start: _Time
    end: _Time


class Read(BaseModel):
    """Read the text written on screen between two times (times from the evidence)."""

    action: Literal["read"]
    start: _Time
    end: _Time


class Answer(BaseModel):
    """The evidence is enough (or nothing more can be found): write the answer next."""

    action: Literal["answer"]


Step = Annotated[
    Search | Look | Describe | Around | Listen | Hear | Read | Answer,
    Field(discriminator="action"),
]
_STEP = TypeAdapter(Step)


class NextStep(BaseModel):
    step: Step


TOOL_NAME = "next_step"
ACTIONS = ("search", "look", "describe", "around", "listen", "hear", "read", "answer")
_RANGES = ("describe", "hear", "read")  # actions over a start-end range


def tool_spec() -> dict:
    """``next_step`` as an OpenAI-style function: the one function every decision calls."""
    return {
        "type": "function",
        "function": {
            "name": TOOL_NAME,
            "description": f"Choose the next step: one of {', '.join(ACTIONS)}.",
            "parameters": NextStep.model_json_schema(),
        },
    }


def bind(model):
    """``model`` constrained to call ``next_step``: forced where the provider can force one
    function; otherwise bound, and its text read as a call."""
    if type(model).__name__ == "ChatOllama":
        return model.bind(format=NextStep.model_json_schema())
    try:
        return model.bind_tools([tool_spec()], tool_choice=TOOL_NAME)
    except (NotImplementedError, TypeError, ValueError):
        try:
            return model.bind_tools([tool_spec()])
        except NotImplementedError:
            return model


def parse(message: AIMessage) -> tuple[dict | None, str | None]:
    """The action a reply chose, or why it could not be read (for the model to fix)."""
    calls = list(message.tool_calls or [])
    if not calls and message.invalid_tool_calls:
        bad = message.invalid_tool_calls[0]
        return None, f"your call {bad.get('name')!r} had malformed arguments: {bad.get('error')}"
    if calls:
        name, args = calls[0]["name"], calls[0]["args"]
    else:
        found = _call_in_text(text_of(message))
        if found is None:
            return None, (
                f"reply with one {TOOL_NAME} call, not text; actions: {', '.join(ACTIONS)}"
            )
        name, args = found
    if name in ACTIONS and "action" not in args:
        args = {"action": name, **args}
    elif name != TOOL_NAME and name not in ACTIONS:
        return None, f"unknown tool {name!r}: call {TOOL_NAME} with one of {', '.join(ACTIONS)}"
    if isinstance(args.get("step"), dict):
        args = args["step"]
    try:
        step = _STEP.validate_python(args)
    except ValidationError as exc:
        return None, _explain(exc)
    return step.model_dump(), None


def grounded(action: dict, question: str, evidence: list[dict]) -> str | None:
    """Why an action's times are not grounded, or None: every time must be one the user said
    or one inside what tools returned."""
    if action["action"] not in ("look", *_RANGES):
        return None
    said = times_in(question)
    times = action["times"] if action["action"] == "look" else [action["start"], action["end"]]
    for raw in times:
        parsed = times_in(raw)
        if not parsed:
            return f"{raw!r} is not a time; write 83.5 or 1:23.5"
        t = parsed[0]
        if any(abs(t - s) <= ev.FRAME_SLACK for s in said) or ev.supporting(evidence, t):
            continue
        valid = "; ".join(_valid_times(evidence)) or "none yet: search first"
        return (
            f"time {raw} was not said by the user and no tool returned it; use times from the "
            f"evidence ({valid})"
        )
    return None


def to_action(step: dict) -> dict | None:
    """The runnable action for a validated step (None for ``answer``)."""
    kind = step["action"]
    if kind == "answer":
        return None
    if kind == "look":
        return {**step, "times": [times_in(t)[0] for t in step["times"]]}
    if kind in _RANGES:
        return {**step, "start": times_in(step["start"])[0], "end": times_in(step["end"])[0]}
    return step


def _valid_times(evidence: list[dict]) -> list[str]:
    out = []
    for e in evidence[-8:]:
        if e["kind"] in ev.WINDOWS:
            out.append(f"E{e['id']} {ev.window(e['start'], e['end'])}")
        elif e.get("time") is not None:
            out.append(f"E{e['id']} {format_time(e['time'])}")
    return out


def _explain(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error["loc"] if not isinstance(p, int)) or "step"
        problems.append(f"{where}: {error['msg']}")
    return (
        "invalid next_step: " + "; ".join(problems) + ". Valid: search{query,k}, "
        "look{question,times}, describe{start,end}, around{evidence,direction}, "
        "listen{query,k}, hear{start,end}, read{start,end}, answer{}"
    )


def text_of(message: AIMessage) -> str:
    """A reply's text, whether its content is a string or a list of parts."""
    content = message.content
    if isinstance(content, list):
        content = " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return content or ""


_JSON = re.compile(r"\{.*\}", re.S)


def _call_in_text(text: str) -> tuple[str, dict] | None:
    """A call written as text: ``{"name": ..., "arguments": {...}}``, ``<tool_call>...``,
    a bare ``{"action": ...}`` or ``{"step": {...}}``, possibly in a code fence."""
    match = _JSON.search(text)
    if not match:
        return None
    try:
        data = json.loads(match.group())
    except json.JSONDecodeError:
        try:
            data = json.loads(match.group().replace("{{", "{").replace("}}", "}"))
        except json.JSONDecodeError:
            return None
    if not isinstance(data, dict):
        return None
    if "name" in data and isinstance(data.get("arguments", data.get("parameters")), dict):
        args = data.get("arguments", data.get("parameters"))
        return str(data["name"]), args
    if "action" in data or "step" in data:
        return TOOL_NAME, data
    return None
