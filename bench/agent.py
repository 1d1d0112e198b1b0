"""Agent speed on CPU: seconds per question and where they go, LLM-free and with a scripted model.

    python bench/agent.py [--seconds 300] [--seed 7] [--model-latency 0.0] [--each]

A toy video is generated (into a temp folder, or --folder), opened with the toy CoCa as both
embedder and captioner, and indexed once (timed on its own line). The same questions, one or two
of each kind from the video's truth, are then asked in two modes, each in a thread of its own:

  LLM-free         ``video.agent()``: the planner decides and composes the answer.
  scripted model   ``bench:scripted``, a chat model with no weights that sleeps
                   --model-latency seconds per call; it decides one ``search`` for the question's
                   subject (a ``look`` at the named time for a frame question), then ``answer``,
                   and writes an answer citing the first window (or frame) of the evidence.

Each question's wall-clock seconds are split by the ``seconds`` of its steps: search,
captions (``look`` without a question), frame questions (``look`` with one), describe and model
calls (``decide`` and ``answer``); "other" is the rest (graph, checkpoints, planner, verify).
Models are loaded and warmed up before the clocks start, and the caption cache is emptied before
each mode, so both start cold; within a mode, later questions reuse earlier captions. Everything
runs in one process, one mode after the other.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

KINDS = "when,times,first,last,after,before,where,absent,count,colour"
PARTS = ("search", "captions", "frame questions", "describe", "model calls", "other")
LABELS = {"search": "retrieval + search"}
SCRIPTED = "bench:scripted"
_WINDOW = re.compile(r"\[\d+(?::\d{1,2}){1,2}(?:\.\d+)?-\d+(?::\d{1,2}){1,2}(?:\.\d+)?\]")
_FRAME = re.compile(r"frame at (\d+(?::\d{1,2}){1,2}(?:\.\d+)?)")


def scripted_model(latency: float):
    """A chat model for ``register_chat_model``: it reads the prompt, no weights."""
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage
    from langchain_core.outputs import ChatGeneration, ChatResult

    from videoscout.agent.questions import read
    from videoscout.prompts import load_prompt
    from videoscout.timefmt import format_time

    decide_prompt = load_prompt("agent/decide")
    decided: set[str] = set()  # questions already given their one step (each is asked once)

    def call(action: str, **args: Any) -> AIMessage:
        step = {"action": action, **args}
        tool_call = {"name": "next_step", "args": {"step": step}, "id": f"call-{action}"}
        return AIMessage(content="", tool_calls=[tool_call])

    class ScriptedModel(BaseChatModel):
        latency: float = 0.0

        @property
        def _llm_type(self) -> str:
            return "bench-scripted"

        def bind_tools(self, tools, *, tool_choice=None, **kwargs):
            return self

        def _generate(self, messages, stop=None, run_manager=None, **kwargs):
            time.sleep(self.latency)
            prompt = str(messages[1].content)
            question = re.search(r"^Question: (.*)$", prompt, re.M).group(1)
            evidence = prompt.partition("Evidence:")[2]
            if messages[0].content == decide_prompt:
                intent = read(question)
                if intent.kind == "at" and intent.ask:
                    step = ("look", {"question": intent.ask, "times": [format_time(intent.time)]})
                else:
                    query = (intent.subject or question.strip(" ?"))[:80]
                    step = ("search", {"query": query, "k": 5})
                reply = call("answer") if question in decided else call(step[0], **step[1])
                decided.add(question)
            else:
                window, frame = _WINDOW.search(evidence), _FRAME.search(evidence)
                if window:
                    reply = AIMessage(content=f"It is at {window.group()}.")
                elif frame:
                    reply = AIMessage(content=f"At {frame.group(1)}, as the frame shows.")
                else:
                    reply = AIMessage(content="I could not find it in the video.")
            return ChatResult(generations=[ChatGeneration(message=reply)])

    return ScriptedModel(latency=latency)


def pick_questions(qa: list[dict], kinds: list[str], per_kind: int) -> list[tuple[str, str]]:
    """(kind, question) pairs: the same ones for the same truth, in the order of ``kinds``."""
    from videoscout.toy.agent_eval import question_text, select

    return [(item["kind"], question_text(item)) for item in select(qa, per_kind, 0, kinds)]


def split(answer) -> dict[str, float]:
    """Seconds of one answer's steps, by where they went (``other`` is left to the caller)."""
    parts = dict.fromkeys(PARTS, 0.0)
    for step in answer.steps:
        seconds = float(step.data.get("seconds") or 0.0)
        if step.kind == "search":
            parts["search"] += seconds
        elif step.kind == "look":
            parts["frame questions" if step.data.get("question") else "captions"] += seconds
        elif step.kind == "describe":
            parts["describe"] += seconds
        elif step.kind in ("decide", "answer"):
            parts["model calls"] += seconds
    return parts


