"""Model registry and the model interfaces."""

from .embedder import ImageTextEmbedder
from .registry import (
    DEFAULT_MODEL,
    get_embedder,
    list_models,
    list_pretrained,
    register,
    resolve_embedder,
    unregister,
)

__all__ = [
    "DEFAULT_MODEL",
    "ImageTextEmbedder",
    "get_embedder",
    "list_models",
    "list_pretrained",
    "register",
    "resolve_embedder",
    "unregister",
]
