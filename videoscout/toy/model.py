"""The toy CoCa: an open_clip CoCa trained from scratch on the toy world (see MODEL_CARD.md).

Shipped as package data: ``weights/toy-coca.json`` (architecture, vocabulary, normalisation)
and ``weights/toy-coca.safetensors`` (fp16).
"""

from __future__ import annotations

import hashlib
import json
import threading
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from ..errors import ModelNotAvailableError
from ..models.coca_captioner import CocaCaptioner, CocaParts
from ..models.embedder import ImageTextEmbedder
from ..models.openclip_embedder import to_model_input
from ..models.openclip_init import init_coca_decoder
from .tokenizer import WordTokenizer

SPEC = "toy:coca"
#: The decoder's task prefix for captions ("question: ... answer:" asks instead).
CAPTION_PROMPT = "caption:"
CONFIG_NAME = "toy-coca.json"
WEIGHTS_NAME = "toy-coca.safetensors"


def weights_dir() -> Path:
    return Path(str(resources.files("videoscout.toy") / "weights"))


def build(model_cfg: dict, seed: int = 0):
    """A randomly initialised CoCa of the given architecture."""
    import open_clip

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = open_clip.CoCa(**model_cfg)
        init_coca_decoder(model)
    return model


def read_meta(folder: str | None = None) -> tuple[Path, dict]:
    """(weights folder, its toy-coca.json), or a clear error when the weights are missing."""
    folder_path = Path(folder) if folder else weights_dir()
    if not (folder_path / CONFIG_NAME).is_file() or not (folder_path / WEIGHTS_NAME).is_file():
        raise ModelNotAvailableError(
            f"the toy CoCa's weights are missing from {folder_path} (expected {CONFIG_NAME} and "
            f"{WEIGHTS_NAME}); reinstall videoscout, or train them: "
            f"python -m videoscout.toy.train --out {folder_path}"
        )
    return folder_path, json.loads((folder_path / CONFIG_NAME).read_text())


def load(folder: str | None = None) -> ToyCoca:
    """The trained toy CoCa, loaded once (also when tools run in parallel threads)."""
    with _LOAD_LOCK:
        return _load(folder)


_LOAD_LOCK = threading.Lock()


@cache
def _load(folder: str | None) -> ToyCoca:
    from safetensors.torch import load_file

    folder_path, meta = read_meta(folder)
    model = build(meta["model_cfg"])
    state = load_file(folder_path / WEIGHTS_NAME)
    model.load_state_dict({k: v.float() for k, v in state.items()})
    return ToyCoca(model.eval(), meta)


class ToyCoca:
    """Captions and answers with the toy CoCa; the same preprocessing as training."""

    def __init__(self, model, meta: dict) -> None:
        self.model = model
        self.meta = meta
        self.tokenizer = WordTokenizer(
            meta["words"], meta["model_cfg"]["text_cfg"]["context_length"]
        )
        self.image_size = meta["model_cfg"]["vision_cfg"]["image_size"]
        self.mean = torch.tensor(meta["mean"]).view(1, 3, 1, 1)
        self.std = torch.tensor(meta["std"]).view(1, 3, 1, 1)

    def inputs(self, images: np.ndarray) -> torch.Tensor:
        dtype = self.model.logit_scale.dtype  # float32; bfloat16 in bench/precision.py
        return to_model_input(images, self.image_size, self.mean, self.std, dtype)

    def parts(self) -> CocaParts:
        return CocaParts(
            model=self.model,
            inputs=self.inputs,
            encode=self.tokenizer.encode,
            decode=self.tokenizer.decode,
            start_id=self.tokenizer.start_id,
            end_id=self.tokenizer.end_id,
        )


def toy_captioner(spec: str = SPEC, folder: str | None = None) -> CocaCaptioner:
    """The toy CoCa as a captioner: captions after "caption:", answers after the question."""
    folder_path, meta = read_meta(folder)
    return CocaCaptioner(
        spec,
        lambda: load(folder).parts(),
        identity=_identity(spec, folder_path),
        caption_prompt=CAPTION_PROMPT,
        batch_size=64,
        image_size=meta["model_cfg"]["vision_cfg"]["image_size"],
    )


def _identity(spec: str, folder: Path) -> str:
    # Indexes and captions made with other weights (a retrained model) must not be reused.
    return f"{spec}@{_weights_digest(folder)}"


@cache
def _weights_digest(folder: Path) -> str:
    """Read once per process: the embedder and the captioner both need it."""
    return hashlib.blake2b((folder / WEIGHTS_NAME).read_bytes(), digest_size=8).hexdigest()


class ToyCocaEmbedder(ImageTextEmbedder):
    """The toy CoCa's contrastive towers behind the embedding interface (spec ``toy:coca``)."""

    def __init__(self, spec: str = SPEC, folder: str | None = None) -> None:
        self.spec = spec
        self._folder = folder
        folder_path, meta = read_meta(folder)
        self.dim = meta["model_cfg"]["embed_dim"]
        self.image_size = meta["model_cfg"]["vision_cfg"]["image_size"]
        self._identity = _identity(spec, folder_path)

    @property
    def identity(self) -> str:
        return self._identity

    @torch.inference_mode()
    def embed_images(self, images: np.ndarray) -> np.ndarray:
        toy = load(self._folder)
        if len(images) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return toy.model.encode_image(toy.inputs(images), normalize=True).float().numpy()

    @torch.inference_mode()
    def embed_texts(self, texts) -> np.ndarray:
        toy = load(self._folder)
        tokens = toy.tokenizer(list(texts))
        return toy.model.encode_text(tokens, normalize=True).float().numpy()
