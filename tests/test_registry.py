"""The model registry: spec strings, clear errors for unknown or missing models, lazy loading,
and the real loading code exercised offline on tiny models saved the way the Hub stores them."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from videoscout.errors import ModelNotAvailableError, UnknownModelError, UsageError
from videoscout.models import get_embedder, list_pretrained, register, resolve_embedder, unregister
from videoscout.models.checkpoints import hub_cache_dir
from videoscout.models.openclip_embedder import OpenClipEmbedder

TINY = "random:vs-tiny-clip"


@pytest.fixture
def hub_cache():
    """The (empty, per-session) Hugging Face cache the tests point at; emptied after each test."""
    root = Path(hub_cache_dir())
    yield root
    shutil.rmtree(root, ignore_errors=True)


def put_in_hub_cache(root: Path, repo: str, files: dict[str, Path]) -> Path:
    """Lay files out as huggingface_hub does: models--org--name/snapshots/<rev>/, refs/main."""
    folder = root / f"models--{repo.replace('/', '--')}"
    snapshot = folder / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    for name, source in files.items():
        shutil.copy(source, snapshot / name)
    (folder / "refs").mkdir()
    (folder / "refs" / "main").write_text("0" * 40)
    return snapshot


@pytest.fixture
def tiny_model_folder(tmp_path) -> Path:
    """A tiny CLIP saved as an open_clip model folder (config + safetensors), like on the Hub."""
    source = get_embedder(TINY)
    config = json.loads(
        (Path(__file__).parents[1] / "videoscout/models/configs/vs-tiny-clip.json").read_text()
    )
    folder = tmp_path / "tiny-clip"
    folder.mkdir()
    (folder / "open_clip_config.json").write_text(
        json.dumps({"model_cfg": config, "preprocess_cfg": {"mean": [0.5] * 3, "std": [0.5] * 3}})
    )
    # Perturb the weights so that a model that silently stayed random would not match.
    state = {k: v + 0.01 for k, v in source.model.state_dict().items()}
    save_file(state, folder / "open_clip_model.safetensors")
    return folder


def test_unknown_scheme_lists_valid_names():
    with pytest.raises(UnknownModelError) as caught:
        get_embedder("fancy-model")
    message = str(caught.value)
    assert "fancy-model" in message
    assert "clip:ViT-B-32/laion2b_s34b_b79k" in message
    assert "random" in message and "local" in message


def test_unknown_tag_lists_the_architecture_tags():
    with pytest.raises(UnknownModelError) as caught:
        get_embedder("clip:ViT-B-32/no_such_tag")
    assert "clip:ViT-B-32/laion2b_s34b_b79k" in str(caught.value)
    assert isinstance(caught.value, KeyError)


def test_unknown_architecture_suggests_close_names():
    with pytest.raises(UnknownModelError, match="ViT-B-32"):
        get_embedder("random:ViT-B-3")


def test_coca_scheme_rejects_a_clip_architecture():
    with pytest.raises(UnknownModelError, match="not a CoCa"):
        get_embedder("coca:ViT-B-32/laion2b_s34b_b79k")


def test_every_pretrained_spec_names_a_known_tag():
    specs = list_pretrained()
    assert "clip:ViT-B-32/laion2b_s34b_b79k" in specs
    assert "coca:coca_ViT-B-32/mscoco_finetuned_laion2b_s13b_b90k" in specs


def test_missing_checkpoint_offline_is_an_actionable_error(hub_cache):
    with pytest.raises(ModelNotAvailableError) as caught:
        get_embedder("clip:ViT-B-32/laion2b_s34b_b79k")
    message = str(caught.value)
    assert "clip:ViT-B-32/laion2b_s34b_b79k" in message  # which model
    assert str(hub_cache) in message  # where it looked
    assert "hf download laion/CLIP-ViT-B-32-laion2B-s34B-b79K" in message  # how to fix
    assert "local:" in message
    assert "\n" not in message


def test_missing_checkpoint_without_network_fails_fast(hub_cache, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)

    def no_dns(*args, **kwargs):
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(ModelNotAvailableError, match="unreachable.*cannot resolve"):
        get_embedder("coca:coca_ViT-B-32/mscoco_finetuned_laion2b_s13b_b90k")


def test_cached_pretrained_checkpoint_resolves_without_loading(hub_cache, tmp_path):
    weights = tmp_path / "open_clip_model.safetensors"
    weights.write_bytes(b"not loaded yet")
    snapshot = put_in_hub_cache(
        hub_cache, "laion/CLIP-ViT-B-32-laion2B-s34B-b79K", {weights.name: weights}
    )
    embedder = get_embedder("clip:ViT-B-32/laion2b_s34b_b79k")
    assert isinstance(embedder, OpenClipEmbedder)
    assert embedder.checkpoint == str(snapshot / weights.name)
    assert (embedder.dim, embedder.image_size) == (512, 224)
    assert embedder._model is None  # resolving reads configs only; weights load on first use
    assert snapshot.name in embedder.identity  # a new revision means new index keys


def test_get_embedder_returns_one_shared_instance_and_loads_lazily():
    first = get_embedder(TINY)
    assert first._model is None
    assert get_embedder(TINY) is first
    vectors = first.embed_texts(["a red ball", "a blue cube"])
    assert vectors.shape == (2, 32)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    loaded = first._model
    first.embed_texts(["again"])
    assert first._model is loaded


def test_random_weights_are_seeded_and_deterministic():
    a = resolve_embedder(TINY).embed_texts(["a dog on a beach"])
    b = resolve_embedder(TINY).embed_texts(["a dog on a beach"])
    assert np.array_equal(a, b)


def test_images_embed_after_centre_crop_and_resize():
    embedder = get_embedder(TINY)
    rng = np.random.default_rng(0)
    wide = rng.integers(0, 255, (2, 40, 72, 3), dtype=np.uint8)
    centre = wide[:, :, 16:56]  # the 40x40 centre crop
    assert np.allclose(embedder.embed_images(wide), embedder.embed_images(centre), atol=1e-5)
    assert embedder.embed_images(wide[:0]).shape == (0, 32)


def test_local_folder_loads_its_weights(tiny_model_folder):
    local = get_embedder(f"local:{tiny_model_folder}")
    loaded = local.model.state_dict()
    saved = {k: v + 0.01 for k, v in get_embedder(TINY).model.state_dict().items()}
    assert all(torch.allclose(loaded[k], saved[k]) for k in saved)
    assert local.mean == (0.5, 0.5, 0.5)
    assert local.embed_texts(["x"]).shape == (1, 32)


def test_local_folder_errors_name_the_expected_layout(tmp_path):
    with pytest.raises(ModelNotAvailableError, match="not a directory"):
        get_embedder(f"local:{tmp_path / 'nowhere'}")
    with pytest.raises(ModelNotAvailableError, match="open_clip_config.json"):
        get_embedder(f"local:{tmp_path}")


def test_hub_repo_spec_loads_from_the_hugging_face_cache(hub_cache, tiny_model_folder):
    files = {p.name: p for p in tiny_model_folder.iterdir()}
    put_in_hub_cache(hub_cache, "someone/tiny-clip", files)
    hub = get_embedder("hf:someone/tiny-clip")
    local = get_embedder(f"local:{tiny_model_folder}")
    assert np.allclose(hub.embed_texts(["a cat"]), local.embed_texts(["a cat"]), atol=1e-6)


def test_hub_repo_not_cached_offline_is_an_actionable_error(hub_cache):
    with pytest.raises(ModelNotAvailableError, match="hf download someone/else"):
        get_embedder("hf:someone/else")


def test_named_registration_wins_over_schemes():
    sentinel = object()
    register("random:vs-tiny-clip", lambda spec: sentinel)
    try:
        assert get_embedder("random:vs-tiny-clip") is sentinel
    finally:
        unregister("random:vs-tiny-clip")
    assert isinstance(get_embedder("random:vs-tiny-clip"), OpenClipEmbedder)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_precision_follows_videoscout_dtype_and_keeps_the_vectors(dtype, monkeypatch):
    images = np.random.default_rng(3).integers(0, 256, (4, 40, 60, 3), dtype=np.uint8)
    monkeypatch.setenv("VIDEOSCOUT_DTYPE", "float32")
    reference = resolve_embedder(TINY).embed_images(images)
    monkeypatch.setenv("VIDEOSCOUT_DTYPE", dtype)
    embedder = resolve_embedder(TINY)
    vectors = embedder.embed_images(images)
    assert embedder.precision == dtype
    assert next(embedder.model.parameters()).dtype == getattr(torch, dtype)
    assert vectors.dtype == np.float32
    # bfloat16 keeps 8 bits of mantissa: close to float32, not equal.
    cosine = np.sum(vectors * reference, axis=1)
    assert cosine.min() > 0.999
    assert (cosine.min() == pytest.approx(1.0, abs=1e-6)) == (dtype == "float32")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("float64", "float32, bfloat16, float16"), ("float16", "needs CUDA")],
)
def test_an_unusable_videoscout_dtype_is_a_clear_error(value, expected, monkeypatch):
    monkeypatch.setenv("VIDEOSCOUT_DTYPE", value)
    monkeypatch.setenv("VIDEOSCOUT_DEVICE", "cpu")
    with pytest.raises(UsageError, match=expected):
        resolve_embedder(TINY).embed_texts(["a dog"])
