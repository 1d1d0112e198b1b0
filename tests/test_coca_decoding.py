"""CoCa decoding with a key-value cache: the same tokens as the uncached reference loop, for
every frame of a batch at once, prompts of different lengths and rows that end early."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest
import torch

from videoscout.models.coca_decoding import generate
from videoscout.models.coca_kv_cache import supports_kv_cache
from videoscout.models.coca_reference import generate_uncached
from videoscout.models.openclip_init import init_coca_decoder
from videoscout.models.registry import get_captioner, get_embedder
from videoscout.toy.model import CAPTION_PROMPT


def frames(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 60, 80, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def toy():
    return get_captioner("toy:coca")._parts()


@pytest.fixture(scope="module")
def tiny():
    return get_embedder("random:vs-tiny-coca").coca_parts()


@pytest.fixture(scope="module")
def vit_b_32():
    """CoCa ViT-B/32 at random weights: the pretrained default's architecture."""
    return get_embedder("random:coca_ViT-B-32").coca_parts()


def toy_prefixes(parts) -> list[list[int]]:
    prompts = [
        CAPTION_PROMPT,
        "question: what colour is the circle? answer:",
        CAPTION_PROMPT,
        "question: how many objects? answer:",
    ]
    return [[parts.start_id, *parts.encode(p)] for p in prompts]


def clip_prefixes(parts) -> list[list[int]]:
    # Token 0 is the text tower's pad id: with a class token, open_clip hides the key after it
    # from every later query, and the cache has to hide the same one.
    return [[parts.start_id], [parts.start_id, 0, 320], [parts.start_id, 320, 1125, 530, 0]]


@pytest.mark.parametrize(
    ("name", "prefixes", "max_new"),
    [("toy", toy_prefixes, 12), ("tiny", clip_prefixes, 10), ("vit_b_32", clip_prefixes, 8)],
)
def test_cached_greedy_tokens_equal_the_uncached_loop(request, name, prefixes, max_new):
    parts = request.getfixturevalue(name)
    model, prefix = parts.model, prefixes(parts)
    images = parts.inputs(frames(len(prefix)))
    end = parts.end_id
    if name != "toy":  # random weights seldom end: make a token they write the end token
        end = generate(model, images, prefix, end, max_new_tokens=max_new)[1][2]
    ours = generate(model, images, prefix, end, max_new_tokens=max_new)
    reference = generate_uncached(model, images, prefix, end, max_new_tokens=max_new)
    assert ours == reference
    lengths = [len(ids) for ids in ours]
    assert min(lengths) < max_new and len(set(lengths)) > 1  # rows end at different steps
    assert len({len(p) for p in prefix}) > 1  # prompts of different lengths, one batch


@pytest.mark.parametrize("name", ["toy", "tiny"])
def test_cached_beam_search_equals_the_uncached_loop(request, name):
    parts = request.getfixturevalue(name)
    prefix = toy_prefixes(parts) if name == "toy" else clip_prefixes(parts)
    images = parts.inputs(frames(len(prefix), seed=1))
    options = dict(max_new_tokens=6, method="beam", beams=3)
    ours = generate(parts.model, images, prefix, parts.end_id, **options)
    assert ours == generate_uncached(parts.model, images, prefix, parts.end_id, **options)


def test_one_batch_and_one_new_token_per_step(tiny, monkeypatch):
    """After the prompts, each step feeds only the new token of every live row, all frames
    (and all their beams) in one batch; the towers' whole-sequence forwards never run."""
    model = tiny.model
    seen: list[tuple[int, ...]] = []
    first_mlp = model.text.transformer.resblocks[0].mlp
    hook = first_mlp.register_forward_pre_hook(lambda _, args: seen.append(tuple(args[0].shape)))

    def whole_sequence(*args, **kwargs):
        raise AssertionError("the cache must not re-run a tower on the whole sequence")

    monkeypatch.setattr(model.text, "forward", whole_sequence)
    monkeypatch.setattr(model.text_decoder, "forward", whole_sequence)
    prefix = clip_prefixes(tiny)
    images = tiny.inputs(frames(3))
    try:
        greedy = generate(model, images, prefix, tiny.end_id, max_new_tokens=5)
        steps = len(seen)
        generate(model, images, prefix, tiny.end_id, max_new_tokens=5, method="beam", beams=2)
    finally:
        hook.remove()
    width = model.text.transformer.width
    assert all(len(ids) == 5 for ids in greedy)
    assert seen[:steps] == [(3, 5, width)] + [(3, 1, width)] * 4
    assert seen[steps] == (3, 5, width) and set(seen[steps + 1 :]) == {(6, 1, width)}


def test_blocks_the_cache_cannot_walk_fall_back_to_the_reference(tiny):
    import open_clip

    config = json.loads(
        (resources.files("videoscout.models") / "configs" / "vs-tiny-coca.json").read_text()
    )
    config["text_cfg"]["qk_norm"] = True  # open_clip's "custom" blocks
    config.pop("custom_text", None)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = open_clip.CoCa(**config).eval()
        init_coca_decoder(model)
    assert supports_kv_cache(tiny.model) and not supports_kv_cache(model)
    images = tiny.inputs(frames(2)).float()
    prefix = [[tiny.start_id], [tiny.start_id, 320]]
    ours = generate(model, images, prefix, tiny.end_id, max_new_tokens=4)
    assert ours == generate_uncached(model, images, prefix, tiny.end_id, max_new_tokens=4)
