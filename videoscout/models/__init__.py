"""Model registry and the model interfaces."""

from .captioner import Captioner, Decoding
from .embedder import ImageTextEmbedder
from .registry import (
    DEFAULT_CAPTIONER,
    DEFAULT_MODEL,
    get_captioner,
    get_embedder,
    list_models,
    list_pretrained,
    register,
    resolve_embedder,
    unregister,
)

__all__ = [
    "DEFAULT_CAPTIONER",
    "DEFAULT_MODEL",
    "Captioner",
    "Decoding",
    "ImageTextEmbedder",
    "get_captioner",
    "get_embedder",
    "list_models",
    "list_pretrained",
    "register",
    "resolve_embedder",
    "unregister",
]
