"""The agent measured on the toy world: ``python -m videoscout.toy.evaluate --agent``.

Asks the agent the truth's questions about a toy video it never saw in training (a fresh thread
per question, so questions cannot see each other), marks each answer with ``scoring.score`` and
prints, per kind of question, how often the answer is right and how often its citations are the
true moments, then the citations the agent had to drop as unsupported by its evidence, and the
median cost of a question (frames inspected, tool steps, model calls, seconds).
"""

from __future__ import annotations

import json
import random
import statistics
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from ..timefmt import format_time
from .generate import DEFAULT_FPS, DEFAULT_SIDE, generate, truth_path
from .scoring import FRAME_KINDS, score
from .truth import ground_truth
from .world import make_timeline

AGENT_SECONDS = 600.0
DEFAULT_PER_KIND = 12
MULTI_STEP_KINDS = ("when", "times", "first", "last", "after", "before", "where", "absent")
KINDS = MULTI_STEP_KINDS + FRAME_KINDS
# The bars of issue 11, LLM-free, on a seed training never saw.
BAR_OVERALL = 0.85
BAR_MULTI_STEP = 0.8
BAR_MEDIAN_FRAMES = 8


def toy_video(seed: int, seconds: float, folder: str | Path | None = None) -> tuple[Path, dict]:
    """The toy video for ``seed`` (generated once into the cache folder) and its truth."""
    if folder is None:
        from ..retrieval.cache import default_cache_dir

        folder = default_cache_dir() / "toy"
    path = Path(folder) / f"toy-seed{seed}-{seconds:g}s.mp4"
    truth = ground_truth(make_timeline(seed, seconds), seed, DEFAULT_FPS, DEFAULT_SIDE)
    truth = json.loads(json.dumps(truth))  # as it reads back from the file
    saved = truth_path(path)
    if not (path.exists() and saved.exists() and json.loads(saved.read_text()) == truth):
        generate(path, seconds, seed)
    return path, truth


def select(
    qa: list[dict], per_kind: int = DEFAULT_PER_KIND, seed: int = 0, kinds: Iterable[str] = KINDS
) -> list[dict]:
    """Up to ``per_kind`` questions of each kind, the same ones for the same truth and seed."""
    chosen = []
    for kind in kinds:
        items = [q for q in qa if q["kind"] == kind]
        if len(items) > per_kind:
            rng = random.Random(f"{seed}:{kind}")
            items = [items[i] for i in sorted(rng.sample(range(len(items)), per_kind))]
        chosen += items
    return chosen


def question_text(item: dict) -> str:
    """What the agent is asked: a frame question names its time ("... at 1:02.35?")."""
    question = item["question"]
    if item["kind"] in FRAME_KINDS:
        return f"{question.rstrip('?')} at {format_time(item['time'])}?"
    return question


def ask_all(agent, items: list[dict], progress: Callable[[dict], None] | None = None) -> list[dict]:
    """Ask ``agent`` every question in a thread of its own; one scored record per question."""
    records = []
    for item in items:
        agent.new_thread()
        question = question_text(item)
        answer = agent.ask(question)
        record = {
            "kind": item["kind"],
            "question": question,
            "truth": item,
            "answer": answer.to_dict(),
            **score(item, answer),
        }
        records.append(record)
        if progress:
            progress(record)
    return records


def summarize(records: list[dict]) -> dict:
    """Per-kind and overall accuracy, timestamp accuracy, unsupported citations, median costs."""

    def rates(group: list[dict]) -> dict:
        timed = [r["time_ok"] for r in group if r["time_ok"] is not None]
        return {
            "n": len(group),
            "accuracy": _mean([r["correct"] for r in group]),
            "time_accuracy": _mean(timed),
            "timed": len(timed),
        }

    present = [k for k in KINDS if any(r["kind"] == k for r in records)]
    present += sorted({r["kind"] for r in records} - set(present))
    multi = [r for r in records if r["kind"] in MULTI_STEP_KINDS]
    return {
        "by_kind": {k: rates([r for r in records if r["kind"] == k]) for k in present},
        "overall": rates(records),
        "multi_step": rates(multi),
        "unsupported": sum(r["unsupported"] for r in records),
        "median": {
            key: _median([r["answer"][key] for r in records])
            for key in ("frames_inspected", "tool_steps", "model_calls", "seconds")
        },
    }


