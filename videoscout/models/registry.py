"""One place that turns model spec strings into models.

Spec strings::

    clip:ViT-B-32/laion2b_s34b_b79k       open_clip architecture / pretrained tag
    coca:coca_ViT-B-32/mscoco_finetuned_laion2b_s13b_b90k
    hf:laion/CLIP-ViT-B-32-laion2B-s34B-b79K   an open_clip model repo on the Hugging Face Hub
    local:/path/to/folder                 open_clip_config.json + weights in a folder
    random:ViT-B-32                       any architecture (or one of ours) at random weights

Named entries (``register``) take precedence over schemes; tests register their fakes there.
Resolving a spec is cheap (it reads configs, never weights); models load on first use, and
``get_embedder`` returns the same instance for the same spec.
"""

from __future__ import annotations

import difflib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import UnknownModelError
from . import checkpoints
from .embedder import ImageTextEmbedder
from .openclip_embedder import OPENAI_MEAN, OPENAI_STD, OpenClipEmbedder

DEFAULT_MODEL = "clip:ViT-B-32/laion2b_s34b_b79k"

EmbedderFactory = Callable[[str], ImageTextEmbedder]


@dataclass(frozen=True)
class ModelEntry:
    name: str
    kind: str
    description: str


_NAMED: dict[str, tuple[ModelEntry, EmbedderFactory]] = {}
_LOADED: dict[str, ImageTextEmbedder] = {}
_LOCK = threading.Lock()

# Recommended checkpoints shown by `videoscout models`; every open_clip tag works.
RECOMMENDED = (
    ("clip:ViT-B-32/laion2b_s34b_b79k", "CLIP ViT-B/32, LAION-2B: fast on CPU (default)"),
    ("clip:ViT-B-16/laion2b_s34b_b88k", "CLIP ViT-B/16: better, ~4x slower"),
    ("clip:ViT-L-14/laion2b_s32b_b82k", "CLIP ViT-L/14: best, GPU advised"),
    ("coca:coca_ViT-B-32/mscoco_finetuned_laion2b_s13b_b90k", "CoCa ViT-B/32 (embeds + captions)"),
)
SCHEMES = {
    "clip": "clip:ARCH/TAG — an open_clip pretrained CLIP (see --all)",
    "coca": "coca:ARCH/TAG — an open_clip pretrained CoCa",
    "hf": "hf:ORG/REPO — an open_clip model repo on the Hugging Face Hub",
    "local": "local:/path — a folder with open_clip_config.json and weights",
    "random": "random:ARCH — an architecture at random weights (tests, benchmarks)",
}


def register(
    name: str, factory: EmbedderFactory, kind: str = "embedder", description: str = ""
) -> None:
    """Make ``name`` resolve to ``factory(name)``; replaces an earlier entry of that name."""
    _NAMED[name] = (ModelEntry(name, kind, description), factory)
    _LOADED.pop(name, None)


def unregister(name: str) -> None:
    _NAMED.pop(name, None)
    _LOADED.pop(name, None)


def get_embedder(spec: str) -> ImageTextEmbedder:
    """The embedder for ``spec``, resolved once and shared (its weights load on first use)."""
    spec = spec.strip()
    with _LOCK:
        if spec not in _LOADED:
            _LOADED[spec] = resolve_embedder(spec)
        return _LOADED[spec]


def resolve_embedder(spec: str) -> ImageTextEmbedder:
    if spec in _NAMED:
        return _NAMED[spec][1](spec)
    scheme, sep, rest = spec.partition(":")
    if not sep or scheme not in _SCHEME_FACTORIES:
        raise UnknownModelError(_unknown_message(spec))
    if not rest:
        raise UnknownModelError(f"model spec {spec!r} is missing a name after '{scheme}:'")
    return _SCHEME_FACTORIES[scheme](spec, rest)


def list_models() -> list[ModelEntry]:
    entries = [ModelEntry(name, "embedder", text) for name, text in RECOMMENDED]
    entries += [entry for entry, _ in _NAMED.values()]
    return entries


def list_pretrained() -> list[str]:
    """Every open_clip pretrained checkpoint as a spec string."""
    import open_clip

    return [
        f"{'coca' if arch.startswith('coca') else 'clip'}:{arch}/{tag}"
        for arch, tag in open_clip.list_pretrained()
    ]


def is_cached(spec: str) -> bool:
    """Whether the weights of a pretrained spec are in the local Hugging Face cache."""
    import open_clip
    from huggingface_hub import try_to_load_from_cache

    scheme, _, rest = spec.partition(":")
    arch, _, tag = rest.partition("/")
    cfg = open_clip.get_pretrained_cfg(arch, tag) if scheme in ("clip", "coca") else {}
    repo, filename = _split_hub(cfg.get("hf_hub", ""))
    if not repo:
        return False
    names = checkpoints._weight_names(filename)
    return any(isinstance(try_to_load_from_cache(repo, n), str) for n in names)


