"""The graph's nodes: each reads the state, does one job and returns the fields it changes."""

from __future__ import annotations

import time

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

from videoscout.prompts import load_prompt
from videoscout.timefmt import format_time

from . import actions, decide, planner
from . import evidence as ev
from .llm_calls import call_model
from .questions import Intent, read
from .state import AgentContext, AgentState


def start(state: AgentState) -> dict:
    """A new question: read its shape (against the last turn, for follow-ups) and reset the
    per-question fields."""
    turns = state.get("turns") or []
    intent = read(state["question"], turns[-1] if turns else None)
    # A question cancelled mid-way (Ctrl-C) left its evidence behind: it belongs to no answer.
    evidence = [e for e in state.get("evidence") or [] if e["turn"] <= len(turns)]
    return {
        "turn": len(turns) + 1,
        "intent": intent.to_dict(),
        "evidence": evidence,
        "pending": None,
        "feedback": None,
        "steps": [],
        "frames": [],
        "tool_steps": 0,
        "model_calls": 0,
        "started": time.time(),
        "notes": [],
        "draft": "",
        "found": False,
        "problems": [],
        "retries": 0,
    }


def retrieve(state: AgentState, runtime: Runtime[AgentContext]) -> dict:
    """Evidence first, by construction: search for what the question names (and the question
    itself), then caption the best windows, before any model speaks."""
    intent = Intent.from_dict(state["intent"])
    update = _fresh(state)
    for action in planner.retrieval(intent, state["question"]):
        _run(action, update, runtime)
    peaks = [planner.middle(e) for e in ev.of_turn(update["evidence"], update["turn"], "moment")]
    if peaks and intent.kind not in ("at", "describe") and not intent.anchor:
        _run({"action": "caption", "times": peaks[: planner.CAPTION_BATCH]}, update, runtime)
    return update


def choose(state: AgentState, runtime: Runtime[AgentContext]) -> dict:
    """The sufficiency check and the next step: is the evidence enough, or which one action
    comes next? The planner decides without a model; a model decides through ``next_step``."""
    context = runtime.context
    update = _fresh(state)
    planned = context.llm is None
    if planned:
        update["pending"] = planner.next_action(
            Intent.from_dict(state["intent"]), _turn_items(state)
        )
        if _refused_before(update["pending"], state):
            update["pending"] = None  # asking again gets the same refusal (past the video's end)
        if update["pending"] is None:  # done: a budget that ran out at the end cut nothing short
            return update
    exhausted = _exhausted(state, context)
    if exhausted:
        update["notes"].append(exhausted)
        _emit(update, "note", exhausted)
        update["pending"] = None
        return update
    if planned:
        return update
    messages = [
        SystemMessage(load_prompt("agent/decide")),
        HumanMessage(_briefing(state, runtime, with_budget=True)),
    ]
    began = time.perf_counter()
    reply = call_model(decide.bind(context.llm), messages, context)
    update["model_calls"] += 1
    _emit(update, "decide", "deciding the next step", seconds=time.perf_counter() - began)
    step, problem = decide.parse(reply)
    if step is not None and problem is None:
        problem = decide.grounded(step, state["question"], state["evidence"])
    if problem:
        update["tool_steps"] += 1  # a refused decision costs a step: a model cannot loop forever
        update["feedback"] = problem
        update["pending"] = {"action": "refused"}
        _emit(update, "refused", f"refused: {problem}")
        return update
    update["feedback"] = None
    update["pending"] = decide.to_action(step)
    return update


def act(state: AgentState, runtime: Runtime[AgentContext]) -> dict:
    update = _fresh(state)
    _run(state["pending"], update, runtime)
    update["pending"] = None
    return update


