"""Text generation for open_clip CoCa models, independent of transformers' generation API.

open_clip 3.3's ``CoCa.generate`` imports ``BeamSearchScorer``, which transformers 5 removed; this
loop needs only the model's own towers. All frames decode as one batch (the beams of every
frame too), prompts of different lengths included, and each step runs only the new tokens
against cached keys and values (``coca_kv_cache``). ``coca_reference`` keeps the uncached loop
this one must agree with, and serves CoCa variants the cache cannot walk.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .coca_kv_cache import CocaKVCache, supports_kv_cache
from .coca_reference import _next_logits as _next_logits  # where tests read it from
from .coca_reference import generate_uncached, nucleus, until_end

METHODS = ("greedy", "beam", "top_p")


@torch.inference_mode()
def generate(
    model,
    images: torch.Tensor,
    prefixes: Sequence[Sequence[int]],
    end_id: int,
    *,
    max_new_tokens: int = 20,
    method: str = "greedy",
    beams: int = 3,
    top_p: float = 0.9,
    temperature: float = 1.0,
    seed: int = 0,
) -> list[list[int]]:
    """Continue each prefix (token ids, starting with the start token) for its image.

    Returns the generated ids per image, without the prefix and without the end token.
    ``method`` is ``greedy`` (deterministic), ``beam`` (deterministic, ``beams`` wide) or
    ``top_p`` (nucleus sampling, reproducible through ``seed``).
    """
    if method not in METHODS:
        raise ValueError(f"unknown decoding method {method!r}; use greedy, beam or top_p")
    options = dict(max_new_tokens=max_new_tokens, method=method, beams=beams, top_p=top_p)
    if not supports_kv_cache(model):
        return generate_uncached(
            model, images, prefixes, end_id, temperature=temperature, seed=seed, **options
        )
    limit = model.text.context_length
    budgets = [min(max_new_tokens, limit - len(prefix)) for prefix in prefixes]
    results: list[list[int]] = [[] for _ in prefixes]
    rows = [row for row, budget in enumerate(budgets) if budget > 0]
    if not rows:
        return results
    _, image_embs = model._encode_image(images[rows])
    capacity = max(len(prefixes[r]) + budgets[r] for r in rows)
    cache = CocaKVCache(model, image_embs, capacity)
    todo = [list(prefixes[r]) for r in rows]
    if method == "beam":
        outputs = _beam(cache, todo, end_id, [budgets[r] for r in rows], beams)
    else:
        generator = torch.Generator().manual_seed(seed)
        sample = _greedy if method == "greedy" else _top_p(top_p, temperature, generator)
        outputs = _decode(cache, todo, end_id, [budgets[r] for r in rows], sample)
    for row, out in zip(rows, outputs, strict=True):
        results[row] = out
    return results


def _greedy(logits: torch.Tensor) -> torch.Tensor:
    return logits.argmax(-1)


def _top_p(top_p: float, temperature: float, generator: torch.Generator):
    def sample(logits: torch.Tensor) -> torch.Tensor:
        return nucleus(logits / max(temperature, 1e-5), top_p, generator).to(logits.device)

    return sample


def _decode(cache: CocaKVCache, prefixes, end_id, budgets, sample) -> list[list[int]]:
    """One token per row per step; a row leaves the batch at its end token or budget."""
    outputs: list[list[int]] = [[] for _ in prefixes]
    live = list(range(len(prefixes)))  # the output each cache row writes to
    logits = cache.prefill(prefixes)
    while True:
        chosen = sample(logits)
        keep = []
        for row, (out, token) in enumerate(zip(live, chosen.tolist(), strict=True)):
            if token != end_id:
                outputs[out].append(token)
                if len(outputs[out]) < budgets[out]:
                    keep.append(row)
        if not keep:
            return outputs
        if len(keep) < len(live):
            index = torch.tensor(keep, device=chosen.device)
            cache.keep(index)
            chosen = chosen[index]
            live = [live[row] for row in keep]
        logits = cache.step(chosen)


def _beam(cache: CocaKVCache, prefixes, end_id, budgets, width) -> list[list[int]]:
    """Beam search for every image at once; the choices per image are the reference's
    (``coca_reference._beam``): same candidates, same stable length-normalised sort."""
    starts = [len(prefix) for prefix in prefixes]
    # (score, tokens, finished, cache row of the beam's last step); one list per image
    beams = [[(0.0, list(prefix), False, row)] for row, prefix in enumerate(prefixes)]
    steps = [0] * len(prefixes)
    logits = cache.prefill(prefixes)
    while True:
        top = logits.log_softmax(-1).topk(width, dim=-1)
        values, ids = top.values.tolist(), top.indices.tolist()
        parents: list[int] = []
        tokens: list[int] = []
        for image, image_beams in enumerate(beams):
            live = [b for b in image_beams if not b[2]]
            if not live or steps[image] >= budgets[image]:
                continue
            candidates = [b for b in image_beams if b[2]]
            for score, seq, _, row in live:
                for value, token in zip(values[row], ids[row], strict=True):
                    candidates.append((score + value, [*seq, token], token == end_id, row))
            start = starts[image]
            candidates.sort(key=lambda b: b[0] / (len(b[1]) - start), reverse=True)
            steps[image] += 1
            chosen = candidates[:width]
            if steps[image] < budgets[image]:
                # Live beams take the next cache rows; their parents' keys come with them.
                for index, (score, seq, done, parent) in enumerate(chosen):
                    if not done:
                        chosen[index] = (score, seq, done, len(parents))
                        parents.append(parent)
                        tokens.append(seq[-1])
            beams[image] = chosen
        if not parents:
            break
        device = logits.device
        cache.keep(torch.tensor(parents, device=device))
        logits = cache.step(torch.tensor(tokens, device=device))
    outputs = []
    for image_beams, start in zip(beams, starts, strict=True):
        best = max(image_beams, key=lambda b: b[0] / max(1, len(b[1]) - start))
        outputs.append(until_end(best[1][start:], end_id))
    return outputs