def _unknown_message(spec: str) -> str:
    valid = sorted(list(_NAMED) + [name for name, _ in RECOMMENDED])
    close = difflib.get_close_matches(spec, valid + list_pretrained(), n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return (
        f"unknown model {spec!r}{hint}. Valid: {', '.join(valid)}; or a spec of the form "
        f"{', '.join(SCHEMES)}:... (`videoscout models --all` lists every checkpoint)"
    )


def _split_hub(hf_hub: str) -> tuple[str, str | None]:
    repo, _, filename = hf_hub.strip("/").partition("/")
    if "/" in filename:  # "org/name/file" -> repo "org/name", file "file"
        name, _, filename = filename.partition("/")
        repo = f"{repo}/{name}"
    else:
        repo, filename = f"{repo}/{filename}" if filename else repo, ""
    return repo, filename or None


def _builtin_config(spec: str, arch: str) -> dict:
    import open_clip

    cfg = open_clip.get_model_config(arch)
    if cfg is None:
        _register_own_configs()
        cfg = open_clip.get_model_config(arch)
    if cfg is None:
        close = difflib.get_close_matches(arch, open_clip.list_models(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownModelError(
            f"unknown architecture {arch!r} in {spec!r}{hint} (`videoscout models --all`)"
        )
    return cfg


_OWN_CONFIGS_ADDED = False


def _register_own_configs() -> None:
    global _OWN_CONFIGS_ADDED
    if not _OWN_CONFIGS_ADDED:
        import open_clip

        configs = resources.files("videoscout.models") / "configs"
        with resources.as_file(configs) as folder:
            open_clip.add_model_config(Path(folder))
        _OWN_CONFIGS_ADDED = True


def _pretrained(spec: str, rest: str) -> ImageTextEmbedder:
    import open_clip

    scheme = spec.partition(":")[0]
    arch, _, tag = rest.partition("/")
    cfg = _builtin_config(spec, arch)
    tags = open_clip.list_pretrained_tags_by_model(arch)
    if scheme == "coca" and "multimodal_cfg" not in cfg:
        raise UnknownModelError(f"{arch!r} is not a CoCa architecture; use clip:{rest}")
    if not tag or tag not in tags:
        what = f"unknown pretrained tag {tag!r}" if tag else "missing pretrained tag"
        valid = ", ".join(f"{scheme}:{arch}/{t}" for t in tags) or "none"
        raise UnknownModelError(f"{what} for {arch} in {spec!r}; valid: {valid}")
    pcfg = open_clip.get_pretrained_cfg(arch, tag)
    repo, filename = _split_hub(pcfg.get("hf_hub", ""))
    if not repo:
        raise UnknownModelError(f"{spec!r} has no Hugging Face Hub copy; pick another tag")
    checkpoint = checkpoints.hub_file(spec, repo, filename)
    return OpenClipEmbedder(
        spec,
        arch,
        cfg,
        checkpoint,
        mean=pcfg.get("mean") or OPENAI_MEAN,
        std=pcfg.get("std") or OPENAI_STD,
        identity=f"{spec}@{Path(checkpoint).parent.name}",
    )


def _folder(spec: str, config: Path, identity: str) -> ImageTextEmbedder:
    full = json.loads(config.read_text())
    cfg = full.get("model_cfg", full)
    pre = full.get("preprocess_cfg", {})
    return OpenClipEmbedder(
        spec,
        f"local-dir:{config.parent}",
        cfg,
        mean=pre.get("mean", OPENAI_MEAN),
        std=pre.get("std", OPENAI_STD),
        identity=identity,
    )


def _hub_repo(spec: str, repo: str) -> ImageTextEmbedder:
    config = Path(checkpoints.hub_file(spec, repo, checkpoints.OPEN_CLIP_CONFIG))
    weights = Path(checkpoints.hub_file(spec, repo, None))
    if weights.parent != config.parent:
        raise UnknownModelError(f"{spec!r}: config and weights come from different revisions")
    return _folder(spec, config, identity=f"{spec}@{config.parent.name}")


def _local(spec: str, path: str) -> ImageTextEmbedder:
    config, weights = checkpoints.local_model_dir(spec, path)
    stat = weights.stat()
    return _folder(spec, config, identity=f"{spec}@{stat.st_size}:{stat.st_mtime_ns}")


def _random(spec: str, arch: str) -> ImageTextEmbedder:
    cfg = _builtin_config(spec, arch)
    return OpenClipEmbedder(spec, arch, cfg, None)


_SCHEME_FACTORIES: dict[str, Callable[[str, str], ImageTextEmbedder]] = {
    "clip": _pretrained,
    "coca": _pretrained,
    "hf": _hub_repo,
    "local": _local,
    "random": _random,
}
