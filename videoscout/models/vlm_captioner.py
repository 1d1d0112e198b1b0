"""Vision-language models (a vision encoder, a projector and an LLM) through transformers.

Any image-text-to-text checkpoint with a chat template: SmolVLM, Qwen2.5-VL, LLaVA, BLIP-2...
Several frames go into one prompt for descriptions and answers; captions are one frame each.
Prompts are batched (left-padded) into transformers' ``generate`` with its key-value cache,
prompts of concurrent calls included (``prompt_batcher``).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from ..errors import ModelNotAvailableError, UnknownModelError
from ..prompts import load_prompt
from ..timefmt import format_time
from . import checkpoints
from .captioner import GREEDY, Captioner, Decoding
from .device import pick_device, pick_dtype
from .prompt_batcher import Prompt, PromptBatcher


def vlm_captioner(spec: str, source: str) -> VlmCaptioner:
    """``vlm:ORG/REPO`` (Hugging Face Hub id, from the cache or downloaded when online) or
    ``vlm:/path`` (a folder saved with ``save_pretrained``)."""
    folder = Path(source).expanduser()
    if source.startswith((".", "/", "~")) or folder.is_dir():
        config = folder / "config.json"
        if not config.is_file():
            raise ModelNotAvailableError(
                f"captioner {spec}: {folder} is not a model folder (no config.json); fix: pass "
                f"a folder written by save_pretrained (model and processor files)"
            )
        # Retrained or replaced weights must not reuse cached captions.
        stamp = sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in folder.iterdir())
        digest = hashlib.blake2b(repr(stamp).encode(), digest_size=8).hexdigest()
        return VlmCaptioner(spec, str(folder), identity=f"{spec}@{digest}")
    from huggingface_hub import try_to_load_from_cache
    from huggingface_hub.errors import HFValidationError

    try:
        cached = try_to_load_from_cache(source, "config.json")
    except HFValidationError:
        raise UnknownModelError(
            f"{spec!r} names neither a folder nor a Hugging Face model id (ORG/NAME); "
            f"e.g. vlm:HuggingFaceTB/SmolVLM-256M-Instruct or vlm:/path/to/model"
        ) from None
    if isinstance(cached, str):
        return VlmCaptioner(spec, source, identity=f"{spec}@{Path(cached).parent.name}")
    where = f"looked in the Hugging Face cache {checkpoints.hub_cache_dir()} for {source}"
    reason = "HF_HUB_OFFLINE is set" if checkpoints.offline() else checkpoints.hub_unreachable()
    if reason:
        raise ModelNotAvailableError(
            f"captioner {spec} is not downloaded and cannot be ({reason}): {where}; fix: on a "
            f"connected machine run `hf download {source}` and copy its Hugging Face cache here "
            f"(or point HF_HOME at one that has it), or pass a local folder: vlm:/path/to/model"
        )
    return VlmCaptioner(spec, source, local_only=False)


def random_vlm_captioner(spec: str, size: str) -> VlmCaptioner:
    """``vlm-random:SIZE``: a VLM architecture at random weights, for tests and benchmarks."""
    from .random_vlm import SIZES, build_random_vlm

    if size not in SIZES:
        valid = ", ".join(f"vlm-random:{name}" for name in SIZES)
        raise UnknownModelError(f"unknown random VLM size {size!r} in {spec!r}; valid: {valid}")
    return VlmCaptioner(spec, f"random {size}", loader=lambda: build_random_vlm(size))


class VlmCaptioner(Captioner):
    multi_frame = True

    def __init__(
        self,
        spec: str,
        source: str,
        *,
        identity: str | None = None,
        local_only: bool = True,
        batch_size: int = 4,
        max_frames: int = 8,
        loader: Callable[[], tuple] | None = None,
    ) -> None:
        """``source`` is a Hub id or a folder; ``loader``, if given, builds (processor, model)
        instead (random-weight models)."""
        self.spec = spec
        self.source = source
        self._loader = loader
        self._identity = identity
        self.local_only = local_only
        self.batch_size = batch_size
        self.max_frames = max_frames
        self._lock = threading.Lock()
        self._loaded: tuple | None = None
        # Prompts of concurrent calls (an agent's parallel tools) share generate calls.
        self._batcher = PromptBatcher(self._generate)

    def _parts(self):
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def _load(self):
        from transformers import AutoModelForImageTextToText, AutoProcessor

        device = pick_device()
        try:
            if self._loader is not None:
                processor, model = self._loader()
                model = model.to(pick_dtype(device))
            else:
                processor = AutoProcessor.from_pretrained(
                    self.source, local_files_only=self.local_only
                )
                model = AutoModelForImageTextToText.from_pretrained(
                    self.source, dtype=pick_dtype(device), local_files_only=self.local_only
                )
        except ValueError as exc:  # transformers: "Unrecognized configuration class ..."
            raise ModelNotAvailableError(
                f"captioner {self.spec}: {self.source} is not an image-text-to-text model "
                f"({str(exc).splitlines()[0][:160]}); fix: pick a vision-language model such as "
                f"vlm:HuggingFaceTB/SmolVLM-256M-Instruct (`videoscout models`)"
            ) from None
        except OSError as exc:
            raise ModelNotAvailableError(
                f"captioner {self.spec} could not be loaded from {self.source} "
                f"({str(exc).splitlines()[0]}); fix: on a connected machine run "
                f"`hf download {self.source}` and copy its Hugging Face cache here (or point "
                f"HF_HOME at one), or pass a local folder: vlm:/path/to/model"
            ) from None
        image_processor = getattr(processor, "image_processor", None)
        if hasattr(image_processor, "do_image_splitting"):
            # Video frames: one tile each keeps prompts short (SmolVLM would cut a frame into
            # up to 13 tiles of 64 tokens).
            image_processor.do_image_splitting = False
        tokenizer = getattr(processor, "tokenizer", processor)
        tokenizer.padding_side = "left"  # decoder-only models generate after the prompt
        return processor, model.to(device).eval()

    @property
    def caption_prompt(self) -> str:
        return load_prompt("vlm/caption")

    def caption(self, images: np.ndarray, decoding: Decoding = GREEDY) -> list[str]:
        prompt = self.caption_prompt
        return self._chat([[image] for image in images], [prompt] * len(images), decoding)

    def answer_each(
        self, images: np.ndarray, question: str, decoding: Decoding = GREEDY
    ) -> list[str]:
        prompt = load_prompt("vlm/question").format(count=1, question=question.strip())
        return self._chat([[image] for image in images], [prompt] * len(images), decoding)

    def answer(self, images: np.ndarray, question: str, decoding: Decoding = GREEDY) -> str:
        prompt = load_prompt("vlm/question").format(count=len(images), question=question.strip())
        return self._chat([list(images)], [prompt], decoding)[0]

    def describe(
        self, images: np.ndarray, times: Sequence[float], decoding: Decoding = GREEDY
    ) -> str:
        prompt = load_prompt("vlm/describe").format(
            count=len(images), start=format_time(min(times)), end=format_time(max(times))
        )
        return self._chat([list(images)], [prompt], decoding)[0]

    def _chat(
        self, frame_lists: list[list[np.ndarray]], texts: list[str], decoding: Decoding
    ) -> list[str]:
        self._parts()  # a model that cannot load fails in its caller's thread
        prompts = list(zip(frame_lists, texts, strict=True))
        return self._batcher.submit(prompts, decoding, self.batch_size)

    @torch.inference_mode()
    def _generate(self, prompts: list[Prompt], decoding: Decoding) -> list[str]:
        """One ``generate`` call: the prompts left-padded to one length, a key-value cache."""
        from PIL import Image

        processor, model = self._parts()
        conversations = [
            [
                {
                    "role": "user",
                    "content": [
                        *({"type": "image", "image": Image.fromarray(f)} for f in frames),
                        {"type": "text", "text": text},
                    ],
                }
            ]
            for frames, text in prompts
        ]
        inputs = processor.apply_chat_template(
            conversations,
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
            return_tensors="pt",
            processor_kwargs={"padding": True},
        ).to(model.device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(decoding.seed)
            output = model.generate(**inputs, use_cache=True, **_generate_options(decoding))
        new = output[:, inputs["input_ids"].shape[1] :]
        return [t.strip() for t in processor.batch_decode(new, skip_special_tokens=True)]


def _generate_options(decoding: Decoding) -> dict:
    options: dict = {
        "max_new_tokens": decoding.max_new_tokens,
        "min_new_tokens": min(decoding.min_new_tokens, decoding.max_new_tokens),
    }
    if decoding.method == "greedy":
        options.update(do_sample=False, num_beams=1)
    elif decoding.method == "beam":
        options.update(do_sample=False, num_beams=decoding.beams)
    else:
        options.update(do_sample=True, top_p=decoding.top_p, top_k=0)
    return options