def run_mode(video, llm, questions: list[tuple[str, str]]) -> list[dict]:
    shutil.rmtree(video.cache.root / "captions", ignore_errors=True)  # start with no captions
    agent = video.agent(llm)
    records = []
    for kind, question in questions:
        agent.new_thread()
        start = time.perf_counter()
        answer = agent.ask(question)
        seconds = time.perf_counter() - start
        parts = split(answer)
        parts["other"] = seconds - sum(parts.values())
        records.append(
            {
                "kind": kind,
                "question": question,
                "seconds": seconds,
                "parts": parts,
                "frames": answer.frames_inspected,
                "tool_steps": answer.tool_steps,
                "model_calls": answer.model_calls,
                "steps": " ".join(s.kind for s in answer.steps),
                "text": answer.text.replace("\n", " "),
            }
        )
    return records


def warm_up(video) -> None:
    """Load the text encoder and the captioner, and caption one frame, outside the clocks."""
    from videoscout.describe import _source_for
    from videoscout.models.captioner import GREEDY
    from videoscout.models.registry import get_captioner

    video.search("warm up", 1)
    captioner = get_captioner(video.captioner)
    with _source_for(video, captioner) as source:
        images = source.get_frames([0]).images
    captioner.caption(images, GREEDY)
    captioner.answer_each(images, "what colour is it?", GREEDY)


def report(modes: list[tuple[str, list[dict]]]) -> None:
    width = 22
    print(f"\n  {'':<{width}}" + "".join(f"{name:>22}" for name, _ in modes))
    print(f"  {'':<{width}}" + "".join(f"{'s':>14}{'%':>8}" for _ in modes))
    rows = [(m, [r["seconds"] for r in records]) for m, records in modes]
    print(
        f"  {'median s/question':<{width}}"
        + "".join(f"{statistics.median(s):>14.3f}{'':>8}" for _, s in rows)
    )
    print(f"  {'total s':<{width}}" + "".join(f"{sum(s):>14.3f}{100.0:>8.1f}" for _, s in rows))
    for part in PARTS:
        cells = ""
        for _, records in modes:
            total = sum(r["seconds"] for r in records)
            seconds = sum(r["parts"][part] for r in records)
            cells += f"{seconds:>14.3f}{100 * seconds / total:>8.1f}"
        print(f"    {LABELS.get(part, part):<{width - 2}}" + cells)
    for key, label in (
        ("frames", "median frames"),
        ("tool_steps", "median tool steps"),
        ("model_calls", "median model calls"),
    ):
        cells = "".join(
            f"{statistics.median(r[key] for r in records):>14g}{'':>8}" for _, records in modes
        )
        print(f"  {label:<{width}}" + cells)


def report_each(name: str, records: list[dict]) -> None:
    print(f"\n{name}, question by question (seconds; S search, C captions, F frame questions, "
          "D describe, M model calls, O other)")  # fmt: skip
    for r in records:
        p = r["parts"]
        shares = " ".join(
            f"{tag}{p[part]:.2f}"
            for tag, part in zip("SCFDMO", PARTS, strict=True)
            if p[part] >= 0.005 or part == "other"
        )
        print(f"  {r['kind']:<7}{r['seconds']:>7.2f}  {shares:<38} {r['steps']}")
        print(f"  {'':<14}{r['question'][:60]!r} -> {r['text'][:60]!r}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="toy video length")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--folder", type=Path, help="where the video and its cache go (temp)")
    parser.add_argument("--kinds", default=KINDS, help="comma-separated question kinds")
    parser.add_argument("--per-kind", type=int, default=1)
    parser.add_argument("--model-latency", type=float, default=0.0, help="seconds per call")
    parser.add_argument("--each", action="store_true", help="also print every question")
    args = parser.parse_args(argv)

    import json

    import torch

    from videoscout import open_video
    from videoscout.models.chat_models import register_chat_model, unregister_chat_model
    from videoscout.toy.generate import generate

    with tempfile.TemporaryDirectory(prefix="vs-bench-") as scratch:
        folder = args.folder or Path(scratch)
        start = time.perf_counter()
        path, truth = generate(folder / f"toy-seed{args.seed}.mp4", args.seconds, args.seed)
        generated = time.perf_counter() - start
        questions = pick_questions(
            json.loads(truth.read_text())["qa"], args.kinds.split(","), args.per_kind
        )
        video = open_video(path, model="toy:coca", captioner="toy:coca", cache_dir=folder / "cache")
        start = time.perf_counter()
        index = video.index()
        indexed = time.perf_counter() - start
        warm_up(video)
        free = run_mode(video, None, questions)
        register_chat_model(SCRIPTED, lambda name: scripted_model(args.model_latency))
        try:
            scripted = run_mode(video, SCRIPTED, questions)
        finally:
            unregister_chat_model(SCRIPTED)

    how = "loaded from the cache" if index.reused else "built"
    print(
        f"\ntoy video {args.seconds:g} s, seed {args.seed}: generated in {generated:.1f} s; "
        f"index {how} in {indexed:.1f} s ({len(index.index)} frames, toy:coca); "
        f"torch threads {torch.get_num_threads()}"
    )
    kinds = ", ".join(dict.fromkeys(kind for kind, _ in questions))
    print(f"{len(questions)} questions ({kinds}), a new thread each, captions cold per mode")
    modes = [
        ("LLM-free", free),
        (f"scripted, {args.model_latency:g} s/call", scripted),
    ]
    report(modes)
    if args.each:
        for name, records in modes:
            report_each(name, records)


if __name__ == "__main__":
    main()