def bars(summary: dict) -> list[tuple[str, bool]]:
    """Issue 11's bars for the LLM-free agent, each with whether ``summary`` meets it."""
    overall = summary["overall"]["accuracy"] or 0.0
    checks = [(f"overall accuracy >= {BAR_OVERALL}", overall >= BAR_OVERALL)]
    for kind, rates in summary["by_kind"].items():
        if kind in MULTI_STEP_KINDS:
            ok = (rates["accuracy"] or 0.0) >= BAR_MULTI_STEP
            checks.append((f"{kind} accuracy >= {BAR_MULTI_STEP}", ok))
    checks.append(("0 citations outside the evidence", summary["unsupported"] == 0))
    frames = summary["median"]["frames_inspected"]
    checks.append(
        (
            f"median frames inspected <= {BAR_MEDIAN_FRAMES}",
            frames is not None and frames <= BAR_MEDIAN_FRAMES,
        )
    )
    return checks


def format_table(summary: dict) -> str:
    """Per kind: questions, accuracy, timestamp accuracy; then the overall rows."""
    lines = [f"{'kind':<12} {'n':>4} {'accuracy':>9} {'timestamps':>11}"]
    rows = list(summary["by_kind"].items())
    rows += [("multi-step", summary["multi_step"]), ("overall", summary["overall"])]
    for i, (kind, rates) in enumerate(rows):
        if i == len(rows) - 2:
            lines.append("-" * len(lines[0]))
        time_acc = _rate(rates["time_accuracy"])
        lines.append(f"{kind:<12} {rates['n']:>4} {_rate(rates['accuracy']):>9} {time_acc:>11}")
    return "\n".join(lines)


def format_costs(summary: dict) -> str:
    median = summary["median"]

    def show(value, unit: str) -> str:
        return "-" if value is None else f"{value:g}{unit}"

    return "\n".join(
        [
            f"citations outside the evidence: {summary['unsupported']}",
            "median per question: "
            f"{show(median['frames_inspected'], '')} frames inspected, "
            f"{show(median['tool_steps'], '')} tool steps, "
            f"{show(median['model_calls'], '')} model calls, "
            f"{show(_round(median['seconds']), ' s')}",
        ]
    )


def format_bars(checks: list[tuple[str, bool]]) -> str:
    return "\n".join(f"  [{'pass' if ok else 'FAIL'}] {text}" for text, ok in checks)


def report(summary: dict, title: str = "") -> str:
    parts = [title] if title else []
    parts += [
        format_table(summary),
        "",
        format_costs(summary),
        "",
        "bars (issue 11, set for the LLM-free agent):",
    ]
    parts.append(format_bars(bars(summary)))
    return "\n".join(parts)


def run(
    llm: str | None = None,
    seed: int = 7,
    seconds: float = AGENT_SECONDS,
    per_kind: int = DEFAULT_PER_KIND,
    kinds: Iterable[str] = KINDS,
    folder: str | Path | None = None,
    progress: Callable[[dict], None] | None = None,
) -> list[dict]:
    """Generate (or reuse) the toy video for ``seed``, build the agent and ask it everything."""
    import videoscout

    path, truth = toy_video(seed, seconds, folder)
    video = videoscout.open_video(path, model="toy:coca", captioner="toy:coca")
    agent = video.agent(llm=llm) if llm else video.agent()
    return ask_all(agent, select(truth["qa"], per_kind, seed, kinds), progress)


def main(args) -> None:
    """``--agent``: run, print the table (progress on stderr), optionally write ``--json``."""
    seconds = args.seconds if args.seconds is not None else AGENT_SECONDS
    kinds = args.kind or KINDS
    count = [0]

    def progress(record: dict) -> None:
        count[0] += 1
        mark = "right" if record["correct"] else "WRONG"
        timing = {True: "", False: " (times wrong)", None: ""}[record["time_ok"]]
        text = record["answer"]["text"].replace("\n", " ")
        print(
            f"[{count[0]}] {mark}{timing} {record['kind']}: {record['question']} -> {text}",
            file=sys.stderr,
            flush=True,
        )

    records = run(args.llm, args.seed, seconds, args.per_kind, kinds, args.folder, progress)
    summary = summarize(records)
    llm = args.llm or "default (none unless VIDEOSCOUT_LLM is set)"
    print(report(summary, f"agent on the toy world: seed {args.seed}, {seconds:g} s, llm {llm}"))
    if args.json:
        payload = {"seed": args.seed, "seconds": seconds, "llm": args.llm, "summary": summary}
        Path(args.json).write_text(json.dumps({**payload, "records": records}, indent=1))


def _mean(values: list) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def _median(values: list) -> float | None:
    return statistics.median(values) if values else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
