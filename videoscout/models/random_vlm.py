"""Vision-language models at random weights, built offline: ``vlm-random:tiny`` (160k
parameters, for tests) and ``vlm-random:smolvlm-256m`` (SmolVLM-256M-Instruct's architecture,
for benchmarks: speed does not depend on the weights).

The processor is a real Idefics3 (SmolVLM) processor with SmolVLM's special tokens and chat
template; its byte-level BPE tokenizer is trained here on a few sentences. Outputs are random
words; the processor, chat template, image tokens and generate path are the real ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    GenerationConfig,
    Idefics3Config,
    Idefics3ForConditionalGeneration,
    Idefics3ImageProcessor,
    Idefics3Processor,
    LlamaConfig,
    PreTrainedTokenizerFast,
)
from transformers.models.idefics3.configuration_idefics3 import Idefics3VisionConfig

# SmolVLM(-256M/-500M/-2B)-Instruct's chat template, verbatim (transformers' SmolVLM default
# template minus the video branch). Note: `<|im_start|>` is a template literal, no {{ bos_token }}.
CHAT_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}"
    "{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}<end_of_utterance>\n"
    "{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)

# The real SmolVLM tokenizer's special tokens (with other ids).
UNK, BOS, PAD = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
FAKE_IMAGE, IMAGE, GLOBAL_IMAGE, EOU = (
    "<fake_token_around_image>",
    "<image>",
    "<global-img>",
    "<end_of_utterance>",
)
ROW_COL = [f"<row_{i + 1}_col_{j + 1}>" for i in range(6) for j in range(6)]
SPECIAL_TOKENS = [UNK, BOS, PAD, FAKE_IMAGE, IMAGE, GLOBAL_IMAGE, EOU, *ROW_COL]

_CORPUS = [
    "User: What is happening in these frames? Assistant: A person walks a dog along the beach.",
    "Describe the video. A red car drives down a busy street at night, then stops at a light.",
    "Which frame shows the cat? The second frame shows a cat sitting on a wooden table.",
    "How many people are in the scene? There are three people talking in a kitchen.",
    "Summarize the clip: a chef chops onions, heats a pan, and cooks noodles with vegetables.",
    "Is there text on screen? Yes, a sign says OPEN in large white letters.",
    "The camera pans left to show a mountain, a lake, trees, snow and a blue sky.",
    "Answer yes or no. Is the door open? No. Is it raining? Yes, it is raining outside.",
    "0 1 2 3 4 5 6 7 8 9 10 seconds minutes frame timestamp start end first last next before after",
]


@dataclass(frozen=True)
class VlmSize:
    tile: int  # vision image_size = the processor's max_image_size
    patch: int
    scale_factor: int  # pixel shuffle: tokens per tile = (tile / patch)^2 / scale^2
    vision: dict
    text: dict
    vocab_size: int | None = None  # None: the tokenizer's


SIZES = {
    "tiny": VlmSize(
        tile=32,
        patch=8,
        scale_factor=2,
        vision={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                "num_attention_heads": 2},
        text={"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
              "num_attention_heads": 4, "num_key_value_heads": 2},
    ),
    # HuggingFaceTB/SmolVLM-256M-Instruct: SigLIP base/16 at 512 px, SmolLM2-135M.
    "smolvlm-256m": VlmSize(
        tile=512,
        patch=16,
        scale_factor=4,
        vision={"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
                "num_attention_heads": 12},
        text={"hidden_size": 576, "intermediate_size": 1536, "num_hidden_layers": 30,
              "num_attention_heads": 9, "num_key_value_heads": 3, "head_dim": 64},
        vocab_size=49280,
    ),
}  # fmt: skip


def build_tokenizer() -> PreTrainedTokenizerFast:
    """Byte-level BPE: encodes any text, and its offsets work for the processor."""
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_CORPUS * 4, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=BOS,
        eos_token=EOU,  # SmolVLM-Instruct stops on <end_of_utterance>
        pad_token=PAD,
        unk_token=UNK,
        extra_special_tokens=[FAKE_IMAGE, IMAGE, GLOBAL_IMAGE, EOU, *ROW_COL],
        padding_side="left",
        model_max_length=8192,
    )


def build_random_vlm(size: str = "tiny", seed: int = 0):
    """(processor, model) of the named size, at random weights drawn from ``seed``."""
    spec = SIZES[size]
    processor = Idefics3Processor(
        image_processor=Idefics3ImageProcessor(
            do_resize=True,
            size={"longest_edge": 4 * spec.tile},
            max_image_size={"longest_edge": spec.tile},
            do_image_splitting=False,
            image_mean=[0.5, 0.5, 0.5],
            image_std=[0.5, 0.5, 0.5],
        ),
        tokenizer=build_tokenizer(),
        image_seq_len=(spec.tile // spec.patch) ** 2 // spec.scale_factor**2,
        chat_template=CHAT_TEMPLATE,
    )
    tok = processor.tokenizer
    ids = {t: tok.convert_tokens_to_ids(t) for t in (BOS, PAD, EOU, IMAGE)}
    config = Idefics3Config(
        vision_config=Idefics3VisionConfig(
            image_size=spec.tile, patch_size=spec.patch, **spec.vision
        ),
        text_config=LlamaConfig(
            vocab_size=spec.vocab_size or len(tok),
            max_position_embeddings=8192,
            rms_norm_eps=1e-5,
            rope_parameters={"rope_type": "default", "rope_theta": 100000.0},
            bos_token_id=ids[BOS],
            eos_token_id=ids[EOU],
            pad_token_id=ids[PAD],
            tie_word_embeddings=False,
            **spec.text,
        ),
        scale_factor=spec.scale_factor,
        image_token_id=ids[IMAGE],
        tie_word_embeddings=False,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Idefics3ForConditionalGeneration(config).eval()
    model.generation_config = GenerationConfig(
        bos_token_id=ids[BOS], eos_token_id=ids[EOU], pad_token_id=ids[PAD]
    )
    return processor, model
