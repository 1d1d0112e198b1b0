"""Train the toy CoCa from scratch: ``python -m videoscout.toy.train [--steps N] [--out DIR]``.

Seeded and reproducible on CPU. The loss is CoCa's: a contrastive loss between frames and their
captions plus a captioning loss (next-word cross-entropy) on captions and on
"question: ... answer: ..." texts, so the decoder both describes a frame and answers about it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import tempfile
import time
from importlib import resources
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..models.openclip_embedder import OPENAI_MEAN, OPENAI_STD, to_model_input
from ..prompts import load_prompt
from .dataset import decoded_frames
from .model import CAPTION_PROMPT, CONFIG_NAME, WEIGHTS_NAME, build, weights_dir
from .queries import hard_negative, random_query
from .tokenizer import WordTokenizer, toy_words

# Training videos are seeds from 1000 on; evaluation uses seeds under 100. With 16 videos the
# model learned them by heart (every training frame captioned right, 87 % of a held-out video's):
# 64 videos show it each kind of thing in enough places to generalise.
FIRST_SEED = 1000
TRAIN_VIDEOS = 64
TRAIN_SEEDS = list(range(FIRST_SEED, FIRST_SEED + TRAIN_VIDEOS))
TRAIN_SECONDS = 240.0
SAMPLE_FPS = 2.0
BATCH = 64
# Search needs the contrastive towers to bind colour to shape; captions learn faster.
CONTRASTIVE_WEIGHT = 2.0


def qa_text(item: dict) -> str:
    """The question in the prompt CocaCaptioner asks with, then its answer."""
    return f"{load_prompt('coca/question').format(question=item['question'])} {item['answer']}"


def caption_text(caption: str) -> str:
    """A task prefix before captions, so that "describe" and "answer" are different tasks."""
    return f"{CAPTION_PROMPT} {caption}"


def train(
    steps: int, out: Path, seed: int = 0, log_every: int = 100, videos: int = TRAIN_VIDEOS
) -> dict:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    started = time.perf_counter()
    model_cfg = json.loads((resources.files("videoscout.toy") / "architecture.json").read_text())
    words = toy_words()
    tokenizer = WordTokenizer(words, model_cfg["text_cfg"]["context_length"])
    assert tokenizer.vocab_size == model_cfg["text_cfg"]["vocab_size"], "config vocab mismatch"
    seeds = list(range(FIRST_SEED, FIRST_SEED + videos))
    data = decoded_frames(seeds, TRAIN_SECONDS, SAMPLE_FPS, model_cfg["vision_cfg"]["image_size"])
    print(
        f"data: {len(data.images)} frames from {len(seeds)} videos "
        f"({time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    mean = torch.tensor(OPENAI_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(OPENAI_STD).view(1, 3, 1, 1)
    inputs = to_model_input(data.images, model_cfg["vision_cfg"]["image_size"], mean, std)
    prompted_ids = tokenizer([caption_text(c) for c in data.captions])

    model = build(model_cfg, seed=seed).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: (
            min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps))
        ),
    )
    rng = np.random.default_rng(seed)
    rng_py = random.Random(seed)
    history = []
    for step in range(1, steps + 1):
        rows = rng.choice(len(inputs), BATCH, replace=False)
        # Half the texts are captions (contrastive + captioning), half are question-answers.
        use_qa = rng.random(BATCH) < 0.5
        texts = prompted_ids[rows].clone()
        qa_rows = [i for i in range(BATCH) if use_qa[i]]
        if qa_rows:
            picked = [qa_text(rng_py.choice(data.questions[rows[i]])) for i in qa_rows]
            texts[qa_rows] = tokenizer(picked)
        result = model(inputs[rows], texts)
        caption_loss = F.cross_entropy(
            result["logits"].permute(0, 2, 1), result["labels"], ignore_index=tokenizer.pad_id
        )
        queries, positives = _contrastive_batch(data, rows, rng_py)
        contrastive = _contrastive(
            result["image_features"],
            model.encode_text(tokenizer(queries)),
            positives,
            result["logit_scale"],
        )
        loss = caption_loss + CONTRASTIVE_WEIGHT * contrastive
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        if step % log_every == 0 or step == steps:
            entry = {
                "step": step,
                "caption_loss": round(caption_loss.item(), 4),
                "contrastive_loss": round(contrastive.item(), 4),
                "seconds": round(time.perf_counter() - started, 1),
            }
            history.append(entry)
            print(json.dumps(entry), flush=True)
    save(
        model.eval(),
        model_cfg,
        words,
        out,
        {
            "steps": steps,
            "seed": seed,
            "batch": BATCH,
            "contrastive_weight": CONTRASTIVE_WEIGHT,
            "train_seeds": seeds,
            "train_seconds_per_video": TRAIN_SECONDS,
            "sample_fps": SAMPLE_FPS,
            "frames": len(inputs),
            "wall_seconds": round(time.perf_counter() - started, 1),
            "history": history,
        },
    )
    return history[-1]


def _contrastive_batch(
    data, rows: np.ndarray, rng: random.Random
) -> tuple[list[str], torch.Tensor]:
    """Texts for the batch's frames and which frames each truly describes (``positives[i, j]``).

    One text per frame, half whole captions and half search queries, then a hard negative per
    frame with objects: a query that swaps the frame's attributes between its objects ("a white
    circle" for a red circle beside a white diamond), which teaches the towers which colour goes
    with which shape rather than a bag of words.
    """
    texts, matchers = [], []
    for row in rows:
        background, things = data.scenes[row]
        if rng.random() < 0.5:
            caption = data.captions[row]
            texts.append(caption)
            matchers.append(lambda j, c=caption: data.captions[j] == c)
        else:
            query = random_query(rng, background, things)
            texts.append(query.text)
            matchers.append(lambda j, q=query: q.matches(*data.scenes[j]))
    for row in rows:
        query = hard_negative(rng, *data.scenes[row])
        if query is not None:
            texts.append(query.text)
            matchers.append(lambda j, q=query: q.matches(*data.scenes[j]))
    positives = torch.tensor([[match(j) for j in rows] for match in matchers], dtype=torch.float)
    return texts, positives


def _contrastive(
    image: torch.Tensor, text: torch.Tensor, positives: torch.Tensor, scale: torch.Tensor
) -> torch.Tensor:
    """CLIP loss with several positives per row: ``positives[i, j]`` when text i describes
    image j, so that frames showing the same thing are not pushed apart as negatives. Texts
    that describe no image in the batch (hard negatives) count only as negatives."""
    logits = scale * text @ image.T
    described = positives.sum(1) > 0
    text_to_image = positives[described] / positives[described].sum(1, keepdim=True)
    image_to_text = positives.T / positives.T.sum(1, keepdim=True)
    return 0.5 * (
        torch.sum(-text_to_image * logits[described].log_softmax(1), 1).mean()
        + torch.sum(-image_to_text * logits.T.log_softmax(1), 1).mean()
    )


def save(model, model_cfg: dict, words: list[str], out: Path, training: dict) -> None:
    """Weights and metadata, written into a temporary folder beside ``out`` and renamed into
    place, so an interrupted run never leaves weights beside the wrong metadata."""
    from safetensors.torch import save_file

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    state = {k: v.detach().half().contiguous() for k, v in model.state_dict().items()}
    save_file(state, staging / WEIGHTS_NAME)
    meta = {
        "model_cfg": model_cfg,
        "words": words,
        "mean": list(OPENAI_MEAN),
        "std": list(OPENAI_STD),
        "training": training,
    }
    (staging / CONFIG_NAME).write_text(json.dumps(meta, indent=1))
    for name in (WEIGHTS_NAME, CONFIG_NAME):
        os.chmod(staging / name, 0o644)
    out.mkdir(exist_ok=True)
    for name in (WEIGHTS_NAME, CONFIG_NAME):
        os.replace(staging / name, out / name)
    staging.rmdir()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=3600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--videos", type=int, default=TRAIN_VIDEOS, help="training videos")
    parser.add_argument("--out", type=Path, default=weights_dir())
    args = parser.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    train(args.steps, args.out, args.seed, videos=args.videos)


if __name__ == "__main__":
    main()
