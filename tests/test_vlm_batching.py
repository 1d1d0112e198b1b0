"""VLM prompts batched into transformers' generate with its key-value cache: a batch writes
what each prompt writes alone, and concurrent calls share batches."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from videoscout.models.captioner import Decoding
from videoscout.models.prompt_batcher import PromptBatcher, _Job
from videoscout.models.random_vlm import build_random_vlm
from videoscout.models.vlm_captioner import VlmCaptioner

GREEDY = Decoding(max_new_tokens=6, min_new_tokens=6)


def frames(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 48, 64, 3), dtype=np.uint8)


@pytest.fixture
def vlm(monkeypatch):
    """The tiny random VLM, with every generate call's inputs and text-model inputs recorded."""
    processor, model = build_random_vlm("tiny")
    captioner = VlmCaptioner("vlm-random:tiny", "random tiny", loader=lambda: (processor, model))
    captioner.calls, captioner.steps = [], []
    real_generate = model.generate

    def generate(**inputs):
        captioner.calls.append(inputs)
        return real_generate(**inputs)

    monkeypatch.setattr(model, "generate", generate)
    text_model = model.model.text_model
    text_model.register_forward_pre_hook(
        lambda _, args, kwargs: captioner.steps.append(kwargs["inputs_embeds"].shape[:2]),
        with_kwargs=True,
    )
    return captioner


PROMPTS = [
    "Describe.",
    "What is the colour of the large shape near the left edge of the screen?",
    "Count them.",
    "Is anyone walking, and if so, in which direction do they go?",
]


def test_a_batch_writes_what_each_prompt_writes_alone(vlm):
    images = frames(len(PROMPTS))
    lists = [[image] for image in images]
    vlm.batch_size = len(PROMPTS)
    batched = vlm._chat(lists, PROMPTS, GREEDY)
    call = vlm.calls[-1]
    padding = (call["attention_mask"] == 0).sum(dim=1)
    assert len(vlm.calls) == 1 and padding.min() == 0 and padding.max() > 0
    assert (call["attention_mask"][:, -1] == 1).all()  # padded on the left
    assert call["use_cache"] is True
    # With the cache, the text model reads the prompts once, then one new token per step.
    assert vlm.steps == [(4, call["input_ids"].shape[1])] + [(4, 1)] * (GREEDY.max_new_tokens - 1)
    vlm.batch_size = 1
    alone = vlm._chat(lists, PROMPTS, GREEDY)
    assert len(vlm.calls) == 1 + len(PROMPTS)
    assert batched == alone and len(set(batched)) > 1


def test_concurrent_calls_share_a_batch(vlm):
    """While one call's batch runs, prompts from other threads wait, then go as one batch."""
    vlm._parts()
    real_generate = vlm._parts()[1].generate
    started, release = threading.Event(), threading.Event()

    def first_call_waits(**inputs):
        if not started.is_set():
            started.set()
            release.wait(timeout=30)
        return real_generate(**inputs)

    vlm._loaded[1].generate = first_call_waits
    vlm.batch_size = 8
    images = frames(4, seed=3)
    results: dict[str, object] = {}
    first = threading.Thread(target=lambda: results.update(a=vlm.caption(images[:2], GREEDY)))
    first.start()
    assert started.wait(timeout=30)
    others = [
        threading.Thread(target=lambda: results.update(b=vlm.caption(images[2:], GREEDY))),
        threading.Thread(
            target=lambda: results.update(c=vlm.answer_each(images[:1], "what?", GREEDY))
        ),
    ]
    for thread in others:
        thread.start()
    for _ in range(3000):  # until both calls wait behind the running batch
        if len(vlm._batcher._waiting) == 3:
            break
        threading.Event().wait(0.01)
    release.set()
    for thread in [first, *others]:
        thread.join(timeout=60)
    assert [len(call["input_ids"]) for call in vlm.calls] == [2, 3]
    vlm.batch_size = 1
    assert results["a"] == vlm.caption(images[:2], GREEDY)
    assert results["b"] == vlm.caption(images[2:], GREEDY)
    assert results["c"] == vlm.answer_each(images[:1], "what?", GREEDY)


@pytest.mark.parametrize(
    ("method", "batches"),
    [("greedy", [["earlier", "mine", "mine too"]]), ("top_p", [["earlier"], ["mine", "mine too"]])],
)
def test_only_deterministic_decoding_joins_other_calls(method, batches):
    """top_p draws would depend on what else is in the batch: one call's prompts only."""
    runs: list[list[str]] = []
    batcher = PromptBatcher(lambda prompts, decoding: runs.append(prompts) or ["x"] * len(prompts))
    decoding = Decoding(method=method)
    batcher.submit([([], "earlier")], decoding, batch_size=8)  # the key an earlier call had
    earlier = runs.pop()[0]
    key = (decoding, 0, None if method == "greedy" else object())
    batcher._waiting.append(_Job(earlier, key))  # still waiting when this call comes
    assert batcher.submit([([], "mine"), ([], "mine too")], decoding, batch_size=8) == ["x"] * 2
    assert [[text for _, text in run] for run in runs] == batches
