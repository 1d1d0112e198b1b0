"""CoCa text generation as it was before the key-value cache: every step re-runs both text
towers on the whole prefix, and beam search decodes one image at a time.

Kept as the reference that ``coca_decoding.generate`` must agree with (tests compare their
greedy tokens, ``bench/caption_vqa.py`` their speed), and as the fallback for CoCa variants
whose blocks the cache does not know how to walk.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


def _next_logits(
    model, image_embs: torch.Tensor, tokens: torch.Tensor, pad: bool | None = None
) -> torch.Tensor:
    # Without a class token the text tower's causal mask has a fixed size: pad to it (later
    # positions cannot leak back). With one (pretrained CoCa) the mask is sliced to fit, and
    # running only the tokens so far is several times cheaper.
    length = tokens.shape[1]
    if model.text.cls_emb is None if pad is None else pad:
        tokens = F.pad(tokens, (0, model.text.context_length - length), value=0)
    _, token_embs = model.text(tokens)
    return model.text_decoder(image_embs, token_embs[:, :length])[:, -1].float()


@torch.inference_mode()
def generate_uncached(
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
    if method not in ("greedy", "beam", "top_p"):
        raise ValueError(f"unknown decoding method {method!r}; use greedy, beam or top_p")
    _, image_embs = model._encode_image(images)
    limit = model.text.context_length
    results: list[list[int] | None] = [None] * len(prefixes)
    # Absolute position embeddings rule out left padding: decode equal-length prefixes together.
    by_length: dict[int, list[int]] = {}
    for row, prefix in enumerate(prefixes):
        by_length.setdefault(len(prefix), []).append(row)
    generator = torch.Generator().manual_seed(seed)
    for length, rows in by_length.items():
        steps = min(max_new_tokens, limit - length)
        tokens = torch.tensor([list(prefixes[r]) for r in rows], device=images.device)
        embs = image_embs[rows]
        if method == "beam":
            outputs = [
                _beam(model, embs[i : i + 1], tokens[i : i + 1], end_id, steps, beams)
                for i in range(len(rows))
            ]
        else:
            outputs = _sample(
                model, embs, tokens, end_id, steps, method, top_p, temperature, generator
            )
        for row, out in zip(rows, outputs, strict=True):
            results[row] = out
    return results  # type: ignore[return-value]


def _sample(model, image_embs, tokens, end_id, steps, method, top_p, temperature, generator):
    finished = torch.zeros(len(tokens), dtype=torch.bool, device=tokens.device)
    start = tokens.shape[1]
    for _ in range(steps):
        logits = _next_logits(model, image_embs, tokens)
        if method == "greedy":
            nxt = logits.argmax(-1)
        else:
            nxt = nucleus(logits / max(temperature, 1e-5), top_p, generator).to(tokens.device)
        nxt = torch.where(finished, torch.full_like(nxt, end_id), nxt)
        tokens = torch.cat([tokens, nxt[:, None]], dim=1)
        finished |= nxt == end_id
        if finished.all():
            break
    return [until_end(row[start:].tolist(), end_id) for row in tokens]


def nucleus(logits: torch.Tensor, top_p: float, generator: torch.Generator) -> torch.Tensor:
    probs = logits.softmax(-1).cpu()
    sorted_probs, order = probs.sort(-1, descending=True)
    # Keep the smallest set of tokens whose probability reaches top_p (always the first one).
    keep = sorted_probs.cumsum(-1) - sorted_probs < top_p
    sorted_probs = sorted_probs * keep
    choice = torch.multinomial(
        sorted_probs / sorted_probs.sum(-1, keepdim=True), 1, generator=generator
    )
    return order.gather(-1, choice)[:, 0]


def _beam(model, image_embs, prefix, end_id, steps, width) -> list[int]:
    beams = [(0.0, prefix[0].tolist(), False)]
    start = prefix.shape[1]
    for _ in range(steps):
        if all(done for _, _, done in beams):
            break
        live = [b for b in beams if not b[2]]
        tokens = torch.tensor([seq for _, seq, _ in live], device=prefix.device)
        logprobs = _next_logits(model, image_embs.expand(len(live), -1, -1), tokens).log_softmax(-1)
        candidates = [b for b in beams if b[2]]
        top = logprobs.topk(width, dim=-1)
        for (score, seq, _), values, ids in zip(live, top.values, top.indices, strict=True):
            for value, token in zip(values.tolist(), ids.tolist(), strict=True):
                candidates.append((score + value, [*seq, token], token == end_id))
        # Length-normalised scores, so finished short beams do not crowd out longer ones.
        candidates.sort(key=lambda b: b[0] / (len(b[1]) - start), reverse=True)
        beams = candidates[:width]
    best = max(beams, key=lambda b: b[0] / max(1, len(b[1]) - start))
    return until_end(best[1][start:], end_id)


def until_end(ids: list[int], end_id: int) -> list[int]:
    return ids[: ids.index(end_id)] if end_id in ids else ids
