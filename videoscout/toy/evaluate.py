"""Quality on a toy video that training never saw: ``python -m videoscout.toy.evaluate``.

By default the toy CoCa: prints JSON with text-to-frame retrieval top-1, caption BLEU-4
(sacrebleu) against the generator's captions, and VQA exact match on colour, shape and count
questions. With ``--agent``, the agent (``--llm SPEC``, LLM-free by default) answering the
truth's questions: per-kind accuracy and timestamp accuracy, citations outside the evidence and
the median cost of a question (see ``videoscout.toy.agent_eval``).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

from .dataset import decoded_frames
from .model import ToyCocaEmbedder, toy_captioner
from .queries import thing_query
from .world import make_timeline

HELD_OUT_SEED = 7  # training uses seeds 1000-1015
EVAL_SECONDS = 300.0
VQA_KINDS = ("colour", "shape", "count")


def evaluate(folder: str | None = None, seed: int = HELD_OUT_SEED, seconds: float = EVAL_SECONDS):
    import sacrebleu

    # The embedder and captioner that search and `videoscout caption` use.
    embedder = ToyCocaEmbedder(folder=folder)
    captioner = toy_captioner(folder=folder)
    timeline = make_timeline(seed, seconds)
    frames = decoded_frames([seed], seconds, 1.0, embedder.image_size)  # one frame per second
    image_vectors = embedder.embed_images(frames.images)

    # Retrieval: for every object in the video, named with and without its size, is the best
    # frame one that shows it?
    queries = {}
    for event in timeline.events:
        for query in (thing_query(event.thing), replace(thing_query(event.thing), size=None)):
            queries[query.text] = query
    text_vectors = embedder.embed_texts(list(queries))
    best = (text_vectors @ image_vectors.T).argmax(axis=1)
    hits = [
        query.matches(*frames.scenes[b]) for query, b in zip(queries.values(), best, strict=True)
    ]

    captions = captioner.caption(frames.images)
    metric = sacrebleu.BLEU()
    bleu = metric.corpus_score(captions, [frames.captions])

    # VQA: each question asked of every frame it applies to, one batch per question text.
    by_question: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for i, questions in enumerate(frames.questions):
        for item in questions:
            if item["kind"] in VQA_KINDS:
                by_question[item["question"]].append((i, item["kind"], item["answer"]))
    results = []  # (kind, correct)
    for question, items in by_question.items():
        rows = [i for i, _, _ in items]
        answers = captioner.answer_each(frames.images[rows], question)
        results += [(k, p == a) for (_, k, a), p in zip(items, answers, strict=True)]
    per_kind = {kind: float(np.mean([ok for k, ok in results if k == kind])) for kind in VQA_KINDS}
    return {
        "seed": seed,
        "seconds": seconds,
        "retrieval_top1": float(np.mean(hits)),
        "retrieval_queries": len(queries),
        "caption_bleu4": round(bleu.score, 2),
        "bleu_signature": str(metric.get_signature()),
        "vqa_exact_match": float(np.mean([ok for _, ok in results])),
        "vqa_by_kind": per_kind,
        "vqa_questions": len(results),
        "examples": [
            {"time": float(frames.times[i]), "truth": frames.captions[i], "caption": captions[i]}
            for i in range(0, len(captions), max(1, len(captions) // 5))
        ],
    }


def main(argv: list[str] | None = None) -> None:
    from .agent_eval import DEFAULT_PER_KIND, KINDS

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weights", type=Path, default=None, help="folder [default: shipped]")
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED)
    parser.add_argument(
        "--seconds", type=float, default=None, help=f"[default: {EVAL_SECONDS:g}, --agent 600]"
    )
    agent = parser.add_argument_group("the agent")
    agent.add_argument("--agent", action="store_true", help="measure the agent instead")
    agent.add_argument("--llm", default=None, help="chat model spec [default: none]")
    agent.add_argument(
        "--per-kind", type=int, default=DEFAULT_PER_KIND, help="questions per kind [%(default)s]"
    )
    agent.add_argument("--kind", action="append", choices=KINDS, help="only these kinds")
    agent.add_argument("--json", type=Path, default=None, help="write every record to this file")
    agent.add_argument(
        "--folder", type=Path, default=None, help="where the toy video goes [default: cache]"
    )
    heard = parser.add_argument_group("speech and on-screen text")
    heard.add_argument(
        "--speech",
        action="store_true",
        help="measure speech on a narrated toy video instead: word error rate, word-time error, "
        "spoken-phrase search R@1 (python -m videoscout.speech.evaluate has more options)",
    )
    heard.add_argument(
        "--text",
        action="store_true",
        help="measure OCR of the 'SCENE N' titles instead: recall, time errors, frames/s "
        "(python -m videoscout.ocr.evaluate has more options)",
    )
    args = parser.parse_args(argv)
    if args.speech or args.text:
        _words(args)
        return
    if args.agent:
        from .agent_eval import main as agent_main

        agent_main(args)
        return
    seconds = args.seconds if args.seconds is not None else EVAL_SECONDS
    report = evaluate(str(args.weights) if args.weights else None, args.seed, seconds)
    print(json.dumps(report, indent=2))


def _words(args) -> None:
    """``--speech`` / ``--text``: the speech and OCR evaluations on the same seed."""
    seed = ["--seed", str(args.seed)]
    seconds = ["--seconds", f"{args.seconds:g}"] if args.seconds is not None else []
    if args.speech:
        from ..speech.evaluate import main as speech_main

        speech_main(seed + seconds)
    if args.text:
        from ..ocr.evaluate import main as text_main

        text_main(seed + seconds)


if __name__ == "__main__":
    main()
