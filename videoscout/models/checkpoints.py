"""Finding model weights: the Hugging Face cache, local folders, and (when online) the Hub.

Nothing is downloaded silently into odd places: weights live in the standard Hugging Face cache,
so a cache copied from a connected machine (or HF_HOME pointing at one) works offline.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlparse

from ..errors import ModelNotAvailableError

OPEN_CLIP_WEIGHTS = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
OPEN_CLIP_CONFIG = "open_clip_config.json"


def hub_cache_dir() -> str:
    from huggingface_hub import constants

    return str(constants.HF_HUB_CACHE)


def offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def _weight_names(filename: str | None) -> tuple[str, ...]:
    if not filename or filename == "open_clip_pytorch_model.bin":
        return OPEN_CLIP_WEIGHTS
    if filename.endswith((".bin", ".pth", ".pt")):
        return (filename.rsplit(".", 1)[0] + ".safetensors", filename)
    return (filename,)


def how_to_fix(spec: str, repo: str) -> str:
    return (
        f"fix: on a connected machine run `hf download {repo}` and copy its Hugging Face cache "
        f"here (or point HF_HOME at one that has it), or download the files and pass "
        f"--model local:/path/to/folder (a folder holding {OPEN_CLIP_CONFIG} and the weights)"
    )


def hub_file(spec: str, repo: str, filename: str | None = None) -> str:
    """Path of a Hub file: from the local cache, else downloaded if the Hub is reachable."""
    from huggingface_hub import hf_hub_download, try_to_load_from_cache

    names = _weight_names(filename) if filename != OPEN_CLIP_CONFIG else (OPEN_CLIP_CONFIG,)
    for name in names:
        cached = try_to_load_from_cache(repo, name)
        if isinstance(cached, str):
            return cached
    where = f"looked in the Hugging Face cache {hub_cache_dir()} for {repo}/{names[0]}"
    if offline():
        raise ModelNotAvailableError(
            f"model {spec} is not downloaded and HF_HUB_OFFLINE is set: {where}; "
            f"{how_to_fix(spec, repo)}"
        )
    reason = hub_unreachable()
    if reason:
        raise ModelNotAvailableError(
            f"model {spec} is not downloaded and the Hub is unreachable ({reason}): {where}; "
            f"{how_to_fix(spec, repo)}"
        )
    last_error: Exception | None = None
    for name in names:
        try:
            return hf_hub_download(repo, name)
        except Exception as exc:  # noqa: BLE001 - any hub failure means "not available"
            last_error = exc
    raise ModelNotAvailableError(
        f"model {spec} could not be downloaded ({type(last_error).__name__}): {where}; "
        f"{how_to_fix(spec, repo)}"
    )


def hub_unreachable() -> str | None:
    """A fast DNS check, so an offline machine fails now instead of after minutes of retries."""
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return None  # behind a proxy, name resolution happens elsewhere
    from huggingface_hub import constants

    host = urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    try:
        socket.getaddrinfo(host, 443)
    except OSError as exc:
        return f"cannot resolve {host}: {exc.strerror or exc}"
    return None


def local_model_dir(spec: str, path: str) -> tuple[Path, Path]:
    """(config, weights) of an open_clip model folder, as laid out on the Hub."""
    folder = Path(path).expanduser()
    layout = f"a model folder holds {OPEN_CLIP_CONFIG} and {' or '.join(OPEN_CLIP_WEIGHTS)}"
    if not folder.is_dir():
        raise ModelNotAvailableError(f"model {spec}: {folder} is not a directory; {layout}")
    config = folder / OPEN_CLIP_CONFIG
    if not config.is_file():
        raise ModelNotAvailableError(f"model {spec}: no {OPEN_CLIP_CONFIG} in {folder}; {layout}")
    for name in OPEN_CLIP_WEIGHTS:
        if (folder / name).is_file():
            return config, folder / name
    raise ModelNotAvailableError(f"model {spec}: no weights file in {folder}; {layout}")