def answer(state: AgentState, runtime: Runtime[AgentContext]) -> dict:
    """Without a model, the answer is composed from the evidence; a model writes it from the
    evidence alone, with no tools bound (a model with tools bound never stops calling them)."""
    context = runtime.context
    update = _fresh(state)
    intent = Intent.from_dict(state["intent"])
    if context.llm is None:
        update["draft"], update["found"] = _composed(intent, state)
        return update
    _emit(update, "answer", "writing the answer")
    messages = [SystemMessage(load_prompt("agent/answer")), HumanMessage(_briefing(state, runtime))]
    if state.get("problems"):
        retry = load_prompt("agent/retry").format(problems="; ".join(state["problems"]))
        messages.append(HumanMessage(retry))
        update["retries"] = state.get("retries", 0) + 1
    began = time.perf_counter()
    reply = call_model(context.llm, messages, context)
    update["model_calls"] += 1
    update["steps"][-1]["data"]["seconds"] = round(time.perf_counter() - began, 3)
    update["draft"] = decide.text_of(reply).strip()
    update["found"] = bool(update["draft"]) and not _says_not_found(update["draft"])
    return update


def verify(state: AgentState, runtime: Runtime[AgentContext]) -> dict:
    """Every time the answer mentions must lie in a window or near a frame a tool returned."""
    update = _fresh(state)
    duration = runtime.context.video.info.duration
    _, problems = ev.check(_claims(state), state["evidence"], duration)
    if not state["draft"].strip():
        problems = problems + ["the answer was empty"]
    update["problems"] = problems
    for problem in problems:
        update["notes"].append(f"unsupported: {problem}")
        _emit(update, "verify", f"unsupported: {problem}")
    return update


def fallback(state: AgentState, runtime: Runtime[AgentContext]) -> dict:
    """The model's answer could not be verified: answer from the evidence alone."""
    update = _fresh(state)
    update["draft"], update["found"] = _composed(Intent.from_dict(state["intent"]), state)
    if runtime.context.llm is not None:
        update["notes"].append(
            "answer rebuilt from the evidence: the model cited unsupported times"
        )
    return update


def finish(state: AgentState, runtime: Runtime[AgentContext]) -> dict:
    context = runtime.context
    citations, _ = ev.check(_claims(state), state["evidence"], context.video.info.duration)
    intent = state["intent"]
    result = {
        "question": state["question"],
        "text": state["draft"],
        "citations": [c.to_dict() for c in citations],
        "found": bool(state.get("found")) and bool(state["draft"]),
        "steps": state["steps"],
        "frames_inspected": len(state["frames"]),
        "tool_steps": state["tool_steps"],
        "model_calls": state["model_calls"],
        "seconds": round(time.time() - state["started"], 3),
        "llm": context.llm_spec,
        "notes": state["notes"],
    }
    subject, windows = planner.focus(Intent.from_dict(intent), _turn_items(state))
    if context.llm is not None or not windows:
        windows = [[c.start, c.end] for c in citations if c.end > c.start] or windows
    turn = {"question": state["question"], "answer": state["draft"], "subject": subject,
            "windows": windows}  # fmt: skip
    writer = get_stream_writer()
    writer({"kind": "answer", "text": state["draft"], "data": {}})
    return {"answer": result, "turns": [*(state.get("turns") or []), turn]}


# Routers


def after_choose(state: AgentState) -> str:
    return "act" if state.get("pending") else "answer"


def after_verify(state: AgentState, runtime: Runtime[AgentContext]) -> str:
    if not state["problems"]:
        return "finish"
    if runtime.context.llm is not None and state.get("retries", 0) == 0:
        return "answer"
    return "fallback"


# Helpers


def _fresh(state: AgentState) -> dict:
    """Copies of the fields a node appends to (state lists are never mutated in place)."""
    return {
        "turn": state["turn"],
        "evidence": list(state["evidence"]),
        "steps": list(state["steps"]),
        "frames": list(state["frames"]),
        "notes": list(state["notes"]),
        "tool_steps": state["tool_steps"],
        "model_calls": state["model_calls"],
    }


