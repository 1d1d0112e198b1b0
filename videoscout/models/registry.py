"""One place that turns model spec strings into models.

Spec strings::

    clip:ViT-B-32/laion2b_s34b_b79k       open_clip architecture / pretrained tag
    coca:coca_ViT-B-32/mscoco_finetuned_laion2b_s13b_b90k
    hf:laion/CLIP-ViT-B-32-laion2B-s34B-b79K   an open_clip model repo on the Hugging Face Hub
    local:/path/to/folder                 open_clip_config.json + weights in a folder
    random:ViT-B-32                       any architecture (or one of ours) at random weights
    vlm:HuggingFaceTB/SmolVLM-256M-Instruct   a transformers vision-language model (captioner)
    vlm:/path/to/folder                   the same, from a local folder

Embedders (``get_embedder``) turn frames and text into vectors; captioners (``get_captioner``)
turn frames into words. CoCa specs are both, sharing one loaded model.

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
from typing import Literal

from ..errors import UnknownModelError
from . import checkpoints
from .captioner import Captioner
from .embedder import ImageTextEmbedder

# torch, open_clip and transformers are imported by the factories below, not here: a command
# that fails on its input (a missing file, a bad option) then answers in 2 s instead of 34 s
# on a slow 2-core machine, most of it spent importing model code it never runs.

DEFAULT_MODEL = "clip:ViT-B-32/laion2b_s34b_b79k"
DEFAULT_CAPTIONER = "coca:coca_ViT-B-32/mscoco_finetuned_laion2b_s13b_b90k"

Kind = Literal["embedder", "captioner"]
Factory = Callable[[str], "ImageTextEmbedder | Captioner"]


@dataclass(frozen=True)
class ModelEntry:
    name: str
    kind: str
    description: str


# Keyed by (kind, name): a CoCa spec is both an embedder and a captioner.
_NAMED: dict[tuple[str, str], tuple[ModelEntry, Factory]] = {}
_LOADED: dict[tuple[str, str], ImageTextEmbedder | Captioner] = {}
_LOCK = threading.RLock()  # get_captioner resolves CoCa through get_embedder

# Recommended checkpoints shown by `videoscout models`; every open_clip tag works.
RECOMMENDED = (
    ("clip:ViT-B-32/laion2b_s34b_b79k", "CLIP ViT-B/32, LAION-2B: fast on CPU (default)"),
    ("clip:ViT-B-16/laion2b_s34b_b88k", "CLIP ViT-B/16: better, ~4x slower"),
    ("clip:ViT-L-14/laion2b_s32b_b82k", "CLIP ViT-L/14: best, GPU advised"),
    ("coca:coca_ViT-B-32/mscoco_finetuned_laion2b_s13b_b90k", "CoCa ViT-B/32 (embeds + captions)"),
)
RECOMMENDED_CAPTIONERS = (
    (
        "coca:coca_ViT-B-32/mscoco_finetuned_laion2b_s13b_b90k",
        "CoCa: captions frames (default)",
    ),
    ("vlm:HuggingFaceTB/SmolVLM-256M-Instruct", "SmolVLM 256M: many frames per prompt"),
    ("vlm:HuggingFaceTB/SmolVLM-500M-Instruct", "SmolVLM 500M: better, ~2x slower"),
    ("vlm:Qwen/Qwen2.5-VL-3B-Instruct", "Qwen2.5-VL 3B: much better, GPU advised"),
)
SCHEMES = {
    "clip": "clip:ARCH/TAG — an open_clip pretrained CLIP (see --all)",
    "coca": "coca:ARCH/TAG — an open_clip pretrained CoCa",
    "hf": "hf:ORG/REPO — an open_clip model repo on the Hugging Face Hub",
    "local": "local:/path — a folder with open_clip_config.json and weights",
    "random": "random:ARCH — an architecture at random weights (tests, benchmarks)",
    "vlm": "vlm:ORG/REPO or vlm:/path — a transformers vision-language model (captions only)",
    "vlm-random": "vlm-random:tiny|smolvlm-256m — a VLM at random weights (tests, benchmarks)",
}


def register(name: str, factory: Factory, kind: Kind = "embedder", description: str = "") -> None:
    """Make ``name`` resolve to ``factory(name)`` for ``kind``; replaces an earlier entry."""
    _NAMED[kind, name] = (ModelEntry(name, kind, description), factory)
    _LOADED.pop((kind, name), None)


def unregister(name: str, kind: Kind = "embedder") -> None:
    _NAMED.pop((kind, name), None)
    _LOADED.pop((kind, name), None)


def _get(kind: Kind, spec: str, resolve: Callable[[str], ImageTextEmbedder | Captioner]):
    spec = spec.strip()
    with _LOCK:
        if (kind, spec) not in _LOADED:
            _LOADED[kind, spec] = resolve(spec)
        return _LOADED[kind, spec]


def get_embedder(spec: str) -> ImageTextEmbedder:
    """The embedder for ``spec``, resolved once and shared (its weights load on first use)."""
    return _get("embedder", spec, resolve_embedder)


def get_captioner(spec: str) -> Captioner:
    """The captioner for ``spec``, resolved once and shared (its weights load on first use)."""
    return _get("captioner", spec, resolve_captioner)


def resolve_embedder(spec: str) -> ImageTextEmbedder:
    if ("embedder", spec) in _NAMED:
        return _NAMED["embedder", spec][1](spec)
    scheme, sep, rest = spec.partition(":")
    if scheme in ("vlm", "vlm-random"):
        raise UnknownModelError(
            f"{spec!r} is a vision-language model: it captions and answers but does not embed; "
            f"search with a clip: or coca: model (`videoscout models`)"
        )
    if not sep or scheme not in _SCHEME_FACTORIES:
        raise UnknownModelError(_unknown_message(spec))
    if not rest:
        raise UnknownModelError(f"model spec {spec!r} is missing a name after '{scheme}:'")
    return _SCHEME_FACTORIES[scheme](spec, rest)


def resolve_captioner(spec: str) -> Captioner:
    if ("captioner", spec) in _NAMED:
        return _NAMED["captioner", spec][1](spec)
    scheme, sep, rest = spec.partition(":")
    if scheme == "vlm" and rest:
        from .vlm_captioner import vlm_captioner

        return vlm_captioner(spec, rest)
    if scheme == "vlm-random" and rest:
        from .vlm_captioner import random_vlm_captioner

        return random_vlm_captioner(spec, rest)
    # Decided from the architecture's config, before any weights are looked for.
    if scheme in ("clip", "random") and rest and not _is_coca(spec, rest.partition("/")[0]):
        raise _cannot_caption(spec)
    if sep and rest and scheme in _SCHEME_FACTORIES:
        embedder = get_embedder(spec)
        if getattr(embedder, "can_caption", False):
            from .coca_captioner import CocaCaptioner

            return CocaCaptioner(
                spec,
                embedder.coca_parts,
                identity=embedder.identity,
                image_size=embedder.image_size,
            )
        raise _cannot_caption(spec)
    raise UnknownModelError(f"unknown captioner {spec!r}. {_captioner_choices()}")


def _cannot_caption(spec: str) -> UnknownModelError:
    return UnknownModelError(
        f"{spec!r} is a CLIP model: it embeds but cannot caption. {_captioner_choices()}"
    )


def _is_coca(spec: str, arch: str) -> bool:
    return "multimodal_cfg" in _builtin_config(spec, arch)


def _names(kind: Kind) -> set[str]:
    return {name for k, name in _NAMED if k == kind}


def _captioner_choices() -> str:
    valid = sorted(_names("captioner") | {name for name, _ in RECOMMENDED_CAPTIONERS})
    return (
        f"Captioners: {', '.join(valid)}; or coca:ARCH/TAG, random:coca_ARCH, "
        f"local:/path (an open_clip CoCa), vlm:ORG/REPO, vlm:/path, vlm-random:tiny "
        f"(`videoscout models`)"
    )


def list_models() -> list[ModelEntry]:
    entries = [ModelEntry(name, "embedder", text) for name, text in RECOMMENDED]
    entries += [entry for (kind, _), (entry, _) in _NAMED.items() if kind == "embedder"]
    entries += [
        ModelEntry(name, "captioner", text)
        for name, text in RECOMMENDED_CAPTIONERS
        if not name.startswith("coca:")  # listed above as an embedder that also captions
    ]
    entries += [
        entry
        for (kind, name), (entry, _) in _NAMED.items()
        if kind == "captioner" and name not in _names("embedder")
    ]
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
    if scheme == "vlm":
        return isinstance(try_to_load_from_cache(rest, "config.json"), str)
    arch, _, tag = rest.partition("/")
    cfg = open_clip.get_pretrained_cfg(arch, tag) if scheme in ("clip", "coca") else {}
    repo, filename = _split_hub(cfg.get("hf_hub", ""))
    if not repo:
        return False
    names = checkpoints._weight_names(filename)
    return any(isinstance(try_to_load_from_cache(repo, n), str) for n in names)


def _unknown_message(spec: str) -> str:
    valid = sorted(_names("embedder") | {name for name, _ in RECOMMENDED})
    close = difflib.get_close_matches(spec, valid + list_pretrained(), n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return (
        f"unknown model {spec!r}{hint}. Valid: {', '.join(valid)}; or a spec of the form "
        f"{', '.join(s for s in SCHEMES if not s.startswith('vlm'))}:... "
        f"(`videoscout models --all` lists every checkpoint)"
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

    from .openclip_embedder import OPENAI_MEAN, OPENAI_STD, OpenClipEmbedder

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
    from .openclip_embedder import OPENAI_MEAN, OPENAI_STD, OpenClipEmbedder

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
    from .openclip_embedder import OpenClipEmbedder

    cfg = _builtin_config(spec, arch)
    return OpenClipEmbedder(spec, arch, cfg, None)


def _toy_coca(spec: str) -> ImageTextEmbedder:
    from ..toy.model import ToyCocaEmbedder

    return ToyCocaEmbedder(spec)


def _toy_coca_captioner(spec: str) -> Captioner:
    from ..toy.model import toy_captioner

    return toy_captioner(spec)


register(
    "toy:coca",
    _toy_coca,
    description="the toy world's CoCa, trained here from scratch (toy videos only); captions too",
)
register("toy:coca", _toy_coca_captioner, "captioner", "the toy world's CoCa")

_SCHEME_FACTORIES: dict[str, Callable[[str, str], ImageTextEmbedder]] = {
    "clip": _pretrained,
    "coca": _pretrained,
    "hf": _hub_repo,
    "local": _local,
    "random": _random,
}