def _run(action: dict, update: dict, runtime: Runtime[AgentContext]) -> None:
    if action.get("action") == "refused":
        return
    context = runtime.context
    frames_left = context.budgets.frames - len(update["frames"])
    if action["action"] in ("caption", "look") and len(action["times"]) > frames_left:
        action = {**action, "times": action["times"][: max(frames_left, 1)]}
    if action["action"] == "describe":
        action = {**action, "frames": min(int(action.get("frames", 6)), max(frames_left, 1))}
    began = time.perf_counter()
    outcome = actions.run(action, context.video, update["evidence"], update["turn"])
    outcome.step["data"]["seconds"] = round(time.perf_counter() - began, 3)
    update["tool_steps"] += 1
    update["frames"] += [t for t in outcome.frames if t not in update["frames"]]
    update["steps"].append(outcome.step)
    if outcome.refused:
        update["feedback"] = outcome.step["text"]
    get_stream_writer()(outcome.step)


def _emit(update: dict, kind: str, text: str, seconds: float | None = None) -> None:
    step = {"kind": kind, "text": text, "data": {}}
    if seconds is not None:
        step["data"]["seconds"] = round(seconds, 3)
    update["steps"].append(step)
    get_stream_writer()(step)


def _exhausted(state: AgentState, context: AgentContext) -> str | None:
    budgets = context.budgets
    if state["tool_steps"] >= budgets.tool_steps:
        return f"budget: used all {budgets.tool_steps} tool steps; answering with what I have"
    if len(state["frames"]) >= budgets.frames:
        return f"budget: looked at {budgets.frames} frames; answering with what I have"
    if time.time() - state["started"] > budgets.seconds:
        return f"budget: {budgets.seconds:.0f} s spent; answering with what I have"
    return None


def _composed(intent: Intent, state: AgentState) -> tuple[str, bool]:
    """The evidence-only answer; when nothing was found and a tool refused, the reason too."""
    text, found = planner.compose(intent, _turn_items(state))
    refused = _refusals(state)
    if not found and refused:
        text = f"{text} ({refused[-1]['text']})"
    return text, found


def _refused_before(action: dict | None, state: AgentState) -> bool:
    def key(a: dict) -> dict:
        return {k: v for k, v in a.items() if k != "frames"}  # the budget may have cut frames

    refused = [s["data"].get("action") for s in _refusals(state)]
    return action is not None and any(r and key(r) == key(action) for r in refused)


def _claims(state: AgentState) -> str:
    """The answer without the refusals it quotes: "9:00 is outside the video (it runs
    0:00-5:00)" names times a tool gave as its reason, not moments the answer rests on."""
    text = state["draft"]
    for step in _refusals(state):
        text = text.replace(step["text"], "")
    return text


def _refusals(state: AgentState) -> list[dict]:
    """This turn's refused steps: a tool's or a decision's, with the reason as their text."""
    return [s for s in state["steps"] if s["kind"] == "refused"]


def _turn_items(state: AgentState) -> list[dict]:
    return ev.of_turn(state["evidence"], state["turn"])


def _briefing(state: AgentState, runtime: Runtime[AgentContext], with_budget: bool = False) -> str:
    context = runtime.context
    info = context.video.info
    parts = [f"Video: {info.path.name}, 0:00-{format_time(info.duration)}."]
    turns = state.get("turns") or []
    if turns:
        history = "\n".join(f"Q: {t['question']}\nA: {t['answer']}" for t in turns[-3:])
        parts.append(f"Conversation so far:\n{history}")
    parts.append(f"Question: {state['question']}")
    parts.append(f"Evidence:\n{ev.render(state['evidence'])}")
    if with_budget:
        budgets = context.budgets
        parts.append(
            f"Left: {budgets.tool_steps - state['tool_steps']} steps, "
            f"{budgets.frames - len(state['frames'])} frames."
        )
    if state.get("feedback"):
        parts.append(f"Your last step was refused: {state['feedback']}")
    return "\n\n".join(parts)


def _says_not_found(text: str) -> bool:
    lowered = text.lower()
    return any(
        phrase in lowered
        for phrase in ("could not find", "couldn't find", "not found", "does not appear",
                       "doesn't appear", "no evidence", "cannot find", "can't find")
    )  # fmt: skip
